"""URL canonicalisation, so one article reached through many links is stored once.

Order matters: lower-case scheme and host, drop default ports, drop the fragment, drop tracking parameters,
then sort the remaining query so parameter order does not create a second article.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "ref_src",
    }
)


def canonical_url(url: str) -> str:
    """Return the form of ``url`` we use as an article's identity."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    elif ":" in host:
        host = f"[{host}]"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def is_http_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host: the only kind we fetch."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
