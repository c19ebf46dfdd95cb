"""[stories] and [summarizer]: defaults, validation, and the summariser they build."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.settings import settings_from_dict
from bot.summarizer import build_summariser
from watchers.errors import ConfigError
from watchers.llm_summary import OpenAISummariser
from watchers.summarise import ExtractiveSummariser


async def test_defaults_are_a_48h_window_and_the_offline_summariser(tmp_path: Path) -> None:
    settings = settings_from_dict({}, tmp_path)
    assert settings.stories.window == timedelta(hours=48)
    assert settings.stories.threshold == 0.25
    assert settings.summarizer.kind == "extractive"
    async with httpx.AsyncClient() as client:
        summariser = build_summariser(settings, client)
    assert isinstance(summariser, ExtractiveSummariser)
    assert summariser.max_chars == 400


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stories": {"window": "10m"}}, "stories.window: must be at least 1h"),
        ({"stories": {"threshold": 1.5}}, "stories.threshold"),
        ({"summarizer": {"kind": "openai", "model": "m"}}, "needs base_url"),
        ({"summarizer": {"kind": "openai", "base_url": "http://127.0.0.1:8080/v1"}}, "needs model"),
        ({"summarizer": {"max_chars": 10}}, "summarizer.max_chars"),
        (
            {
                "summarizer": {
                    "kind": "openai",
                    "base_url": "http://h/v1",
                    "model": "m",
                    "api_key_env": "NW_NOPE",
                }
            },
            "summarizer.api_key_env: environment variable NW_NOPE is not set",
        ),
    ],
    ids=["window", "threshold", "base_url", "model", "max_chars", "key"],
)
def test_bad_values_are_clear_errors(tmp_path: Path, data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        settings_from_dict(data, tmp_path)


async def test_openai_kind_builds_the_llm_summariser_with_the_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NW_LLM_KEY", "sk-local")
    data = {
        "stories": {"window": "24h", "threshold": 0.4},
        "summarizer": {
            "kind": "openai",
            "base_url": "http://127.0.0.1:11434/v1",
            "model": "llama3.1",
            "api_key_env": "NW_LLM_KEY",
            "timeout": "5s",
            "max_chars": 300,
        },
    }
    settings = settings_from_dict(data, tmp_path)
    assert settings.stories.window == timedelta(hours=24)
    async with httpx.AsyncClient() as client:
        summariser = build_summariser(settings, client)
    assert isinstance(summariser, OpenAISummariser)
    assert summariser.config.api_key == "sk-local"
    assert summariser.config.timeout == 5.0
    assert summariser.fallback.max_chars == 300
