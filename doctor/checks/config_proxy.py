"""config.proxy: which proxy the SDK's HTTP client will use for the endpoint, and what breaks it (no network).

The decision is doctor.net.proxies' emulation of httpx2's rules (openai >= 3) or httpx's
(openai < 3), picked by the target interpreter's openai; it also says whether SOCKS works
(socksio). The target's package list costs the interpreter probe, so it is asked for only when
a proxy variable is set; a failed probe becomes a note, never hides the proxy report.

The target's platform (`ProxyFacts.platform`) decides whether the system proxy settings of
macOS or Windows are mentioned. It is the probe's `sys_platform` when the probe ran and
answered, else chat-doctor's own `sys.platform`: the target runs on this machine, so they
differ only for an unusual build (a Cygwin or MSYS Python on Windows), and starting the probe
just for that note would cost a run with no proxy the probe it does not otherwise need.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from doctor.checks.findings import Finding, combine
from doctor.endpoint import EndpointConfig
from doctor.knowledge.diagnoses import ok
from doctor.knowledge.wording import config_proxy as words
from doctor.model import CheckResult, Status
from doctor.net.loopback import is_loopback_host
from doctor.net.proxies import (
    STACK_HTTPX,
    ProxyDecision,
    parse_url,
    read_proxy_environment,
    resolve_proxy,
    socks_support_missing,
    stack_for,
)
from doctor.runner import Check, Context, FactProvider

if TYPE_CHECKING:
    from doctor.knowledge.pip_vendor import PipRefusal

ID, TITLE = "config.proxy", "Proxy"


@dataclass(frozen=True)
class ProxyFacts:
    decision: ProxyDecision  # the proxy (or none) the SDK's HTTP client uses for the endpoint, and why
    endpoint: EndpointConfig
    platform: str  # the target's sys.platform ("linux", "darwin", "win32", ...)
    # The target interpreter's distributions (name -> version); None when it was not inspected
    # (no proxy variable set, or the probe failed: `packages_note` says why). Decides SOCKS support.
    installed: Optional[Mapping[str, str]] = None
    stack_note: str = ""  # why this stack's rules were applied (stack_for)
    packages_note: str = ""
    python: str = "python"  # the target interpreter, for the pip command of a fix
    pip: Optional[PipRefusal] = None  # why the target's own pip cannot start (pip_vendor), from the same probe


def gather(ctx: Context) -> ProxyFacts:
    endpoint = ctx.plan.endpoint
    env = ctx.settings.env
    installed: Optional[Mapping[str, str]] = None
    packages_note = ""
    platform: Optional[str] = None
    pip: Optional[PipRefusal] = None
    if read_proxy_environment(env).configured:
        # Only now is the target's package list worth its probe: it picks the stack's rules
        # (httpx vs httpx2) and says whether SOCKS works. A failed probe must not hide the
        # proxy report, so it only becomes a note.
        installed, packages_note, platform, pip = _target_packages(ctx)
    stack, stack_note = stack_for(installed)
    return ProxyFacts(
        resolve_proxy(endpoint.base_url, env, stack=stack),
        endpoint,
        platform=platform or sys.platform,
        installed=installed,
        stack_note=stack_note,
        packages_note=packages_note,
        python=ctx.plan.target.python,
        pip=pip,
    )


def _target_packages(ctx: Context) -> Tuple[Optional[Mapping[str, str]], str, Optional[str], Optional[PipRefusal]]:
    """The target interpreter's installed distributions (name -> version), or None and why not;
    its sys.platform when the probe answered, and whether its pip can start (the socksio fix runs it)."""
    try:
        facts = ctx.fact("interpreter")  # doctor.probe.facts.InterpreterFacts
    except KeyError:
        return None, "the interpreter probe is not available", None, None
    except Exception as exc:  # noqa: BLE001  # a failed probe is python.interpreter's finding, not ours
        reason = getattr(exc, "reason", None) or type(exc).__name__
        return None, f"the interpreter probe failed: {reason}", None, None
    platform = facts.sys_platform or None
    if facts.too_old:
        return None, "the target is too old for the probe to list its packages", platform, None
    from doctor.knowledge.pip_vendor import pip_refusal  # here: check's head start runs this module before its request

    return {dist.name: dist.version for dist in facts.distributions}, "", platform, pip_refusal(facts)


def judge(facts: ProxyFacts) -> CheckResult:
    """config.proxy from the proxy decision for the endpoint (pure)."""
    decision, endpoint = facts.decision, facts.endpoint
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
        note = words.system_proxy_note(facts.platform)
        return ok(ID, words.NO_PROXY_CONFIGURED, details=[note] if note else [], data=data)

    host = parse_url(endpoint.base_url).host if decision.url_error is None else None
    details = [words.variable_line(v.name, v.shown, None if v.in_effect else v.note) for v in environment.variables]
    details.append(words.rules_line(decision.stack, facts.stack_note))
    if decision.ignored_no_proxy:
        details.append(words.ignored_no_proxy_line(decision.stack, decision.ignored_no_proxy))
    if decision.url_error:
        details.append(words.URL_UNPARSED_DETAIL)

    findings = _problem_findings(decision, host)
    findings.extend(_socks_findings(facts, host, details))

    chosen = decision.proxy
    if chosen is not None:
        data["applies"] = {"variable": chosen.variable, "proxy": chosen.shown, "mount": chosen.mount,
                           "has_credentials": chosen.has_credentials}
        if endpoint.is_loopback and host and is_loopback_host(host) and not is_loopback_host(chosen.host):
            findings.append(Finding("proxy_for_loopback", *words.proxy_for_loopback(chosen.variable, chosen.shown, host)))
        if host:
            findings.extend(_ineffective_no_proxy(decision, host, chosen.variable))

    summary = _proxy_summary(decision, endpoint, host, details)
    data["problems"] = [p.message for p in decision.problems]
    return combine(ID, findings, summary, details=details, data=data)


def _problem_findings(decision: ProxyDecision, host: Optional[str]) -> List[Finding]:
    """One proxy_invalid finding per unusable proxy setting, with what it breaks."""
    findings: List[Finding] = []
    for problem in decision.problems:
        applies = decision.proxy is not None and decision.proxy.variable == problem.variable
        findings.append(Finding(
            "proxy_invalid",
            *words.proxy_invalid(problem.message, problem.variable, breaks_client=problem.breaks_client,
                                 httpx=decision.stack == STACK_HTTPX, kind=problem.kind, applies=applies, host=host),
            status=None if problem.breaks_client or applies else Status.WARN,
        ))
    return findings


def _socks_findings(facts: ProxyFacts, host: Optional[str], details: List[str]) -> List[Finding]:
    """A SOCKS proxy needs socksio in the target; when that could not be checked, a note in `details`."""
    decision = facts.decision
    socks = [p for p in decision.proxies if p.is_socks]
    if not socks:
        return []
    if facts.installed is None:
        details.append(words.socks_not_checked(facts.packages_note))
        return []
    if not socks_support_missing(facts.installed):
        return []
    proxy = socks[0]
    said = words.socks_unsupported(
        proxy.variable, proxy.shown, applies=decision.proxy is proxy, host=host,
        httpx=decision.stack == STACK_HTTPX, unset=_socks_variables(socks), python=facts.python,
    )
    # The socksio install runs the target's pip, which may itself be unable to start (pip_vendor).
    from doctor.knowledge.wording import pip_repair  # here, as pip_refusal above

    fixes = pip_repair.guarded(said.fixes, facts.python, facts.pip)
    return [Finding("proxy_socks_unsupported", said.summary,
                    details=(*said.details, *pip_repair.notes(fixes, facts.python, facts.pip)), fixes=tuple(fixes))]


def _proxy_summary(decision: ProxyDecision, endpoint: EndpointConfig, host: Optional[str], details: List[str]) -> str:
    """The one-line verdict of config.proxy (a hint may be added to `details`)."""
    chosen = decision.proxy
    no_proxy_source = decision.environment.sources.get("no", "NO_PROXY")
    if decision.no_proxy_all:
        return words.no_proxy_all_summary(no_proxy_source)
    if decision.url_error:
        return words.URL_UNPARSED_SUMMARY
    if chosen is not None:
        return words.applies_summary(chosen.shown, chosen.variable, host)
    if decision.exempted_by is not None:
        return words.exempted_summary(host, no_proxy_source, decision.exempted_by)
    if decision.environment.configured:
        scheme = parse_url(endpoint.base_url).scheme
        if decision.environment.values.get("http") and scheme == "https":
            details.append(words.HTTP_PROXY_ONLY_HINT)
        return words.uncovered_summary(host, scheme)
    return words.ONLY_NO_PROXY_SUMMARY


def _socks_variables(socks: Sequence[Any]) -> List[str]:
    """The variables (both spellings) that hold a SOCKS proxy, to run pip without them."""
    from doctor.net.proxy_env import both_spellings

    return both_spellings(proxy.variable for proxy in socks)


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
        why = words.no_proxy_why(_ineffective_reason(raw, port, decision.stack), stack=decision.stack, host=host, port=port)
        findings.append(Finding("no_proxy_ineffective", *words.no_proxy_ineffective(raw, host, why, variable)))
    return findings


def _ineffective_reason(raw: str, port: str, stack: str) -> str:
    """Why the NO_PROXY entry `raw` (with its explicit `port`, '' for none) does not match."""
    if "/" in raw.split("://", 1)[-1]:
        return "path"
    if "://" in raw:
        return "scheme"
    if port:
        return "default_port" if port in ("80", "443") else "port"
    if raw.startswith("*.") and stack == STACK_HTTPX:
        return "httpx_star"
    if raw.endswith("."):
        return "trailing_dot"
    return "unmatched"


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge),)
FACTS: Dict[str, FactProvider] = {}
