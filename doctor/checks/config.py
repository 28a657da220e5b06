"""The last check of the `config` group still in one module: the proxy, as the SDK will see it
(config.api_key and config.base_url have their own modules, doctor/checks/config_*.py).

It reads `ctx.settings` / `ctx.plan`, gathers with the pure readers of doctor.net.proxies and
hands plain data to the pure `judge_proxy` (unit-tested in tests/pure/test_config_rules.py).
"""

from __future__ import annotations

import shlex
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from doctor.checks.findings import Finding, combine
from doctor.endpoint import EndpointConfig
from doctor.knowledge.diagnoses import ok
from doctor.model import CheckResult, Fix, Status
from doctor.net.loopback import is_loopback_host
from doctor.net.proxies import (
    STACK_HTTPX,
    ProxyDecision,
    parse_url,
    resolve_proxy,
    socks_support_missing,
    stack_for,
)
from doctor.runner import Check, Context, FactProvider

PROXY = "config.proxy"


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
    Check(PROXY, "Proxy", _check_proxy, _transitional_pass_through),
)
FACTS: Dict[str, FactProvider] = {}

