"""The service watching one feed of a local site (``/feed.xml``, source "Site"), for tests that poll it."""

from __future__ import annotations

from pathlib import Path

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.sample_site import LocalSite
from bot.settings import settings_from_dict
from bot.store import Store


def one_feed_service(site: LocalSite, database_url: str, tmp_path: Path) -> tuple[Newswatch, Store]:
    """Every entry counts as new enough to fetch its page (a ten-year backfill); no topics."""
    settings = settings_from_dict(
        {
            "storage": {"url": database_url},
            "network": {"allow_private": ["127.0.0.1"], "per_host_delay": "0s"},
            "sources": [{"name": "Site", "url": site.url + "/feed.xml", "backfill": "3650d"}],
            "topics": [],
        },
        tmp_path,
    )
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    return Newswatch(settings, store, {}), store
