from __future__ import annotations

from watchers.summarise import article_sentences, is_furniture, split_sentences, summarise


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


BOILERPLATE_PAGE = """By Jane Doe and Ali Khan
Photo: Reuters/Mark Smith
Ministers from Finland and Sweden discussed the NATO expansion timetable on Tuesday in Brussels, aides said.
Read more: Ten things you missed this week
The talks also covered grain exports, which have fallen by a third since spring, according to customs data.
Share this article on Facebook, Twitter and WhatsApp.
Observers noted that parliamentary approval of the NATO expansion is now widely expected in both countries.
Sign up for our daily newsletter to get the news first.
This article was first published by the Baltic Times and is reproduced with permission.
Copyright 2026 Northern Courier. All rights reserved.
"""


def test_summaries_of_boilerplate_heavy_text_hold_only_article_sentences() -> None:
    summary = summarise(BOILERPLATE_PAGE, 400)
    article = [
        "Ministers from Finland and Sweden discussed the NATO expansion timetable on Tuesday in Brussels, "
        "aides said.",
        "The talks also covered grain exports, which have fallen by a third since spring, according to "
        "customs data.",
        "Observers noted that parliamentary approval of the NATO expansion is now widely expected in both "
        "countries.",
    ]
    rest = summary
    for sentence in article:
        rest = rest.replace(sentence, "")
    assert rest.strip() == "", summary  # nothing but whole article sentences
    assert summary.startswith(article[0])
    assert len(summary) <= 400
    for furniture in article_sentences(BOILERPLATE_PAGE):
        assert furniture in article


def test_the_summary_says_what_the_article_says_about_the_topic() -> None:
    grain = summarise(BOILERPLATE_PAGE, 220, terms=["grain exports"])
    nato = summarise(BOILERPLATE_PAGE, 220, terms=["NATO", "expansion"])
    assert "grain exports" in grain
    assert "grain" not in nato
    assert "NATO expansion" in nato


def test_redundant_sentences_are_not_chosen_twice() -> None:
    text = "\n".join(
        [
            "The central bank kept its deposit rate at four percent on Thursday, aides said in Frankfurt.",
            "On Thursday the central bank kept its deposit rate at four percent, aides in Frankfurt said.",
            "Inflation in the euro zone eased to 2.9 percent last month, still above the target.",
            "President Christine Lagarde said it was too early to discuss cutting rates.",
        ]
    )
    summary = summarise(text, 400)
    assert summary.count("deposit rate") == 1
    assert "Lagarde" in summary or "Inflation" in summary


def test_sentence_splitter_in_other_languages_keeps_abbreviations_quotes_and_ellipses() -> None:
    assert split_sentences(
        "M. Macron a rencontré Mme Merkel. Il a dit « Oui. » Puis il est parti… Ensuite rien."
    ) == [
        "M. Macron a rencontré Mme Merkel.",
        "Il a dit « Oui. »",
        "Puis il est parti…",
        "Ensuite rien.",
    ]
    assert split_sentences("Das gilt z.B. für Dr. Müller. Er kam am 5. Mai. Dann ging er.") == [
        "Das gilt z.B. für Dr. Müller.",
        "Er kam am 5. Mai.",
        "Dann ging er.",
    ]
    assert split_sentences("Wait... what happened? Nobody knows. The Sra. García left.") == [
        "Wait... what happened?",
        "Nobody knows.",
        "The Sra. García left.",
    ]
    assert split_sentences("Президент выступил в понедельник. Т.е. ничего не решено. Всё.") == [
        "Президент выступил в понедельник.",
        "Т.е. ничего не решено.",
        "Всё.",
    ]


def test_furniture_lines_are_recognised_but_article_sentences_are_not() -> None:
    for line in (
        "By Staff Reporter",
        "Photo: AP Photo/Jane Roe",
        "Read more: the full timeline",
        "This story was originally published by ProPublica.",
        "Lesen Sie auch: Die Hintergründe",
        "Читайте также: главное за день",
        "Subscribe now to our newsletter",
    ):
        assert is_furniture(line), line
    for line in (
        "By Tuesday, the ministers had agreed to a plan for the NATO expansion timetable and troop levels.",
        "Users who subscribe to the service pay more this year, the regulator said.",
        "Officials said the talks were constructive.",
    ):
        assert not is_furniture(line), line
