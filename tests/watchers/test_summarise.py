from __future__ import annotations

from watchers.summarise import split_sentences, summarise


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Mr. Smith met U.S. officials on Jan. 5 in Riga. They agreed. “Talks went well,” he said."
    assert split_sentences(text) == [
        "Mr. Smith met U.S. officials on Jan. 5 in Riga.",
        "They agreed.",
        "“Talks went well,” he said.",
    ]


def test_summary_is_whole_sentences_within_the_cap() -> None:
    text = "\n".join(
        ["First sentence has quite a few words in it. " * 3, "Second paragraph is here and long enough."]
    )
    summary = summarise(text, max_chars=120)
    assert len(summary) <= 120
    assert summary.endswith(".")


def test_single_long_sentence_is_trimmed_at_a_word() -> None:
    summary = summarise("word " * 200, max_chars=50)
    assert len(summary) <= 50
    assert summary.endswith("…")
