"""URLs as httpx and httpx2 parse them, for what chat-doctor needs: scheme, userinfo presence,
host, port and path.

The base URL and every proxy URL reach the SDK's HTTP client as `httpx2.URL(text)` (identical
to httpx 0.28's parser); the config and net checks must reject exactly what it rejects and read
the port it reads ("+80" is 80, urlsplit refuses it). The regexes and rules cite
httpx2/_urlparse.py, where each is implemented. Pure: text in, frozen data out.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import quote, unquote

_DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}


class InvalidURL(ValueError):
    """A URL that httpx/httpx2 refuse to parse (same rules as their `_urlparse.urlparse`)."""


_URL_REGEX = re.compile(  # httpx2/_urlparse.py:96
    r"(?:(?P<scheme>([a-zA-Z][a-zA-Z0-9+.-]*)?):)?"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?"
)
_AUTHORITY_REGEX = re.compile(r"(?:(?P<userinfo>.*)@)?(?P<host>(\[.*\]|[^:@]*)):?(?P<port>.*)?")  # :115
_IPV4_STYLE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")  # :142
_IPV6_STYLE = re.compile(r"^\[.*\]$")
_HOST_SAFE = "!$&'()*+,;=" + '"`{}%|\\'  # SUB_DELIMS + WHATWG_SAFE, httpx2/_urlparse.py:364


@dataclass(frozen=True)
class ParsedURL:
    """The parts of a URL as httpx sees them. `port` is None when absent or the scheme's default."""

    scheme: str
    host: str
    port: Optional[int]
    path: str
    has_userinfo: bool = False
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)


def parse_url(text: str) -> ParsedURL:
    """Parse like `httpx2.URL(text)`; raises InvalidURL where httpx2 raises `InvalidURL`."""
    if len(text) > 65536:
        raise InvalidURL("URL too long")
    for index, char in enumerate(text):
        if char.isascii() and not char.isprintable():  # httpx2/_urlparse.py:209
            raise InvalidURL(f"contains the control character {char!r} at position {index + 1}")
    match = _URL_REGEX.match(text)
    assert match is not None  # the regex matches any string
    scheme = (match.group("scheme") or "").lower()
    authority = match.group("authority") or ""
    path = match.group("path") or ""
    auth = _AUTHORITY_REGEX.match(authority)
    assert auth is not None
    userinfo = auth.group("userinfo") or ""
    host = _encode_host(auth.group("host") or "")
    # httpx2/_urlparse.py:302 looks the default port up with the scheme as written: in
    # "Https://h:443" the port stays 443 (the scheme is lower-cased only after).
    port = _normalize_port(auth.group("port"), match.group("scheme") or "")
    has_authority = bool(userinfo) or bool(host) or port is not None
    if has_authority and path and not path.startswith("/"):  # validate_path, :406
        raise InvalidURL("for absolute URLs, the path must be empty or begin with '/'")
    if not scheme and not has_authority:
        if path.startswith("//"):
            raise InvalidURL("relative URLs cannot have a path starting with '//'")
        if path.startswith(":"):
            raise InvalidURL("relative URLs cannot have a path starting with ':'")
    if (scheme or has_authority) and not path:
        path = "/"
    username, _, password = userinfo.partition(":")
    return ParsedURL(
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        has_userinfo=bool(userinfo),
        username=unquote(username),
        password=unquote(password),
    )


def _encode_host(host: str) -> str:
    """httpx2/_urlparse.py:327 `encode_host`: validate IP literals, lower-case, percent-quote."""
    if not host:
        return ""
    if _IPV4_STYLE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise InvalidURL(f"invalid IPv4 address: {host!r}") from None
        return host
    if _IPV6_STYLE.match(host):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise InvalidURL(f"invalid IPv6 address: {host!r}") from None
        return host[1:-1]
    if host.isascii():
        return quote(host.lower(), safe=_HOST_SAFE)
    # httpx uses the `idna` package (IDNA 2008); the stdlib codec (IDNA 2003) is close enough
    # for a diagnosis, and wildcard labels are invalid in both.
    if "*" in host:
        raise InvalidURL(f"invalid IDNA hostname: {host!r}")
    try:
        return host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidURL(f"invalid IDNA hostname: {host!r}") from None


def _normalize_port(port: Optional[str], scheme: str) -> Optional[int]:
    """httpx2/_urlparse.py:374: any `int()`-able text is a port; the scheme's default becomes None."""
    if port is None or port == "":
        return None
    try:
        number = int(port)
    except ValueError:
        # Not quoted: after a missing `@` the "port" is the rest of user:password:host:port.
        raise InvalidURL("invalid port (not a number)") from None
    return None if number == _DEFAULT_PORTS.get(scheme) else number


def port_problem(parsed: ParsedURL) -> Optional[str]:
    """Why nothing can connect to the URL's port, or None.

    httpx accepts any `int()`-able port (-1, 0, 99999); the connection then fails, for 99999 with
    `OverflowError: port must be 0-65535` rather than a network error, and port 0 is refused.
    """
    if parsed.port is None or 1 <= parsed.port <= 65535:
        return None
    return f"has the port {parsed.port}, outside 1-65535"
