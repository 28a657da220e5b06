"""Which proxy the openai SDK will use for a URL, read from the environment exactly as its HTTP stack does.

The openai SDK never reads proxy variables itself: its HTTP client does, with `trust_env=True`
(the default). openai 1.x/2.x use `httpx`, openai 3.x uses `httpx2`; both do the same thing
at client construction:

1. `urllib.request.getproxies()` (stdlib, identical in CPython 3.7-3.13) collects every
   `<scheme>_proxy` variable in any case; empty values are skipped; then a second pass over
   the names whose suffix is exactly lowercase `_proxy` lets them win, and an *empty* one of
   those removes the scheme again (`http_proxy=` unsets `HTTP_PROXY`). When `REQUEST_METHOD`
   is set (a CGI script), `HTTP_PROXY` in upper case is dropped (CVE-2016-1000110). On macOS
   and Windows, when no variable is set at all, the system proxy settings are used instead.
   (doctor.net.proxy_env)
2. `get_environment_proxies()` keeps only the `http`, `https` and `all` keys (prefixing
   `http://` to a value without `://`) and turns each `NO_PROXY` entry into a "no proxy"
   pattern; a `*` entry disables every proxy. (doctor.net.proxy_rules)
3. `Client.__init__` builds a transport for every one of those proxies (so a bad or SOCKS
   proxy breaks client construction even for URLs it would never serve), sorts the patterns
   most specific first, and each request takes the first pattern matching its URL. (here)

httpx2 (2.16.2) differs from httpx (0.28.1) only in step 2/3 details: CIDR networks and
`*.domain` entries in `NO_PROXY`, bracketed IPv6 entries, and silently dropping entries it
cannot parse, where httpx raises `InvalidURL` from `Client()`. Both are emulated (the source
lines are cited where each rule is implemented) and pinned against the real libraries by
tests/machine/test_proxy_emulation.py. URLs are parsed as httpx parses them
(doctor.net.httpx_url).

Everything here is pure: it takes an environment mapping and returns frozen data. This module
is the one the rest of chat-doctor imports: it re-exports the names of the modules above. Other
checks reuse `proxy_for(url, env)` to connect through the same proxy the SDK would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Tuple

from doctor.net.httpx_url import InvalidURL, ParsedURL, parse_url, port_problem
from doctor.net.proxy_env import MOUNTED_KEYS, ProxyEnvironment, ProxyVariable, read_proxy_environment
from doctor.net.proxy_rules import (
    STACK_HTTPX,
    STACK_HTTPX2,
    STACKS,
    RawMounts,
    URLPattern,
    compile_pattern,
    environment_mounts,
)
from doctor.redact import display_url  # re-exported: config checks import it from here

__all__ = [
    "MOUNTED_KEYS", "SOCKS_SCHEMES", "STACKS", "STACK_HTTPX", "STACK_HTTPX2", "SUPPORTED_PROXY_SCHEMES",
    "InvalidURL", "ParsedURL", "ProxyConfig", "ProxyConfigError", "ProxyDecision", "ProxyEnvironment",
    "ProxyProblem", "ProxyVariable", "display_url", "parse_url", "port_problem", "proxy_for",
    "read_proxy_environment", "resolve_proxy", "socks_support_missing", "stack_for",
]

# httpx2/_config.py:183 and httpx/_config.py:213: `Proxy(url)` rejects any other scheme.
SUPPORTED_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
SOCKS_SCHEMES = ("socks5", "socks5h")
_PORT_WHEN_ABSENT = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


class ProxyConfigError(ValueError):
    """The proxy variables make the SDK's HTTP client fail to construct (message has no credentials)."""


@dataclass(frozen=True)
class ProxyConfig:
    """A proxy the SDK will route through. `url` is normalised as httpx does and keeps credentials."""

    url: str = field(repr=False)  # e.g. "http://user:pw@proxy:3128": never print; use `.shown`
    variable: str  # the environment variable it came from
    mount: str  # the httpx mount key: "http://", "https://" or "all://"
    scheme: str
    host: str
    port: Optional[int]  # as given; None when absent or the scheme's default

    @property
    def shown(self) -> str:
        return display_url(self.url)

    @property
    def is_socks(self) -> bool:
        return self.scheme in SOCKS_SCHEMES

    @property
    def has_credentials(self) -> bool:
        return parse_url(self.url).has_userinfo

    @property
    def auth(self) -> Optional[Tuple[str, str]]:
        """(username, password) as httpx sends them in Proxy-Authorization, or None."""
        parsed = parse_url(self.url)
        return (parsed.username, parsed.password) if parsed.has_userinfo else None

    @property
    def effective_port(self) -> Optional[int]:
        return self.port if self.port is not None else _PORT_WHEN_ABSENT.get(self.scheme)


@dataclass(frozen=True)
class ProxyProblem:
    """A proxy setting that is broken. `breaks_client`: the SDK's `OpenAI()` itself raises."""

    variable: str
    message: str
    breaks_client: bool
    kind: str  # "invalid", "unsupported_scheme", "missing_host", "invalid_port", "no_proxy_entry"


@dataclass(frozen=True)
class ProxyDecision:
    """What the SDK's HTTP client does for one URL under one environment."""

    url: str
    stack: str
    environment: ProxyEnvironment
    proxy: Optional[ProxyConfig]  # the proxy requests to `url` go through; None: direct
    reason: str  # one sentence: which variable applies, or why none does
    exempted_by: Optional[str] = None  # the NO_PROXY entry that exempts the URL
    no_proxy_all: bool = False  # NO_PROXY contains "*": every proxy is off
    proxies: Tuple[ProxyConfig, ...] = ()  # every proxy the client mounts
    problems: Tuple[ProxyProblem, ...] = ()
    ignored_no_proxy: Tuple[str, ...] = ()  # entries the stack drops without a word
    url_error: Optional[str] = None  # `url` itself does not parse

    @property
    def breaks_client(self) -> bool:
        return any(p.breaks_client for p in self.problems)


def _compile_mounts(
    raw: RawMounts, environment: ProxyEnvironment, stack: str,
    problems: List[ProxyProblem], ignored: List[str],
) -> List[Tuple[URLPattern, Optional[ProxyConfig], str]]:
    """Client.__init__: Proxy(url) for every proxy, URLPattern(key) for every key; what fails
    is appended to `problems` or `ignored`, as each stack treats it."""
    compiled: List[Tuple[URLPattern, Optional[ProxyConfig], str]] = []
    for pattern, (value, source) in raw.items():
        config = None
        if value is not None:
            config = _proxy_config(value, source, pattern, problems)
            if config is None:
                continue
        try:
            compiled.append((compile_pattern(pattern, stack), config, source))
        except InvalidURL as exc:
            if stack == STACK_HTTPX2:
                ignored.append(source)  # httpx2/_utils.py:86: dropped, "like curl and Go"
            else:  # httpx builds URLPattern(key) in Client.__init__ and lets InvalidURL out
                problems.append(
                    ProxyProblem(
                        environment.sources.get("no", "NO_PROXY"),
                        f"NO_PROXY entry {source!r} is not a valid pattern for httpx ({exc})",
                        breaks_client=True,
                        kind="no_proxy_entry",
                    )
                )
    return compiled


def resolve_proxy(url: str, env: Mapping[str, str], *, stack: str = STACK_HTTPX2) -> ProxyDecision:
    """Decide, as `httpx2.Client()` (or `httpx.Client()`) would, which proxy serves `url`."""
    if stack not in STACKS:
        raise ValueError(f"unknown HTTP stack {stack!r}")
    environment = read_proxy_environment(env)
    raw, ignored, no_proxy_all = environment_mounts(environment, stack)
    problems: List[ProxyProblem] = []
    compiled = _compile_mounts(raw, environment, stack, problems, ignored)
    compiled.sort(key=lambda item: item[0].priority(stack))  # stable, like sorted(dict.items())
    proxies = tuple(config for _, config, _ in compiled if config is not None)

    try:
        target = parse_url(url)
    except InvalidURL as exc:
        return ProxyDecision(
            url, stack, environment, None, f"cannot decide: the URL does not parse ({exc})",
            no_proxy_all=no_proxy_all, proxies=proxies, problems=tuple(problems),
            ignored_no_proxy=tuple(ignored), url_error=str(exc),
        )

    for pattern, config, source in compiled:
        if not pattern.matches(target):
            continue
        if config is None:
            variable = environment.sources.get("no", "NO_PROXY")
            return ProxyDecision(
                url, stack, environment, None, f"{variable} entry {source!r} exempts {target.host}",
                exempted_by=source, proxies=proxies, problems=tuple(problems), ignored_no_proxy=tuple(ignored),
            )
        return ProxyDecision(
            url, stack, environment, config,
            f"{config.variable} applies to {target.scheme}:// URLs" if config.mount != "all://"
            else f"{config.variable} applies to every URL without a more specific proxy",
            proxies=proxies, problems=tuple(problems), ignored_no_proxy=tuple(ignored),
        )
    if no_proxy_all:
        reason = f"{environment.sources.get('no', 'NO_PROXY')}=* turns every proxy off"
    elif not environment.configured:
        reason = "no proxy configured"
    else:
        reason = f"no proxy variable covers {target.scheme}:// URLs"
    return ProxyDecision(
        url, stack, environment, None, reason, no_proxy_all=no_proxy_all, proxies=proxies,
        problems=tuple(problems), ignored_no_proxy=tuple(ignored),
    )


def _proxy_config(url: str, variable: str, mount: str, problems: List[ProxyProblem]) -> Optional[ProxyConfig]:
    """`httpx2.Proxy(url)` (httpx2/_config.py:171): None plus a problem when it would raise."""
    shown = display_url(url)
    try:
        parsed = parse_url(url)
    except InvalidURL as exc:
        problems.append(ProxyProblem(variable, f"{variable}={shown} does not parse: {exc}", True, "invalid"))
        return None
    if parsed.scheme not in SUPPORTED_PROXY_SCHEMES:
        hint = " (SOCKS works only as socks5:// or socks5h://)" if parsed.scheme.startswith("socks") else ""
        problems.append(
            ProxyProblem(
                variable,
                f"{variable}={shown}: unsupported proxy scheme {parsed.scheme or '(none)'!r}{hint}",
                True,
                "unsupported_scheme",
            )
        )
        return None
    if not parsed.host:
        # Accepted by Proxy(); fails only when a request goes through it.
        problems.append(ProxyProblem(variable, f"{variable}={shown} has no host", False, "missing_host"))
    bad_port = port_problem(parsed)
    if bad_port:  # accepted by Proxy() too; every connection through it fails
        problems.append(ProxyProblem(variable, f"{variable}={shown} {bad_port}", False, "invalid_port"))
    return ProxyConfig(url=url, variable=variable, mount=mount, scheme=parsed.scheme, host=parsed.host, port=parsed.port)


def proxy_for(url: str, env: Mapping[str, str], *, stack: str = STACK_HTTPX2) -> Optional[ProxyConfig]:
    """The proxy the SDK uses for `url` under `env`, or None for a direct connection.

    Raises ProxyConfigError when the proxy settings make the SDK's client fail to construct
    (a bad proxy URL, an unsupported scheme, an unparsable NO_PROXY entry under httpx) or
    when the proxy that applies has no host: connecting "directly" instead would hide what
    the SDK will do. The message never contains proxy credentials.
    """
    decision = resolve_proxy(url, env, stack=stack)
    for problem in decision.problems:
        if problem.breaks_client or (decision.proxy is not None and problem.variable == decision.proxy.variable):
            raise ProxyConfigError(problem.message)
    return decision.proxy


def stack_for(installed: Optional[Mapping[str, str]]) -> Tuple[str, str]:
    """(stack, why): which HTTP library the target's openai uses, from name -> version."""
    if not installed:
        return STACK_HTTPX2, "assumed httpx2 (the target's packages are unknown; openai >= 3 uses it)"
    from doctor.probe.facts import normalize_name  # ~10 ms of dataclasses: not on the way to the first request

    packages = {normalize_name(name): version for name, version in installed.items()}
    version = packages.get("openai")
    if version is None:
        return STACK_HTTPX2, "assumed httpx2 (openai is not installed in the target; openai >= 3 uses it)"
    major = _major(version)
    if major is not None and major < 3:
        return STACK_HTTPX, f"openai {version} uses httpx"
    return STACK_HTTPX2, f"openai {version} uses httpx2"


def socks_support_missing(installed: Mapping[str, str]) -> bool:
    """True when neither stack could open a SOCKS proxy: `socksio` is not installed.

    httpx2/_transports/default.py:180-187 and httpx/_transports/default.py:187-194 both
    `import socksio` when they build a socks5/socks5h transport and raise ImportError if it
    is missing; the extras `httpx2[socks]` / `httpx[socks]` install exactly `socksio==1.*`.
    """
    from doctor.probe.facts import normalize_name  # ~10 ms of dataclasses: not on the way to the first request

    return "socksio" not in {normalize_name(name) for name in installed}


def _major(version: str) -> Optional[int]:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version).major
    except InvalidVersion:
        return None
