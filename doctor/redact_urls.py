"""Showing a proxy or base URL without its credentials: `display_url` masks `user:password@`
(also in mistyped URLs) and credential-looking query values, and `url_credentials` lists those
values so the run's Redactor scrubs them wherever else they are echoed.

Split from doctor.redact, which re-exports both names. Pure: text in, text out.
"""

from __future__ import annotations

import re
from typing import List, Tuple

_CREDENTIAL_NAMES = re.compile(
    r"(key|token|secret|passw|pwd|auth|sig|signature|credential|session|code)", re.IGNORECASE
)


def _looks_like_credential(name: str, value: str) -> bool:
    """A query parameter that carries a secret: by its name (`api-key`, `access_token`, `sig`),
    or by its value (an `sk-` key, or a long random-looking token)."""
    if not value:
        return False
    if _CREDENTIAL_NAMES.search(name):
        return True
    if value.startswith("sk-"):  # every OpenAI key prefix (doctor.redact) starts so
        return True
    return len(value) >= 24 and bool(re.fullmatch(r"[A-Za-z0-9_\-.+/=%]+", value)) \
        and bool(re.search(r"[A-Za-z]", value)) and bool(re.search(r"\d", value))


def _mask_query(query: str) -> str:
    parts = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        parts.append(f"{name}{sep}***" if sep and _looks_like_credential(name, value) else pair)
    return "&".join(parts)


def url_credentials(value: str) -> Tuple[str, ...]:
    """The credential-looking query and fragment values of a URL (`?api-key=...`), to scrub them
    wherever they may be echoed."""
    found: List[str] = []
    for part in _query_and_fragment(value):
        for pair in part.split("&"):
            name, sep, item = pair.partition("=")
            if sep and _looks_like_credential(name, item):
                found.append(item)
    return tuple(found)


def _query_and_fragment(value: str) -> Tuple[str, ...]:
    query_at = value.find("?")
    fragment_at = value.find("#")
    parts = []
    if query_at >= 0 and (fragment_at < 0 or query_at < fragment_at):
        parts.append(value[query_at + 1 : fragment_at if fragment_at >= 0 else len(value)])
    if fragment_at >= 0:
        parts.append(value[fragment_at + 1 :])
    return tuple(parts)


_PATH_USERINFO = re.compile(r"(?<=/)[^/?#]*:[^/?#]*@")  # up to a segment's last `@`, as in the authority
_SCHEME = re.compile(r"[^?#@]*?://+")  # the first `://` before any `@`, `?` or `#`
_SCHEME_TYPO = re.compile(r"(?:[^:/?#@]*:(?=/))?/*")  # `http:/`, or leading slashes


def _authority_start(value: str) -> int:
    """Where the `user:password@host:port` part of a URL-ish value starts: after its `scheme://`
    (and any further slashes), after the typo `scheme:/`, after leading slashes (`//u:p@h`),
    else at 0 (`u:p@h:3128`). A `://` further on (`u:p@h/?next=http://x`) is not the scheme's."""
    match = _SCHEME.match(value) or _SCHEME_TYPO.match(value)
    return match.end() if match else 0


def display_url(value: str) -> str:
    """A proxy or base URL as it may be shown: credentials replaced by `***`, controls escaped.

    Works on values that do not parse, and finds the credentials the way httpx does (up to
    the *last* `@` of the authority), so a password containing `@` is hidden whole. Query and
    fragment values that look like credentials (`?api-key=sk-...`) are masked too.
    """
    start = _authority_start(value)
    end = len(value)
    for stop in "/?#":
        found = value.find(stop, start)
        if found >= 0:
            end = min(end, found)
    at = value.rfind("@", start, end)
    if at >= 0:
        value = value[:start] + "***" + value[at:]
    elif value.count(":", start, end) >= 2 and not value.startswith("[", start):
        # user:password:host:port with the `@` forgotten: where the password ends is unknowable,
        # so the whole authority is hidden.
        value = value[:start] + "***" + value[end:]
    fragment_at = value.find("#")
    head, fragment = (value[:fragment_at], value[fragment_at + 1 :]) if fragment_at >= 0 else (value, None)
    query_at = head.find("?")
    path_end = query_at if query_at >= 0 else len(head)
    # A `user:password@` in the path is a typo's or a guess's (`https://` put before
    # `http:/u:p@h`): hidden too.
    head = _PATH_USERINFO.sub("***@", head[:path_end]) + head[path_end:]
    query_at = head.find("?")
    if query_at >= 0:
        head = head[: query_at + 1] + _mask_query(head[query_at + 1 :])
    value = head if fragment is None else f"{head}#{_mask_query(fragment)}"
    if any(char.isascii() and not char.isprintable() for char in value):
        value = value.encode("unicode_escape").decode("ascii")
    return value
