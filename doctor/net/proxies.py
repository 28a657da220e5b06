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
2. `get_environment_proxies()` keeps only the `http`, `https` and `all` keys (prefixing
   `http://` to a value without `://`) and turns each `NO_PROXY` entry into a "no proxy"
   pattern; a `*` entry disables every proxy.
3. `Client.__init__` builds a transport for every one of those proxies (so a bad or SOCKS
   proxy breaks client construction even for URLs it would never serve), sorts the patterns
   most specific first, and each request takes the first pattern matching its URL.

httpx2 (2.16.2) differs from httpx (0.28.1) only in step 2/3 details: CIDR networks and
`*.domain` entries in `NO_PROXY`, bracketed IPv6 entries, and silently dropping entries it
cannot parse, where httpx raises `InvalidURL` from `Client()`. Both are emulated here (the
source lines are cited where each rule is implemented) and pinned against the real libraries
by tests/machine/test_proxy_emulation.py.

Everything here is pure: it takes an environment mapping and returns frozen data. Other
checks reuse `proxy_for(url, env)` to connect through the same proxy the SDK would.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote, unquote

from doctor.redact import display_url  # re-exported: config checks import it from here

STACK_HTTPX2 = "httpx2"  # openai >= 3
STACK_HTTPX = "httpx"  # openai 1.x and 2.x
STACKS = (STACK_HTTPX2, STACK_HTTPX)

# httpx2/_config.py:183 and httpx/_config.py:213: `Proxy(url)` rejects any other scheme.
SUPPORTED_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
SOCKS_SCHEMES = ("socks5", "socks5h")
# httpx2/_utils.py:42 (httpx/_utils.py:40): only these getproxies() keys become mounts.
MOUNTED_KEYS = ("http", "https", "all")
_DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}
_PORT_WHEN_ABSENT = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


class InvalidURL(ValueError):
    """A URL that httpx/httpx2 refuse to parse (same rules as their `_urlparse.urlparse`)."""


class ProxyConfigError(ValueError):
    """The proxy variables make the SDK's HTTP client fail to construct (message has no credentials)."""


# --------------------------------------------------------------------------------------------
# URL parsing, as httpx2/_urlparse.py (identical to httpx 0.28's) does it, for what matters
# here: scheme, userinfo presence, host, port and path.
# --------------------------------------------------------------------------------------------

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
    port = _normalize_port(auth.group("port"), scheme)
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


# --------------------------------------------------------------------------------------------
# Step 1: what urllib.request.getproxies_environment() returns, with where each value came from.
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Steps 2 and 3: mounts, their patterns and priority, and the first match.
# --------------------------------------------------------------------------------------------


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
class _Pattern:
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


def _compile_pattern(pattern: str, stack: str) -> _Pattern:
    if pattern and ":" not in pattern:
        raise InvalidURL(f"proxy keys need a URL form such as {pattern}://")
    url = parse_url(pattern)
    network = None
    prefix = url.path[1:] if url.path.startswith("/") else url.path
    if stack == STACK_HTTPX2 and prefix and (_is_ipv4(url.host) or _is_ipv6(url.host)):
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
    return _Pattern(pattern, scheme, host, url.port, network, regex)


def _is_ipv4(text: str) -> bool:  # httpx2/_utils.py:273 is_ipv4_hostname
    try:
        ipaddress.IPv4Address(text.split("/")[0])
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:  # httpx2/_utils.py:281 is_ipv6_hostname
    try:
        ipaddress.IPv6Address(text.split("/")[0])
    except ValueError:
        return False
    return True


def _no_proxy_pattern(entry: str, stack: str) -> Optional[str]:
    """The mount pattern one NO_PROXY entry becomes, or None when the stack ignores it."""
    if "://" in entry:
        return entry
    if _is_ipv4(entry):
        return f"all://{entry}"
    if stack == STACK_HTTPX:  # httpx/_utils.py:65-74
        if _is_ipv6(entry):
            return f"all://[{entry}]"
        if entry.lower() == "localhost":
            return f"all://{entry}"
        return f"all://*{entry}"
    # httpx2/_utils.py:64-82
    if _is_ipv6(entry):
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


def _environment_mounts(
    environment: ProxyEnvironment, stack: str,
) -> Tuple[Dict[str, Tuple[Optional[str], str]], List[str], bool]:
    """get_environment_proxies(): pattern -> (proxy URL, or None for "no proxy"; its source),
    the NO_PROXY entries this stack ignores, and whether NO_PROXY=* turned every proxy off."""
    raw: Dict[str, Tuple[Optional[str], str]] = {}
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
        pattern = _no_proxy_pattern(entry, stack)
        if pattern is None:
            ignored.append(entry)
        else:
            raw[pattern] = (None, entry)  # may replace a proxy mount with the same key
    return raw, ignored, False


def _compile_mounts(
    raw: Dict[str, Tuple[Optional[str], str]], environment: ProxyEnvironment, stack: str,
    problems: List[ProxyProblem], ignored: List[str],
) -> List[Tuple[_Pattern, Optional[ProxyConfig], str]]:
    """Client.__init__: Proxy(url) for every proxy, URLPattern(key) for every key; what fails
    is appended to `problems` or `ignored`, as each stack treats it."""
    compiled: List[Tuple[_Pattern, Optional[ProxyConfig], str]] = []
    for pattern, (value, source) in raw.items():
        config = None
        if value is not None:
            config = _proxy_config(value, source, pattern, problems)
            if config is None:
                continue
        try:
            compiled.append((_compile_pattern(pattern, stack), config, source))
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
    raw, ignored, no_proxy_all = _environment_mounts(environment, stack)
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
    return "socksio" not in {normalize_name(name) for name in installed}


def normalize_name(name: str) -> str:
    """PEP 503 project name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _major(version: str) -> Optional[int]:
    match = re.match(r"\s*(\d+)", version)
    return int(match.group(1)) if match else None
