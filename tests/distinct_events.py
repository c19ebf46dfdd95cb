"""Headlines of clearly different events, for tests that need many alerts and not one growing story.

Story grouping joins articles about the same event, so "Grain story 1" … "Grain story 12" would be one story
and one alert. Each headline here pairs a different place, subject and named person.
"""

from __future__ import annotations

_PLACES = (
    "Odesa",
    "Rotterdam",
    "Lagos",
    "Santos",
    "Mumbai",
    "Houston",
    "Gdansk",
    "Perth",
    "Busan",
    "Izmir",
    "Durban",
    "Callao",
)
_SUBJECTS = (
    "tariff vote",
    "strike ends",
    "storm damage",
    "record harvest",
    "price cap",
    "ship seized",
    "new terminal",
    "fraud probe",
    "drought aid",
    "export ban",
    "rail dispute",
    "fire at silo",
)


_NAMES = (
    "Ada Okafor",
    "Ben Lindqvist",
    "Cleo Moreau",
    "Dev Tanaka",
    "Eli Kowalski",
    "Fay Haddad",
    "Gus Novak",
    "Hana Silva",
    "Ivo Brennan",
    "Jana Petrov",
    "Kofi Achebe",
    "Lena Rossi",
    "Milo Dube",
    "Nia Keller",
    "Omar Mendes",
    "Pia Varga",
    "Quin Nilsen",
    "Rosa Quispe",
    "Sami Farouk",
    "Tove Ivanova",
    "Uma Mbeki",
    "Vik Larsen",
    "Wren Ortega",
    "Xena Weiss",
    "Yuri Sato",
    "Zoe Cohen",
    "Abel Abara",
    "Bea Holm",
    "Cyd Reyes",
    "Dora Falk",
)


def distinct_headline(prefix: str, word: str, i: int) -> str:
    """Every article a different event, so story grouping keeps them apart (one alert each)."""
    place = _PLACES[i % len(_PLACES)]
    subject = _SUBJECTS[(i + i // len(_PLACES) + len(prefix)) % len(_SUBJECTS)]  # no pair twice below 144
    return f"{place} {subject}, says {_NAMES[i % len(_NAMES)]}: {prefix} {word} {i}"
