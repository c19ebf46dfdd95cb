"""Fetching from a hostile local news site: bombs, huge and truncated bodies, slow answers, charsets."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator

import brotli  # type: ignore[import-untyped, unused-ignore]
import httpx
import pytest

from bot.sample_site import LocalSite, Route
from watchers.errors import FetchError
from watchers.fetch import FetchPolicy, fetch
from watchers.inflate import ACCEPT_ENCODING, CappedDecoder
from watchers.netguard import parse_allowlist

CAP = 100_000
POLICY = FetchPolicy(allow_private=parse_allowlist(["127.0.0.1"]), max_bytes=CAP, deadline=5.0)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1,000 : 1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * 1_000_000
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + packer.flush()


def _feed_all(decoder: CappedDecoder, chunks: list[bytes]) -> None:
    for chunk in chunks:
        decoder.feed(chunk)


def test_decoder_never_inflates_past_the_cap() -> None:
    bomb = gzip_bomb(200_000_000)
    assert len(bomb) < 250_000
    decoder = CappedDecoder("gzip", CAP)
    chunks = [bomb[start : start + 65_536] for start in range(0, len(bomb), 65_536)]
    with pytest.raises(FetchError, match="too large: more than 100,000 bytes"):
        _feed_all(decoder, chunks)
    assert decoder.size == CAP + 1  # of 200 MB, only one byte more than the cap was ever inflated


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw deflate, as IIS sends
        ("gzip", lambda data: gzip.compress(data[:5]) + gzip.compress(data[5:])),  # two gzip members
        ("br", brotli.compress),
    ],
)
def test_decoder_round_trips(coding: str, encode: object) -> None:
    text = b"<rss>" + b"news " * 5_000 + b"</rss>"
    assert callable(encode)
    raw = encode(text)
    decoder = CappedDecoder(coding, CAP)
    for start in range(0, len(raw), 7):
        decoder.feed(raw[start : start + 7])
    assert decoder.body() == text


def test_body_exactly_at_the_cap_passes_and_one_more_byte_fails() -> None:
    exact = CappedDecoder("gzip", CAP)
    exact.feed(gzip.compress(b"a" * CAP))
    assert len(exact.body()) == CAP
    over = CappedDecoder("gzip", CAP)
    with pytest.raises(FetchError, match="too large"):
        over.feed(gzip.compress(b"a" * (CAP + 1)))


def brotli_bomb(size: int) -> bytes:
    """``size`` zero bytes, brotli-compressed (far beyond 1,000 : 1)."""
    packer = brotli.Compressor(quality=5)
    block = b"\0" * 1_000_000
    parts: list[bytes] = [packer.process(block) for _ in range(size // len(block))]
    return b"".join(parts) + bytes(packer.finish())


def test_brotli_is_advertised_and_decoded_within_the_cap_exactly() -> None:
    assert "br" in ACCEPT_ENCODING  # brotli is a dependency, and its output can be bounded
    exact = CappedDecoder("br", CAP)
    exact.feed(brotli.compress(b"a" * CAP))
    assert len(exact.body()) == CAP
    over = CappedDecoder("br", CAP)
    with pytest.raises(FetchError, match="too large"):
        over.feed(brotli.compress(b"a" * (CAP + 1)))
    corrupt = CappedDecoder("br", CAP)
    with pytest.raises(FetchError, match="corrupt compressed response"):
        corrupt.feed(b"\xff" * 64)


def test_brotli_bomb_stops_one_block_past_the_cap() -> None:
    bomb = brotli_bomb(200_000_000)
    assert len(bomb) < 200_000
    decoder = CappedDecoder("br", CAP)
    chunks = [bomb[start : start + 65_536] for start in range(0, len(bomb), 65_536)]
    with pytest.raises(FetchError, match="too large: more than 100,000 bytes"):
        _feed_all(decoder, chunks)
    assert CAP < decoder.size <= CAP + 65_536  # of 200 MB, at most one output block past the cap


def test_unknown_content_encoding_is_a_clear_error() -> None:
    with pytest.raises(FetchError, match="unsupported content encoding: compress"):
        CappedDecoder("compress", CAP)


async def test_gzip_bomb_from_the_site_is_refused_without_inflating(site: LocalSite) -> None:
    site.set("/bomb.xml", Route("application/rss+xml", gzip_bomb(200_000_000), encoding="gzip"))
    site.set("/ok.xml", Route("application/rss+xml", b"<rss>" + b"x" * 50_000 + b"</rss>", gzip=True))
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match="too large"):
            await fetch(client, site.url + "/bomb.xml", POLICY)
        ok = await fetch(client, site.url + "/ok.xml", POLICY)
    assert ok.body.startswith(b"<rss>xxx")
    assert len(ok.body) == 50_011
    assert "gzip" in site.requests[-1][1]["accept-encoding"]


async def test_brotli_from_the_site_is_decoded_and_its_bomb_refused(site: LocalSite) -> None:
    text = b"<rss>" + b"news " * 10_000 + b"</rss>"
    site.set("/br.xml", Route("application/rss+xml", brotli.compress(text), encoding="br"))
    site.set("/bomb.xml", Route("application/rss+xml", brotli_bomb(50_000_000), encoding="br"))
    async with httpx.AsyncClient() as client:
        ok = await fetch(client, site.url + "/br.xml", POLICY)
        with pytest.raises(FetchError, match="too large"):
            await fetch(client, site.url + "/bomb.xml", POLICY)
    assert ok.body == text
    assert "br" in site.requests[0][1]["accept-encoding"]


async def test_huge_body_with_or_without_declared_length_stops_at_the_cap(site: LocalSite) -> None:
    chunk = b"<item>" + b"y" * 1018
    site.set("/declared", Route("application/xml", chunk, repeat=2_000_000))  # 2 GB announced
    site.set("/undeclared", Route("application/xml", chunk, repeat=2_000_000, declare_length=False))
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match="2,048,000,000 bytes declared, limit 100,000"):
            await fetch(client, site.url + "/declared", POLICY)
        with pytest.raises(FetchError, match="too large: more than 100,000 bytes"):
            await fetch(client, site.url + "/undeclared", POLICY)


async def test_truncated_body_is_a_fetch_error(site: LocalSite) -> None:
    site.set("/cut.xml", Route("application/rss+xml", b"<rss>" + b"z" * 5_000, truncate_at=1_000))
    async with httpx.AsyncClient() as client:
        with pytest.raises(
            FetchError, match=r"could not connect to 127\.0\.0\.1:\d+: peer closed connection"
        ):
            await fetch(client, site.url + "/cut.xml", POLICY)


async def test_slow_server_hits_the_deadline(site: LocalSite) -> None:
    site.set("/slow.xml", Route("application/rss+xml", b"<rss/>", delay=3.0))
    policy = FetchPolicy(allow_private=POLICY.allow_private, deadline=0.5)
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        with pytest.raises(
            FetchError, match=r"timed out: no complete answer from 127\.0\.0\.1:\d+ in 0 s|timed out"
        ):
            await fetch(client, site.url + "/slow.xml", policy)
    assert time.monotonic() - started < 2.5


async def test_server_errors_carry_status_and_retry_after(site: LocalSite) -> None:
    site.set("/boom", Route("text/plain", b"oops", status=500))
    site.set("/later", Route("text/plain", b"", status=503, headers={"Retry-After": "90"}))
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match=r"^HTTP 500$"):
            await fetch(client, site.url + "/boom", POLICY)
        with pytest.raises(FetchError) as info:
            await fetch(client, site.url + "/later", POLICY)
    assert (info.value.status, info.value.retry_after) == (503, 90)


async def test_user_agent_names_the_contact(site: LocalSite) -> None:
    site.set("/f", Route("application/rss+xml", b"<rss/>"))
    policy = FetchPolicy(
        allow_private=POLICY.allow_private, user_agent="Newswatch/0.1 (+https://ops.example/contact)"
    )
    async with httpx.AsyncClient() as client:
        await fetch(client, site.url + "/f", policy)
    assert site.requests[-1][1]["user-agent"] == "Newswatch/0.1 (+https://ops.example/contact)"
