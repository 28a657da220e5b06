"""Which proxy variables the SDK's HTTP client reads: step 1 of doctor.net.proxies.

`urllib.request.getproxies_environment()` (stdlib, identical in CPython 3.7-3.13), which httpx
and httpx2 call with `trust_env=True`, is emulated here with a record of where each value came
from, so config.proxy can say which variable won and why the others did not. Pure: an
environment mapping in, frozen data out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Tuple

from doctor.redact import display_url

# httpx2/_utils.py:42 (httpx/_utils.py:40): only these getproxies() keys become mounts.
MOUNTED_KEYS = ("http", "https", "all")


@dataclass(frozen=True)
class ProxyVariable:
    """One `*_proxy` variable that httpx/httpx2 look at, and whether it is the one in effect."""

    name: str
    key: str  # "http", "https", "all" or "no"
    value: str = field(repr=False)  # may hold a password: show `.shown`
    in_effect: bool = False
    note: str = ""  # why it is not in effect, when it is not

    @property
    def shown(self) -> str:
        return display_url(self.value) if self.key != "no" else self.value


@dataclass(frozen=True)
class ProxyEnvironment:
    """The proxy settings the stdlib hands to httpx: key -> value, and which variable won."""

    values: Mapping[str, str] = field(repr=False)
    sources: Mapping[str, str]
    variables: Tuple[ProxyVariable, ...]

    @property
    def no_proxy(self) -> str:
        return self.values.get("no", "")

    @property
    def configured(self) -> bool:
        return any(self.values.get(key) for key in MOUNTED_KEYS)


def read_proxy_environment(env: Mapping[str, str]) -> ProxyEnvironment:
    """Emulate `urllib.request.getproxies_environment()` (CPython 3.7-3.13, same semantics)."""
    values: Dict[str, str] = {}
    sources: Dict[str, str] = {}
    relevant: List[Tuple[str, str, str]] = []
    # First pass: any case, non-empty values; a later variable of the same key wins.
    for name, value in env.items():
        if len(name) > 5 and name[-6] == "_" and name[-5:].lower() == "proxy":
            key = name[:-6].lower()
            relevant.append((name, value, key))
            if value:
                values[key], sources[key] = value, name
    cgi = "REQUEST_METHOD" in env
    if cgi and "http" in values:
        del values["http"], sources["http"]
    # Second pass: names ending in lower-case `_proxy` win; an empty one removes the key.
    for name, value, key in relevant:
        if name.endswith("_proxy"):
            if value:
                values[key], sources[key] = value, name
            else:
                values.pop(key, None)
                sources[key] = name  # the empty variable is what decided
    variables = []
    for name, value, key in relevant:
        if key not in MOUNTED_KEYS + ("no",):
            continue  # ftp_proxy and friends: httpx never mounts them
        winner = sources.get(key)
        if winner == name and key in values:
            variables.append(ProxyVariable(name, key, value, in_effect=True))
            continue
        if not value and winner == name:
            note = f"empty: a lower-case {name}= removes every {key.upper()}_PROXY"
        elif not value:
            note = "empty: ignored"
        elif cgi and key == "http" and not name.endswith("_proxy"):
            note = "ignored because REQUEST_METHOD is set (CGI, CVE-2016-1000110)"
        else:
            note = f"overridden by {winner}" if winner else "ignored"
        variables.append(ProxyVariable(name, key, value, in_effect=False, note=note))
    kept = {k: v for k, v in values.items() if k in MOUNTED_KEYS + ("no",)}
    return ProxyEnvironment(
        values=kept,
        sources={k: v for k, v in sources.items() if k in MOUNTED_KEYS + ("no",)},
        variables=tuple(variables),
    )


def socks_variables(env: Mapping[str, str]) -> List[str]:
    """The proxy variables that hold a SOCKS proxy, in both spellings: a pip command must run
    without them (pip cannot use a SOCKS proxy: "Missing dependencies for SOCKS support")."""
    return both_spellings(name for name, value in env.items()
                          if name.lower().endswith("_proxy") and name.lower() != "no_proxy"
                          and value.strip().lower().startswith("socks"))


def both_spellings(names: Iterable[str]) -> List[str]:
    """Each name upper- and lower-case, once, in order: `env -u` must remove the one urllib
    reads as well as the one the user set (doctor.net.proxy_env: any case counts)."""
    spellings: List[str] = []
    for name in names:
        for spelling in (name.upper(), name.lower()):
            if spelling not in spellings:
                spellings.append(spelling)
    return spellings
