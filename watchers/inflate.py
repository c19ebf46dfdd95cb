"""Content-Encoding decoding that stops exactly at a byte cap, so a compression bomb is never inflated.

httpx would inflate a whole chunk before we could count it (a 200 KB gzip chunk can become 200 MB), so
``fetch`` reads the raw stream and decodes it here, asking zlib for at most ``room + 1`` bytes per call:
the output never exceeds the cap by more than one byte, whatever the compression ratio.

Brotli (``br``, when the ``brotli`` package is installed) is bounded the same way through its
decompressor's output limit, asked for 32 KB at a time. That limit is honoured a block at a time, so
the output may pass it by up to one block (about 32 KB); the decoded size is still counted exactly, so
a body of exactly the cap passes and one byte more fails, as with gzip, and a bomb costs at most one
block beyond the cap.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from watchers.errors import FetchError

try:  # brotli is optional: we only advertise "br" when its decoder can be bounded
    import brotli as _brotli  # type: ignore[import-not-found, import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None


class _Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data[: limit + 1]


class _Zlib:
    """gzip (possibly several members) or deflate (zlib-wrapped, or raw as some servers send it)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._d: zlib._Decompress | None = None
        self._pending = b""

    def _start(self, data: bytes) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # A zlib stream starts with a header whose first byte is 0x?8 and whose 16-bit value divides by 31.
        wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        out: list[bytes] = []
        size = 0
        data = self._pending + data
        self._pending = b""
        while data and size <= limit:
            if self._d is None:
                if self._gzip and len(data) < 2:
                    self._pending = data
                    break
                self._d = self._start(data)
            try:
                piece = self._d.decompress(data, limit - size + 1)
            except zlib.error as exc:
                raise FetchError(f"corrupt compressed response: {exc}") from exc
            out.append(piece)
            size += len(piece)
            if self._d.unconsumed_tail:
                break  # the limit was reached: the caller sees more than ``limit`` bytes and stops
            data = self._d.unused_data if self._d.eof else b""
            if self._d.eof:
                self._d = None  # another gzip member may follow
        return b"".join(out)


_BROTLI_STEP = 32_768  # output asked of brotli per call: its buffer grows past a larger limit by more


class _Brotli:
    def __init__(self) -> None:
        assert _brotli is not None
        self._d = _brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        """Up to ``limit + 1`` decoded bytes (or one block more): output held back by the decoder's limit
        is drained until the stream ends or the decoder needs more input."""
        assert _brotli is not None
        out: list[bytes] = []
        size = 0
        try:
            piece: bytes = self._d.process(data, output_buffer_limit=min(limit + 1, _BROTLI_STEP))
            out.append(piece)
            size += len(piece)
            while size <= limit and not self._d.is_finished():  # drain what the limit held back
                piece = self._d.process(b"", output_buffer_limit=min(limit - size + 1, _BROTLI_STEP))
                if not piece:
                    break
                out.append(piece)
                size += len(piece)
        except _brotli.error as exc:
            raise FetchError(f"corrupt compressed response: {exc}") from exc
        return b"".join(out)


def _brotli_bounded() -> bool:
    if _brotli is None:
        return False
    try:
        _brotli.Decompressor().process(b"", output_buffer_limit=1)
        _brotli.Decompressor().is_finished()
    except (TypeError, AttributeError):  # older bindings cannot bound their output: "br" stays off
        return False
    return True


BROTLI = _brotli_bounded()
ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI else "gzip, deflate"


class CappedDecoder:
    """Decode a raw body chunk by chunk; raise FetchError as soon as the decoded size would pass ``cap``."""

    def __init__(self, content_encoding: str, cap: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise FetchError(f"unsupported content encoding: {content_encoding}")
        coding = codings[0] if codings else ""
        self._decoder: _Decoder
        if coding == "":
            self._decoder = _Identity()
        elif coding in ("gzip", "x-gzip"):
            self._decoder = _Zlib(gzip=True)
        elif coding == "deflate":
            self._decoder = _Zlib(gzip=False)
        elif coding == "br" and BROTLI:
            self._decoder = _Brotli()
        else:
            raise FetchError(f"unsupported content encoding: {coding}")
        self.cap = cap
        self.size = 0
        self._chunks: list[bytes] = []

    def feed(self, raw: bytes) -> None:
        out = self._decoder.feed(raw, self.cap - self.size)
        self.size += len(out)
        if self.size > self.cap:
            raise FetchError(f"response too large: more than {self.cap:,} bytes")
        self._chunks.append(out)

    def body(self) -> bytes:
        return b"".join(self._chunks)
