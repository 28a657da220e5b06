"""Checks of the `config` group: the base URL and the proxy, as the SDK will see them (config.api_key
has its own module, doctor/checks/config_api_key.py; this one is split next).

None of these touch the network. Each check reads `ctx.settings` / `ctx.plan`, gathers with
the pure readers in doctor.credentials and doctor.net.proxies, and hands plain data to a pure
`judge_*` function that returns the CheckResult (unit-tested from data in
tests/pure/test_config_rules.py). A check may find several problems: the most severe one (first
in the order they are listed) names the result's code; the others are listed in its details
with their own fixes.

The key never enters a result: only `key_shape()`, its length, prefix kind, variable name
and the positions/names of bad characters do.
"""

from __future__ import annotations

import re
import shlex
import sys
import unicodedata
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit, urlunsplit

from doctor.checks.findings import Finding, combine
from doctor.endpoint import EndpointConfig, azure_v1_api
from doctor.knowledge.diagnoses import ok
from doctor.knowledge.wording.config import WS_NAMES
from doctor.model import CheckResult, Fix, Status
from doctor.net.loopback import is_loopback_host
from doctor.net.proxies import (
    STACK_HTTPX,
    InvalidURL,
    ProxyDecision,
    display_url,
    parse_url,
    port_problem,
    resolve_proxy,
    socks_support_missing,
    stack_for,
)
from doctor.runner import Check, Context, FactProvider

BASE_URL, PROXY = "config.base_url", "config.proxy"


# =============================================================================================
# config.base_url
# =============================================================================================

_VERSION_SEGMENT = re.compile(r"^v\d+[a-z0-9]*$", re.IGNORECASE)  # v1, v1beta, v2alpha1
_ENDPOINT_SUFFIXES = ("/chat/completions", "/completions", "/responses", "/embeddings", "/models")


def judge_base_url(endpoint: EndpointConfig, *, allow_insecure: bool = False) -> CheckResult:
    """config.base_url from the resolved endpoint (pure)."""
    url = endpoint.base_url
    shown = display_url(url) if url else '""'
    data: Dict[str, Any] = {"base_url": shown, "source": endpoint.source, "kind": endpoint.kind}
    where = f"({endpoint.source}, {endpoint.kind})"
    variable = "OPENAI_BASE_URL" if endpoint.source == "default" else endpoint.source

    if url == "":
        return combine(BASE_URL, [Finding(
            "base_url_empty",
            f"{endpoint.source} is set but empty",
            (("The SDK uses the empty string as the base URL (it does not fall back to the default), so every "
             "request fails with `APIConnectionError: Connection error.` (cause: UnsupportedProtocol: Request URL is "
             "missing an 'http://' or 'https://' protocol)."),),
            (Fix("Unset it to use https://api.openai.com/v1", "unset OPENAI_BASE_URL") if endpoint.source == "OPENAI_BASE_URL"
             else Fix("Pass a full URL, e.g. --base-url https://api.openai.com/v1"),
             _url_fix("Or set your server's full URL", variable, "http://localhost:8000/v1")),
        )], "", data=data)

    findings: List[Finding] = []
    invalid = _invalid_url(url, variable)
    if invalid is not None:
        return combine(BASE_URL, [invalid], "", data=data)
    parsed = parse_url(url)
    data.update({"scheme": parsed.scheme, "host": parsed.host, "port": parsed.port, "path": parsed.path})

    if parsed.has_userinfo:
        findings.append(Finding(
            "base_url_invalid",
            f"{variable} contains credentials ({shown})",
            (("httpx turns user:password@ in the URL into a Basic Authorization header that replaces the SDK's "
             "Bearer key, so the API key is never sent and the server answers 401; the password also shows up in logs."),),
            (Fix("Remove user:password@ from the URL and use the API key instead"),),
        ))

    if urlsplit(url).query and endpoint.kind != "azure":
        findings.append(Finding(
            "base_url_invalid",
            f"{variable} has a query string ({shown})",
            (("The SDK appends every endpoint after the whole URL, query included (verified with openai 3.57.0: "
             "`…/v1?x=1` requests `…/v1/?x=1models`), so no request reaches the API."),),
            (_url_fix("Drop the query from the base URL; pass query parameters with the client's `default_query=`",
                      variable, urlunsplit(urlsplit(url)._replace(query="", fragment=""))),),
        ))

    loopback = is_loopback_host(parsed.host)
    if parsed.scheme == "http" and not loopback:
        findings.append(Finding(
            "base_url_insecure",
            f"{shown} is plain http:// to {parsed.host}, which is not this machine: the API key would travel in clear text"
            + (" (allowed by --allow-insecure)" if allow_insecure else ""),
            ("Anyone on the network path can read the key from the Authorization header.",)
            + (("--allow-insecure was given, so this is a warning instead of a failure.",) if allow_insecure else
               ("chat-doctor refuses to send the key there unless you pass --allow-insecure.",)),
            (_url_fix("Use https:// if the server supports it", variable, _with_scheme(url, "https")),
             Fix("If this is your own server on a trusted network, accept the risk explicitly: chat-doctor check --allow-insecure")),
            status=Status.WARN if allow_insecure else None,
        ))

    path = parsed.path.rstrip("/")
    if path.endswith(_ENDPOINT_SUFFIXES):
        suffix = next(s for s in _ENDPOINT_SUFFIXES if path.endswith(s))
        trimmed = _with_path(url, path[: -len(suffix)])
        findings.append(Finding(
            "base_url_endpoint_path",
            f"{shown} ends with the endpoint path {suffix}",
            (f"The SDK appends the endpoint itself, so chat requests go to {path}/chat/completions and get 404.",),
            (_url_fix("Cut the URL after the version segment", variable, trimmed),),
        ))

    if endpoint.kind == "azure":
        findings.extend(_azure_findings(endpoint, parsed.path))
    elif not any(_VERSION_SEGMENT.match(segment) for segment in parsed.path.split("/")):
        findings.append(Finding(
            "base_url_no_version",
            f"{shown} has no /v1-style version segment",
            (("The SDK appends /chat/completions and /models directly to the base URL; vLLM, llama.cpp, Ollama, "
             "LM Studio and api.openai.com serve them under /v1 and answer 404 otherwise."),
             "Some providers serve the API at the root (e.g. Perplexity); ignore this warning for those."),
            (_url_fix("Append /v1", variable, _with_path(url, parsed.path.rstrip("/") + "/v1")),),
        ))

    summary = f"{shown} {where}"
    details = []
    if endpoint.kind == "azure" and endpoint.api_version:
        details.append(f"api-version {endpoint.api_version} (OPENAI_API_VERSION)")
        data["api_version"] = endpoint.api_version
    return combine(BASE_URL, findings, summary, details=details, data=data)


def _invalid_url(url: str, variable: str) -> Optional[Finding]:
    """The first reason `url` cannot work as a base URL, or None."""
    def bad(reason: str, effect: str, *fixes: Fix) -> Finding:
        return Finding(
            "base_url_invalid",
            f"{variable} {reason}",
            (effect,),
            fixes or (_url_fix("Set a full URL", variable, "https://api.openai.com/v1"),),
        )

    shown = display_url(url)
    whitespace = [(i, ch) for i, ch in enumerate(url) if ch.isspace()]
    if whitespace:
        i, ch = whitespace[0]
        name = WS_NAMES.get(ch, unicodedata.name(ch, "whitespace").lower())
        position = "ends with" if i == len(url.rstrip()) and url[i:].isspace() else "starts with" if i == 0 else "contains"
        at = "" if position != "contains" else f" at position {i + 1}"
        effect = (
            "The SDK cannot use it: a leading space hides the scheme (UnsupportedProtocol), a control character "
            "makes httpx raise InvalidURL, a trailing space becomes part of every request path (/v1%20/models -> 404)."
        )
        return bad(f"{position} a {name}{at}: {shown!r}", effect,
                   Fix("Set it again without whitespace", f"export {variable}=\"$(printf %s \"${variable}\" | tr -d '[:space:]')\"")
                   if variable.isidentifier() else Fix("Pass the URL without whitespace"))
    if "://" not in url:
        guess = _with_scheme(url, "http" if is_loopback_host(_host_guess(url)) else "https")
        return bad(
            f"has no scheme: {shown}",
            "The SDK fails every request with `APIConnectionError: Connection error.` (cause: UnsupportedProtocol: "
            "Request URL is missing an 'http://' or 'https://' protocol).",
            _url_fix("Add the scheme", variable, guess),
        )
    try:
        parsed = parse_url(url)
    except InvalidURL as exc:
        return bad(f"does not parse: {shown} ({exc})", "httpx raises InvalidURL for every request.")
    if parsed.scheme not in ("http", "https"):
        return bad(
            f"uses the scheme {parsed.scheme!r}: {shown}",
            "The SDK speaks only http:// and https://; anything else fails with UnsupportedProtocol.",
            _url_fix("Use https:// (or http:// for a server on this machine)", variable, _with_scheme(url, "https")),
        )
    if not parsed.host:
        return bad(f"has no host: {shown}", "There is nothing to connect to; every request fails.")
    bad_port = port_problem(parsed)
    if bad_port:
        return bad(f"{bad_port}: {shown}",
                   "Nothing can connect to it: the SDK fails every request (`OverflowError: port must be 0-65535`, "
                   "or a refused connection for port 0).",
                   _url_fix("Use the port the server listens on", variable, _with_port(url, 8000)))
    return None


def _url_fix(text: str, variable: str, url: str) -> Fix:
    """A fix that sets the base URL to `url`, safe to paste: shell-quoted, for the variable it came
    from (or chat-doctor's own flag), and never printing a credential the URL holds: then the
    text shows the masked URL and says what to put back, with no command to paste."""
    shown = display_url(url)
    if shown != url:  # user:password@, a credential in the query, or control characters
        return Fix(f"{text}: {shown} (with your credentials where *** stands)")
    if variable.isidentifier():
        return Fix(text, f"export {variable}={shlex.quote(url)}")
    return Fix(text, f"chat-doctor check --base-url {shlex.quote(url)}")


def _with_path(url: str, path: str) -> str:
    """`url` with its path replaced, query and fragment kept (urlsplit, so ?a=1 is not the path)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _with_port(url: str, port: int) -> str:
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    host = authority.rsplit(":", 1)[0]
    return f"{scheme}://{host}:{port}{slash}{path}"


def _host_guess(url: str) -> str:
    return re.split(r"[:/]", url, maxsplit=1)[0]


def _with_scheme(url: str, scheme: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else url
    return f"{scheme}://{rest}"


def _azure_findings(endpoint: EndpointConfig, path: str) -> List[Finding]:
    findings: List[Finding] = []
    if azure_v1_api(endpoint.base_url):
        return findings  # the /openai/v1 API uses the plain OpenAI() client: no api-version
    if not endpoint.api_version:
        findings.append(Finding(
            "azure_api_version_missing",
            "OPENAI_API_VERSION is not set" + (" (it is empty)" if endpoint.api_version == "" else ""),
            (("AzureOpenAI() raises `ValueError: Must provide either the api_version argument or the "
             "OPENAI_API_VERSION environment variable` before any request."),
             ("Alternatively use Azure's OpenAI-compatible https://<resource>.openai.azure.com/openai/v1/ base URL "
             "with the plain OpenAI() client, which needs no api-version.")),
            (Fix("Set the API version your deployment supports (2024-10-21 is GA)", "export OPENAI_API_VERSION=2024-10-21"),),
        ))
    if endpoint.source == "AZURE_OPENAI_ENDPOINT" and "/openai" in path:
        findings.append(Finding(
            "base_url_invalid",
            "AZURE_OPENAI_ENDPOINT already contains /openai",
            (("AzureOpenAI appends /openai (and /deployments/<name>) to the resource endpoint itself, so requests go to "
             ".../openai/openai/... and get 404."),),
            (Fix("Use just the resource URL", "export AZURE_OPENAI_ENDPOINT=https://<resource>.openai.azure.com/"),),
        ))
    return findings


def _check_base_url(ctx: Context) -> CheckResult:
    return judge_base_url(_endpoint(ctx), allow_insecure=ctx.settings.allow_insecure)


# =============================================================================================
# config.proxy
# =============================================================================================


def _problem_findings(decision: ProxyDecision, host: Optional[str]) -> List[Finding]:
    """One proxy_invalid finding per unusable proxy setting, with what it breaks."""
    findings: List[Finding] = []
    for problem in decision.problems:
        applies = decision.proxy is not None and decision.proxy.variable == problem.variable
        if problem.breaks_client:
            library = "httpx.Client()" if decision.stack == STACK_HTTPX else "httpx2.Client()"
            raised = {"unsupported_scheme": "ValueError: Unknown scheme for proxy URL", "invalid": "InvalidURL",
                      "no_proxy_entry": "InvalidURL"}.get(problem.kind, "an exception")
            effect = (
                f"{library} builds every proxy (and NO_PROXY pattern) when the openai client is created, so OpenAI() "
                f"raises {raised} for every endpoint, including ones this setting would not apply to."
            )
        elif applies:
            effect = "Requests through it fail to connect."
        else:
            effect = f"It does not apply to {host}, but breaks the requests it does apply to."
        unset = f"unset {problem.variable}" if problem.kind != "no_proxy_entry" else None
        findings.append(Finding(
            "proxy_invalid",
            problem.message,
            (effect,),
            (Fix(f"Fix {problem.variable} (e.g. http://proxy.example.com:3128) or unset it", unset),),
            status=None if problem.breaks_client or applies else Status.WARN,
        ))
    return findings


def judge_proxy(
    decision: ProxyDecision,
    endpoint: EndpointConfig,
    *,
    installed: Optional[Mapping[str, str]] = None,
    stack_note: str = "",
    packages_note: str = "",
    platform: str = sys.platform,
    python: str = "python",
) -> CheckResult:
    """config.proxy from the proxy decision for the endpoint (pure).

    `installed` is the target interpreter's distributions (name -> version), None when the
    interpreter could not be inspected; it decides whether SOCKS works.
    """
    environment = decision.environment
    variables = [
        {"name": v.name, "value": v.shown, "in_effect": v.in_effect, "note": v.note or None}
        for v in environment.variables
    ]
    data: Dict[str, Any] = {
        "variables": variables,
        "stack": decision.stack,
        "applies": None,
        "exempted_by": decision.exempted_by,
        "no_proxy_all": decision.no_proxy_all,
    }
    if not environment.variables:
        details = []
        if platform in ("darwin", "win32"):
            system = "macOS network settings" if platform == "darwin" else "the Windows registry (Internet Options)"
            details.append(f"With no proxy variable set, the SDK's HTTP client also uses the proxy from {system}; not inspected.")
        return ok(PROXY, "no proxy configured", details=details, data=data)

    host = parse_url(endpoint.base_url).host if decision.url_error is None else None
    details = [
        f"{v.name}={v.shown}" + ("" if v.in_effect else f"  ({v.note})") for v in environment.variables
    ]
    details.append(f"Rules of {decision.stack}" + (f": {stack_note}" if stack_note else ""))
    if decision.ignored_no_proxy:
        details.append(
            f"{decision.stack} ignores these NO_PROXY entries: " + ", ".join(repr(e) for e in decision.ignored_no_proxy)
        )
    if decision.url_error:
        details.append("Cannot tell which proxy applies: the base URL does not parse (see config.base_url).")

    findings = _problem_findings(decision, host)

    socks = [p for p in decision.proxies if p.is_socks]
    if socks:
        if installed is None:
            details.append(
                "A SOCKS proxy needs the socksio package in the target interpreter; could not check"
                + (f" ({packages_note})" if packages_note else "") + "."
            )
        elif socks_support_missing(installed):
            proxy = socks[0]
            extra = "httpx[socks]" if decision.stack == STACK_HTTPX else "httpx2[socks]"
            exempt = "" if decision.proxy is proxy else (
                f" It does not even apply to {host}: httpx builds every proxy's transport when the client is created."
            )
            findings.append(Finding(
                "proxy_socks_unsupported",
                f"{proxy.variable}={proxy.shown} is a SOCKS proxy, but the target interpreter has no socksio",
                (
                    ("Creating the openai client raises `ImportError: Using SOCKS proxy, but the 'socksio' package is "
                    f"not installed`.{exempt}"),
                    "The error suggests `pip install httpx[socks]`; with openai >= 3 the library is httpx2, and what "
                    "is needed is socksio (the httpx2[socks] extra)." if decision.stack != STACK_HTTPX
                    else f"What is needed is socksio (the {extra} extra).",
                ),
                (Fix("Install socksio into the target interpreter; pip itself cannot use a SOCKS proxy (it fails with "
                     "'Missing dependencies for SOCKS support'), so it runs without one (if PyPI is reachable only "
                     "through a proxy, give pip an http:// one with --proxy)",
                     "env " + " ".join(f"-u {name}" for name in _socks_variables(socks))
                     + f" {shlex.quote(python)} -m pip install socksio"),
                 Fix("Or use an http:// proxy instead of SOCKS")),
            ))

    chosen = decision.proxy
    if chosen is not None:
        data["applies"] = {"variable": chosen.variable, "proxy": chosen.shown, "mount": chosen.mount,
                           "has_credentials": chosen.has_credentials}
        if endpoint.is_loopback and host and is_loopback_host(host) and not is_loopback_host(chosen.host):
            findings.append(Finding(
                "proxy_for_loopback",
                f"{chosen.variable}={chosen.shown} applies to the local endpoint {host}",
                (("httpx does not bypass localhost on its own: requests to your local server go to the proxy, which "
                 "cannot reach this machine's loopback (expect 403/502/504 or a timeout from the proxy)."),),
                (Fix("Exempt local addresses from the proxy", 'export NO_PROXY="${NO_PROXY:+$NO_PROXY,}localhost,127.0.0.1,::1"'),),
            ))
        if host:
            findings.extend(_ineffective_no_proxy(decision, host, chosen.variable))

    summary = _proxy_summary(decision, endpoint, host, details)
    data["problems"] = [p.message for p in decision.problems]
    return combine(PROXY, findings, summary, details=details, data=data)


def _proxy_summary(decision: ProxyDecision, endpoint: EndpointConfig, host: Optional[str], details: List[str]) -> str:
    """The one-line verdict of config.proxy (a hint may be added to `details`)."""
    chosen = decision.proxy
    if decision.no_proxy_all:
        return f"{decision.environment.sources.get('no', 'NO_PROXY')}=* turns every proxy off: direct connection"
    if decision.url_error:
        return "proxy variables set; the endpoint URL does not parse"
    if chosen is not None:
        return f"{chosen.shown} ({chosen.variable}) applies to {host}"
    if decision.exempted_by is not None:
        return f"direct to {host}: {decision.environment.sources.get('no', 'NO_PROXY')} entry {decision.exempted_by!r} exempts it"
    if decision.environment.configured:
        scheme = parse_url(endpoint.base_url).scheme
        if decision.environment.values.get("http") and scheme == "https":
            details.append("HTTP_PROXY applies only to http:// URLs; set HTTPS_PROXY (or ALL_PROXY) to proxy https:// requests.")
        return f"direct to {host}: no proxy variable covers {scheme}:// URLs"
    return "no proxy configured (only NO_PROXY is set)"


def _socks_variables(socks: Sequence[Any]) -> List[str]:
    """The variables (both spellings) that hold a SOCKS proxy, to run pip without them."""
    names: List[str] = []
    for proxy in socks:
        for name in (proxy.variable.upper(), proxy.variable.lower()):
            if name not in names:
                names.append(name)
    return names


def _ineffective_no_proxy(decision: ProxyDecision, host: str, variable: str) -> List[Finding]:
    """NO_PROXY entries that name `host` (or its domain) yet did not exempt it, with the reason."""
    findings = []
    for raw in (item.strip() for item in decision.environment.no_proxy.split(",")):
        if not raw:
            continue
        bare = raw.split("://", 1)[-1].lower()
        bare = bare.split("/", 1)[0]
        port = ""
        if bare.startswith("["):
            bare = bare[1:].split("]", 1)[0]
        elif bare.count(":") == 1:
            bare, port = bare.split(":")
        bare = bare.lstrip("*").lstrip(".").rstrip(".")
        if not bare or not (host == bare or host.endswith("." + bare)):
            continue
        if "/" in raw.split("://", 1)[-1]:
            why = f"{decision.stack} skips entries that contain a '/' (other than IP networks such as 10.0.0.0/8)"
        elif "://" in raw:
            why = "it names a scheme, so it only matches URLs of that scheme"
        elif port:
            why = (f"its explicit port :{port} is compared with the URL's port, and httpx drops the scheme's default "
                   "port from URLs, so it never matches" if port in ("80", "443") else f"it only matches port {port}")
        elif raw.startswith("*.") and decision.stack == STACK_HTTPX:
            why = "httpx (openai < 3) turns '*.domain' into the pattern '**.domain', which matches nothing"
        elif raw.endswith("."):
            why = "of the trailing dot"
        else:
            why = f"{decision.stack} does not match it against {host}"
        findings.append(Finding(
            "no_proxy_ineffective",
            f"NO_PROXY entry {raw!r} does not exempt {host}: {why}",
            (f"{variable} is used for {host}.",),
            (Fix("List the bare host (or domain) instead",
                 f'export NO_PROXY="${{NO_PROXY:+$NO_PROXY,}}{host}"'),),
        ))
    return findings


def _check_proxy(ctx: Context) -> CheckResult:
    endpoint = _endpoint(ctx)
    env = ctx.settings.env
    from doctor.net.proxies import read_proxy_environment

    installed: Optional[Mapping[str, str]] = None
    packages_note = ""
    python = ctx.plan.target.python if ctx.plan is not None else "python"
    if read_proxy_environment(env).configured:
        # Only now is the target's package list worth its probe: it picks the stack's rules
        # (httpx vs httpx2) and says whether SOCKS works. A failed probe must not hide the
        # proxy report, so it only becomes a note.
        installed, packages_note = target_packages(ctx)
    stack, stack_note = stack_for(installed)
    decision = resolve_proxy(endpoint.base_url, env, stack=stack)
    return judge_proxy(
        decision, endpoint, installed=installed, stack_note=stack_note, packages_note=packages_note, python=python
    )


def target_packages(ctx: Context) -> Tuple[Optional[Mapping[str, str]], str]:
    """The target interpreter's installed distributions (name -> version), or None and why not."""
    try:
        facts = ctx.fact("interpreter")  # doctor.probe.facts.InterpreterFacts
    except KeyError:
        return None, "the interpreter probe is not available"
    except Exception as exc:  # noqa: BLE001  # a failed probe is python.interpreter's finding, not ours
        reason = getattr(exc, "reason", None) or type(exc).__name__
        return None, f"the interpreter probe failed: {reason}"
    if getattr(facts, "too_old", False):
        return None, "the target is too old for the probe to list its packages"
    return {dist.name: dist.version for dist in facts.distributions}, ""


# =============================================================================================


def _endpoint(ctx: Context) -> EndpointConfig:
    if ctx.plan is not None:
        return ctx.plan.endpoint
    from doctor.endpoint import resolve_endpoint

    return resolve_endpoint(ctx.settings)


def _transitional_pass_through(result: CheckResult) -> CheckResult:
    """TRANSITIONAL (issue 9, Checks): this module's checks still gather and judge in one
    function; the split into gather(ctx) -> Facts and a pure judge(facts) replaces this."""
    return result


CHECKS: Tuple[Check, ...] = (
    Check(BASE_URL, "Base URL", _check_base_url, _transitional_pass_through),
    Check(PROXY, "Proxy", _check_proxy, _transitional_pass_through),
)
FACTS: Dict[str, FactProvider] = {}

