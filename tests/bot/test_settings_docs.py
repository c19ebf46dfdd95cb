"""config.example.toml documents every key of the settings models, in the right section, and loads."""

from __future__ import annotations

import re
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bot.durations import parse_duration
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"

# A section header, active or commented: "[storage]", "[[sources]]", "# [telegram]", "# [[channels]]".
_HEADER = re.compile(r"^\s*(?:#\s*)?\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*$")
# A key line, active or commented: "url = ...", "# token_env = ...".
_KEY = re.compile(r"^\s*(?:#\s*)?([A-Za-z0-9_]+)\s*=")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``Model``, ``Model | None`` or ``tuple[Model, ...]``; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            if arg is Ellipsis or arg is type(None):
                continue
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def settings_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple[str, str, FieldInfo]]:
    """Every leaf key as (section, key, field), e.g. ("telegram", "api_base", ...)."""
    keys: list[tuple[str, str, FieldInfo]] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        nested = _nested_model(field.annotation)
        dotted = f"{prefix}.{name}" if prefix else name
        if nested is not None:
            keys.extend(settings_keys(nested, dotted))
        else:
            section, _, key = dotted.rpartition(".")
            keys.append((section, key, field))
    return keys


def example_sections(text: str) -> dict[str, list[str]]:
    """Section name -> the key lines under every header of that name (active or commented)."""
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = header.group(1)
            sections.setdefault(current, [])
            continue
        if _KEY.match(line):
            sections.setdefault(current, []).append(line)
    return sections


def _lines_for(lines: list[str], key: str) -> list[str]:
    return [line for line in lines if (m := _KEY.match(line)) and m.group(1) == key]


def _default_shown(line: str, default: Any) -> bool:
    """Whether ``line`` (value or comment) shows ``default`` the way it is written in TOML."""
    if isinstance(default, bool):
        return ("true" if default else "false") in line
    if isinstance(default, int):
        return str(default) in line.replace("_", "")
    if isinstance(default, float):
        return any(float(number) == default for number in re.findall(r"\d+(?:\.\d+)?", line))
    if isinstance(default, str):
        return f'"{default}"' in line
    if isinstance(default, tuple) and not default:
        return "[]" in line
    if isinstance(default, timedelta):
        for quoted in re.findall(r'"([^"]*)"', line):
            try:
                if parse_duration(quoted) == default:
                    return True
            except ValueError:
                continue
        return False
    raise AssertionError(f"no rule for showing a default of type {type(default).__name__}")


KEYS = settings_keys()
IDS = [f"{section}.{key}" for section, key, _ in KEYS]


@pytest.fixture(scope="module")
def sections() -> dict[str, list[str]]:
    return example_sections(EXAMPLE.read_text(encoding="utf-8"))


def test_the_walk_sees_nested_and_optional_models() -> None:
    dotted = set(IDS)
    for expected in (
        "storage.url",
        "network.allow_private",
        "sources.every",
        "topics.query",
        "channels.chat_id",
        "subscriptions.mode",
        "telegram.api_base",
        "slack.signing_secret_file",
    ):
        assert expected in dotted
    assert not any(key.endswith("base_dir") for key in dotted)
    assert len(dotted) == len(IDS)


@pytest.mark.parametrize(("section", "key", "field"), KEYS, ids=IDS)
def test_every_key_is_documented_in_its_section(
    sections: dict[str, list[str]], section: str, key: str, field: FieldInfo
) -> None:
    assert section in sections, f"config.example.toml has no [{section}] / [[{section}]] header"
    lines = _lines_for(sections[section], key)
    assert lines, f"{section}.{key} is not in config.example.toml under [{section}]"
    assert any(re.search(r"\s#\s*\S", line.split("=", 1)[1]) for line in lines), (
        f"{section}.{key} has no comment saying what it is"
    )
    if not field.is_required() and field.default is not None:
        assert any(_default_shown(line, field.default) for line in lines), (
            f"{section}.{key}: the default {field.default!r} is not shown in config.example.toml"
        )


def test_the_example_has_no_keys_the_models_do_not_know(sections: dict[str, list[str]]) -> None:
    known = {(section, key) for section, key, _ in KEYS}
    unknown = [
        f"{section}.{_KEY.match(line).group(1)}"  # type: ignore[union-attr]
        for section, lines in sections.items()
        for line in lines
        if (section, _KEY.match(line).group(1)) not in known  # type: ignore[union-attr]
    ]
    assert unknown == []


def test_alternatives_and_chat_sections_are_commented_out() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    active = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for key in ("password_env", "password_file", "token_env", "token_file"):
        assert not any(re.match(rf"\s*{key}\s*=", line) for line in active), key
    assert "[telegram]" not in "\n".join(active)
    assert "[slack]" not in "\n".join(active)


def test_the_example_loads() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.base_dir == EXAMPLE.parent
    assert {c.kind for c in settings.channels} == {"jsonl", "console"}
    assert settings.sources
    assert settings.topics
    assert settings.subscriptions
    assert settings.telegram is None
    assert settings.slack is None
    assert settings.database_url() == f"sqlite:///{EXAMPLE.parent / 'newswatch.db'}"
