"""Choosing the summariser the settings ask for (``[summarizer]``): extractive, or an LLM over it."""

from __future__ import annotations

import httpx

from bot.settings import Settings, read_secret
from watchers.llm_summary import LLMConfig, OpenAISummariser
from watchers.summarise import ExtractiveSummariser, Summariser


def build_summariser(settings: Settings, client: httpx.AsyncClient) -> Summariser:
    """The configured summariser; the LLM one always falls back to the extractive one."""
    config = settings.summarizer
    extractive = ExtractiveSummariser(config.max_chars)
    if config.kind != "openai":
        return extractive
    assert config.base_url is not None
    assert config.model is not None
    key = read_secret(
        settings,
        "summarizer",
        "api_key",
        config.api_key_env if not config.api_key_file else None,
        config.api_key_file,
    )
    return OpenAISummariser(
        LLMConfig(
            base_url=config.base_url,
            model=config.model,
            api_key=key,
            timeout=config.timeout.total_seconds(),
            max_input_chars=config.max_input_chars,
            max_output_chars=config.max_output_chars,
        ),
        client,
        extractive,
    )
