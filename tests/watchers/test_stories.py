"""The pure grouping logic: fingerprints, features and scores, on plain data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from watchers.stories import (
    BANDS,
    NEAR_DUPLICATE_BITS,
    DocumentFrequency,
    StoryProfile,
    band_keys,
    best_story,
    extract_features,
    hamming,
    near_duplicate,
    score,
    simhash,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WIRE = (
    "Ministers from Finland and Sweden discussed the NATO expansion timetable on Tuesday in Brussels, "
    "where officials said several technical questions remained open. A further round of talks is planned "
    "for next month, when experts from each delegation will present detailed proposals on logistics, "
    "budgets and the order of the steps. Observers noted that public opinion in both countries has "
    "shifted markedly over the past two years and that parliamentary approval is now widely expected."
)


def test_republished_wire_copy_is_a_near_duplicate_and_other_text_is_not() -> None:
    original = simhash(WIRE)
    republished = simhash("Brussels (Wire) - " + WIRE + " Reporting by the wire desk.")
    other = simhash(
        "A magnitude 5.6 earthquake struck Malatya province in eastern Turkey on Thursday, damaging "
        "buildings and sending residents into the streets, the disaster agency said. The quake was centred "
        "in the Yesilyurt district at a depth of 7 kilometres. There were no immediate reports of deaths, "
        "and rescue teams were checking several collapsed structures in the villages around the city."
    )
    assert original is not None
    assert republished is not None
    assert other is not None
    assert near_duplicate(original, republished), hamming(original, republished)
    assert not near_duplicate(original, other)
    assert simhash("Too short to tell.") is None  # a one-line blurb cannot be fingerprinted reliably
    assert simhash("") is None


@given(
    st.integers(min_value=0, max_value=2**64 - 1), st.sets(st.integers(0, 63), max_size=NEAR_DUPLICATE_BITS)
)
def test_fingerprints_within_the_distance_always_share_a_band(fingerprint: int, flips: set[int]) -> None:
    # the pigeonhole guarantee the band index relies on: no near-duplicate can be missed
    changed = fingerprint
    for bit in flips:
        changed ^= 1 << bit
    assert len(band_keys(fingerprint)) == BANDS
    assert set(band_keys(fingerprint)) & set(band_keys(changed))


def test_features_find_names_numbers_and_days() -> None:
    features = extract_features(
        "Kremlin warns of response to NATO troops on Finnish border",
        "Kremlin spokesman Dmitry Peskov said on Monday that 1,200 troops near Finland were a threat. "
        "Ein Erdbeben der Stärke 5,6 am 2023 Jan. 5.",
        T0,
    )
    terms = features.terms
    assert "e:dmitry peskov" in terms
    assert "e:peskov" in terms  # the surname alone also counts, as later reports use it
    assert "e:finland" in terms
    assert "e:nato" in terms
    assert "n:1200" in terms
    assert "n:5.6" in terms  # the decimal comma read as a decimal point
    assert "n:2023" not in terms  # a year identifies no event
    assert "d:monday" in terms
    assert "d:01-05" in terms
    assert "t:kremlin" in terms  # headline words are kept apart
    assert "w:troop" in terms  # light stemming joins "troops" and "troop"
    assert "w:the" not in terms


def _profile(story_id: int, title: str, text: str, when: datetime) -> StoryProfile:
    return StoryProfile(story_id).merged(extract_features(title, text, when))


def test_the_same_event_in_other_words_scores_above_different_events_on_the_subject() -> None:
    idf = DocumentFrequency(0, {}).idf
    first = _profile(
        1,
        "Kremlin warns of response to NATO troops on Finnish border",
        "Kremlin spokesman Dmitry Peskov said on Monday that Russia would take countermeasures if NATO "
        "stationed troops near its border with Finland. Peskov spoke to reporters in Moscow.",
        T0,
    )
    same = extract_features(
        "Peskov: Russia will answer NATO deployment in Finland",
        "Russia will respond to any deployment of NATO forces along the Finnish border, Dmitry Peskov said "
        "on Monday, speaking to journalists in Moscow.",
        T0 + timedelta(hours=2),
    )
    other_day = extract_features(
        "Lavrov says NATO Baltic drills raise risk of clashes",
        "Foreign Minister Sergei Lavrov said on Wednesday that NATO naval exercises in the Baltic Sea "
        "increased the risk of incidents near Kaliningrad, speaking in Moscow.",
        T0 + timedelta(hours=48),
    )
    week_later = extract_features(
        "Kremlin warns of response to NATO troops on Finnish border",
        "Kremlin spokesman Dmitry Peskov said on Monday that Russia would take countermeasures if NATO "
        "stationed troops near its border with Finland.",
        T0 + timedelta(days=7),
    )
    window = timedelta(hours=48)
    assert score(same, first, idf, window).value >= 0.25
    assert score(other_day, first, idf, window).value < 0.1
    assert score(week_later, first, idf, window).value == 0.0  # outside the window: never the same event
    assert best_story(same, [first], idf)[0] == 1  # type: ignore[index]
    assert best_story(other_day, [first], idf) is None


def test_profiles_stay_small_however_many_articles_join() -> None:
    rng = random.Random(5)
    vocabulary = [f"word{i}" for i in range(400)]
    profile = StoryProfile(1)
    for hour in range(50):
        text = " ".join(rng.choice(vocabulary) for _ in range(80))
        profile = profile.merged(extract_features("A headline here", text, T0 + timedelta(hours=hour)))
    assert len(profile.terms) <= 60 + 3 * 30 + 7
    assert profile.last_seen == T0 + timedelta(hours=49)
