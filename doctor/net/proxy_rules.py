"""How httpx and httpx2 turn the proxy variables into mount patterns, and which pattern serves a
URL: steps 2 and 3 of doctor.net.proxies, where the two stacks differ.

httpx2 (2.16.2) differs from httpx (0.28.1) only here: CIDR networks and `*.domain` entries in
`NO_PROXY`, bracketed IPv6 entries, the priority of networks, and silently dropping entries it
cannot parse where httpx raises `InvalidURL` from `Client()`. The source lines are cited where
each rule is implemented. Pure: strings in, frozen data out.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

from doctor.net.httpx_url import InvalidURL, ParsedURL, parse_url
from doctor.net.proxy_env import MOUNTED_KEYS, ProxyEnvironment

STACK_HTTPX2 = "httpx2"  # openai >= 3
STACK_HTTPX = "httpx"  # openai 1.x and 2.x
STACKS = (STACK_HTTPX2, STACK_HTTPX)

# pattern -> (the proxy URL, or None for "no proxy"; the variable or NO_PROXY entry it came from)
RawMounts = Dict[str, Tuple[Optional[str], str]]


@dataclass(frozen=True)
class URLPattern:
    """httpx2/_utils.py:143 `URLPattern` (httpx/_utils.py:120 without networks)."""

    pattern: str
    scheme: str
    host: str
    port: Optional[int]
    network: Optional[Union[ipaddress.IPv4Network, ipaddress.IPv6Network]]  # httpx2 only
    regex: Optional[re.Pattern[str]]

    def matches(self, url: ParsedURL) -> bool:
        if self.scheme and self.scheme != url.scheme:
            return False
        if self.network is not None:
            try:
                address = ipaddress.ip_address(url.host)
            except ValueError:
                return False
            if address not in self.network:
                return False
        elif self.host and self.regex is not None and not self.regex.match(url.host):
            return False
        if self.port is not None and self.port != url.port:
            return False
        return True

    def priority(self, stack: str) -> Tuple[int, ...]:
        port_priority = 0 if self.port is not None else 1
        scheme_priority = -len(self.scheme)
        if stack == STACK_HTTPX:  # httpx/_utils.py:206
            return (port_priority, -len(self.host), scheme_priority)
        # httpx2/_utils.py:246: exact hosts, then networks (smallest first), then no host.
        kind = 1 if self.network is not None else 0 if self.host else 2
        size = self.network.num_addresses if self.network is not None else 0
        host_priority = -len(self.host) if self.network is None else 0
        return (port_priority, kind, size, host_priority, scheme_priority)


def compile_pattern(pattern: str, stack: str) -> URLPattern:
    """`URLPattern(pattern)` of `stack`; raises InvalidURL where it raises."""
    if pattern and ":" not in pattern:
        raise InvalidURL(f"proxy keys need a URL form such as {pattern}://")
    url = parse_url(pattern)
    network = None
    prefix = url.path[1:] if url.path.startswith("/") else url.path
    if stack == STACK_HTTPX2 and prefix and (is_ipv4(url.host) or is_ipv6(url.host)):
        # httpx2/_utils.py:197: "all://10.0.0.0/8" is a network; anything odd is invalid.
        host = f"[{url.host}]" if ":" in url.host else url.host
        if "@" in pattern or "%" in pattern or not prefix.isdigit() or not pattern.endswith(f"{host}/{prefix}"):
            raise InvalidURL(f"invalid network in {pattern!r}")
        try:
            network = ipaddress.ip_network(f"{url.host}/{prefix}", strict=False)
        except ValueError:
            raise InvalidURL(f"invalid network in {pattern!r}") from None
    scheme = "" if url.scheme == "all" else url.scheme
    host = "" if url.host == "*" else url.host
    regex = None
    if network is None and url.host and url.host != "*":
        if url.host.startswith("*."):
            regex = re.compile(rf"^.+\.{re.escape(url.host[2:])}$")
        elif url.host.startswith("*"):
            regex = re.compile(rf"^(.+\.)?{re.escape(url.host[1:])}$")
        else:
            regex = re.compile(rf"^{re.escape(url.host)}$")
    return URLPattern(pattern, scheme, host, url.port, network, regex)


def is_ipv4(text: str) -> bool:  # httpx2/_utils.py:273 is_ipv4_hostname
    try:
        ipaddress.IPv4Address(text.split("/")[0])
    except ValueError:
        return False
    return True


def is_ipv6(text: str) -> bool:  # httpx2/_utils.py:281 is_ipv6_hostname
    try:
        ipaddress.IPv6Address(text.split("/")[0])
    except ValueError:
        return False
    return True


def no_proxy_pattern(entry: str, stack: str) -> Optional[str]:
    """The mount pattern one NO_PROXY entry becomes, or None when the stack ignores it."""
    if "://" in entry:
        return entry
    if is_ipv4(entry):
        return f"all://{entry}"
    if stack == STACK_HTTPX:  # httpx/_utils.py:65-74
        if is_ipv6(entry):
            return f"all://[{entry}]"
        if entry.lower() == "localhost":
            return f"all://{entry}"
        return f"all://*{entry}"
    # httpx2/_utils.py:64-82
    if is_ipv6(entry):
        if "/" in entry:
            address, _, subnet = entry.partition("/")
            return f"all://[{address}]/{subnet}"
        return f"all://[{entry}]"
    if entry.lower() == "localhost" or entry.startswith("["):
        return f"all://{entry}"
    if entry.startswith("*.") and "/" not in entry:
        return f"all://{entry}"
    if "/" not in entry:
        return f"all://*{entry}"
    return None  # e.g. "example.com/path": httpx2 skips it


def environment_mounts(environment: ProxyEnvironment, stack: str) -> Tuple[RawMounts, List[str], bool]:
    """get_environment_proxies(): pattern -> (proxy URL, or None for "no proxy"; its source),
    the NO_PROXY entries this stack ignores, and whether NO_PROXY=* turned every proxy off."""
    raw: RawMounts = {}
    for key in MOUNTED_KEYS:  # httpx2/_utils.py:42-45
        value = environment.values.get(key)
        if value:
            raw[f"{key}://"] = (value if "://" in value else f"http://{value}", environment.sources[key])
    ignored: List[str] = []
    for entry in (item.strip() for item in environment.no_proxy.split(",")):
        if entry == "*":  # httpx2/_utils.py:51: every proxy is off, nothing else is read
            return {}, [], True
        if not entry:
            continue
        pattern = no_proxy_pattern(entry, stack)
        if pattern is None:
            ignored.append(entry)
        else:
            raw[pattern] = (None, entry)  # may replace a proxy mount with the same key
    return raw, ignored, False
