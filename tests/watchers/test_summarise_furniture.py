"""The literal pre-check in front of the furniture pattern never hides a line the pattern matches."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import sample_news
from watchers.summarise import _FURNITURE, _may_be_furniture, furniture_pieces, is_furniture, split_sentences

FURNITURE_WORDS = tuple(
    word
    for line in (
        "photo image picture foto bild imagen immagine фото credit getty images afp ap reuters/",
        "epa-efe shutterstock dpa-bildfunk read see more also the full continue reading lire aussi",
        "lesen sie auch mehr zum thema lee también leer más leggi anche leia também читайте также",
        "share this on follow like us click here sign up subscribe now today to our newsletter",
        "advertisement we use accept manage all cookies cookie policy preferences settings article",
        "story report was is has been first originally published reproduced republished by in",
        "contributed editing reporting writing rights reserved © copyright download get app join",
        "conversation comments comment are have closed disabled updated last 12:30 9.45 : / | news",
        "minister",
    )
    for word in line.split(" ")
)
# Case, white space and letters that re.IGNORECASE treats as others (ſ = s, K = k, ı and İ = i).
ODD = {"s": "ſ", "k": "K", "i": "ı", "I": "İ"}


def _variants(words: list[str], separators: list[str], upper: list[bool], odd: list[bool]) -> str:
    out = []
    for index, word in enumerate(words):
        if upper[index % len(upper)]:
            word = word.upper()
        if odd[index % len(odd)]:
            word = "".join(ODD.get(ch, ch) for ch in word)
        out.append(word + separators[index % len(separators)])
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(FURNITURE_WORDS), min_size=1, max_size=8),
    st.lists(st.sampled_from([" ", "  ", "\t", "\u00a0", " \n ", ": ", ", ", ""]), min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=1, max_size=4),
    st.sampled_from(["", " ", "x", "Officials said "]),
)
def test_the_check_passes_every_line_the_pattern_matches(
    words: list[str], separators: list[str], upper: list[bool], odd: list[bool], before: str
) -> None:
    line = before + _variants(words, separators, upper, odd)
    if _FURNITURE.search(line):
        assert _may_be_furniture(line), line


def test_real_text_gets_the_same_answer_as_the_pattern_alone() -> None:
    lines = [p for article in sample_news.ARTICLES for p in article.paragraphs]
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    for path in fixtures.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt", ".json"):
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    assert len(lines) > 200
    flagged = 0
    for line in lines:
        expected = bool(_FURNITURE.search(line))
        assert _may_be_furniture(line) or not expected, line
        flagged += expected
    assert flagged > 0  # the lines hold furniture, so the comparison meant something


def test_furniture_in_odd_case_and_spacing_is_still_found() -> None:
    for line in ("READ\u00a0MORE: the timeline", "Subſcribe  today", "Photo\t: Getty", "Cookİe policy"):
        assert is_furniture(line), line


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from([*FURNITURE_WORDS, "Officials", "said.", "The", "talks", "ended."]), max_size=12
        ),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.sampled_from([" ", "  ", "\t", "\u00a0", ". ", ": "]), min_size=1, max_size=3),
    st.lists(st.booleans(), min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=1, max_size=4),
)
def test_looking_only_for_the_pieces_the_text_holds_changes_no_answer(
    lines: list[list[str]], separators: list[str], upper: list[bool], odd: list[bool]
) -> None:
    """Every line and sentence of a text gets the same pre-check answer with the text's own pieces as
    with all of them (case, odd letters and spacing included)."""
    text = "\n".join(_variants(words, separators, upper, odd) for words in lines if words)
    pieces = furniture_pieces(text)
    for line in text.splitlines():
        for part in [line, " ".join(line.split()), *split_sentences(" ".join(line.split()))]:
            assert _may_be_furniture(part, pieces) == _may_be_furniture(part), part
            assert is_furniture(part, pieces) == is_furniture(part), part
