"""URL canonicalisation, so one article reached through many links is stored once.

Order matters: lower-case scheme and host, drop default ports, drop the fragment, drop tracking parameters,
fold AMP and mobile variants into the desktop URL where the URL itself shows it, then sort the remaining
query so parameter order does not create a second article. (A page's own ``rel=canonical``/``og:url`` is
the stronger signal; the pipeline prefers it, on the same site, once the page is fetched.)

AMP and mobile forms recognised: an ``amp.`` / ``m.`` / ``mobile.`` first host label (→ ``www.``), an ``m.``
second label (``en.m.wikipedia.org`` → ``en.wikipedia.org``), a trailing ``/amp`` path segment, a leading
``/amp/`` segment, ``.amp.html``/``.amp`` suffixes, and the ``amp``/``outputType=amp`` query switches.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

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
        "twclid",
        "wt_mc",
        "cmpid",
        "ocid",
        "at_medium",
        "at_campaign",
        "smid",
        "ito",
    }
)
_AMP_SWITCHES = frozenset({"amp", "_amp", "amp_js_v", "usqp"})
_MOBILE_LABELS = frozenset({"m", "mobile", "amp"})
_IP_HOST = re.compile(r"^[\d.]+$|:")


def canonical_url(url: str) -> str:
    """Return the form of ``url`` we use as an article's identity."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _desktop_host((parts.hostname or "").lower())
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    elif ":" in host:
        host = f"[{host}]"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS
        and not k.lower().startswith(TRACKING_PREFIXES)
        and not _is_amp_switch(k, v)
    ]
    query.sort()
    path = _desktop_path(parts.path or "/")
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def _is_amp_switch(key: str, value: str) -> bool:
    key = key.lower()
    if key == "outputtype":
        return value.lower() == "amp"
    return key in _AMP_SWITCHES


def _desktop_host(host: str) -> str:
    if not host or _IP_HOST.search(host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and labels[0] in _MOBILE_LABELS:
        return ".".join(["www", *labels[1:]])
    if len(labels) >= 4 and labels[1] in ("m", "mobile"):
        return ".".join([labels[0], *labels[2:]])
    return host


def _desktop_path(path: str) -> str:
    if path.endswith(".amp.html"):
        return path[: -len(".amp.html")] + ".html"
    if path.endswith(".amp") and len(path) > len("/.amp"):
        return path[: -len(".amp")]
    if path.startswith("/amp/") and len(path) > len("/amp/"):
        path = path[len("/amp") :]
    for suffix in ("/amp/", "/amp"):
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)] + ("/" if suffix == "/amp/" else "")
    return path


def is_http_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host: the only kind we fetch."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def title_from_url(url: str) -> str:
    """A readable stand-in title from a URL's last slug (``/2024/01/nato-grows-east.html`` → ``Nato grows
    east``), for entries that list no title (sitemaps without ``<news:title>``) and unreadable pages."""
    path = urlsplit(url).path.rstrip("/")
    slug = unquote(path.rsplit("/", 1)[-1]) if path else ""
    slug = re.sub(r"\.(s?html?|php|aspx?)$", "", slug, flags=re.IGNORECASE)
    words = [w for w in re.split(r"[-_+\s]+", slug) if w and not w.isdigit()]
    if not words:
        return urlsplit(url).hostname or url
    text = " ".join(words)
    return text[:1].upper() + text[1:]
