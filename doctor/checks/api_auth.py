"""`api.auth`: does the key work? One `GET {base_url}/models` with it (the `models` fact).

Gathering: the route (where the SDK's connection goes) and, when chat-doctor can send along
it, the `models` fact (doctor.checks.models_fact, registered here in FACTS). Judging: a route
that cannot be used, a proxy chat-doctor cannot cross, a key that was not sent, a transport
failure, a redirect, an answer that is not the API, or the status and error the server gave
(the status/error -> code table is data: doctor.knowledge.api_errors; a gateway's 5xx naming its
upstream is doctor.knowledge.gateways'). The words are in
doctor.knowledge.wording.api.

Prerequisites: the key is configured (config.api_key) and the endpoint reachable (net.tcp);
for https through a route chat-doctor can test, the TLS handshake too (net.tls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from doctor.checks.models_fact import ModelsFact, provide_models, sendable
from doctor.checks.route import Route, route_problem
from doctor.knowledge import api_errors
from doctor.knowledge.codes.network import tls_code
from doctor.knowledge.diagnoses import diagnose, fixes_for, ok
from doctor.knowledge.gateways import UpstreamFailure, upstream_failure
from doctor.knowledge.wording import api as words
from doctor.knowledge.wording import gateways as gw
from doctor.model import CheckResult, Fix
from doctor.runner import Check, Context, FactProvider, Need

ID = "api.auth"
TITLE = "API key"


@dataclass(frozen=True)
class AuthFacts:
    """The route, and the models answer when the route let chat-doctor ask (else None)."""

    route: Route
    endpoint_kind: str  # "openai", "azure" or "compatible": some answers mean other things on Azure
    models: Optional[ModelsFact] = None


def gather(ctx: Context) -> AuthFacts:
    route: Route = ctx.fact("route")
    models = ctx.fact("models") if sendable(route) else None
    return AuthFacts(route=route, endpoint_kind=ctx.plan.endpoint.kind, models=models)


def _tls_applies(ctx: Context) -> bool:
    """net.tls is a prerequisite for https only, and only where chat-doctor crosses the route itself.

    The runner asks only once config.api_key and net.tcp passed (so never under --offline)."""
    route: Route = ctx.fact("route")
    return sendable(route) and route.scheme == "https"


# ============================================================================================
# Judging (pure)
# ============================================================================================


def judge(facts: AuthFacts) -> CheckResult:
    route = facts.route
    blocked = route_problem(ID, route)
    if blocked is not None:
        return blocked
    if not route.testable:
        return diagnose(ID, "proxy_not_testable", words.route_untestable(route.proxy_scheme, route.proxy_shown),
                        data={"via_proxy": route.proxy_shown})
    assert facts.models is not None  # gathered whenever the route is sendable
    return _judge_answer(facts.models, facts.endpoint_kind)


def _judge_answer(fact: ModelsFact, endpoint_kind: str) -> CheckResult:
    """api.auth from the models answer: nothing sent, a transport failure, a redirect, 2xx, a refusal."""
    data = _auth_data(fact)
    lines = _context_lines(fact)
    if fact.not_sent == "no_key":
        return diagnose(ID, "no_api_key", words.NOT_ASKED_NO_KEY, data=data)
    if fact.not_sent == "insecure":
        return diagnose(ID, "key_withheld_insecure", words.key_withheld(fact.not_sent_reason), details=lines,
                        fixes=words.KEY_WITHHELD_FIXES, data=data)
    if fact.not_sent == "http_client":
        details = [*words.HTTP_CLIENT_DETAILS, *([words.sent_unread(fact.url)] if fact.sent_unread else [])]
        return diagnose(ID, "http_client_unavailable", words.http_client_unavailable(fact.not_sent_reason),
                        details=details, fixes=words.HTTP_CLIENT_FIXES, data=dict(data, sent=fact.sent_unread))
    if fact.failure_kind is not None:
        return _judge_transport_failure(fact, data, lines)
    status = fact.status or 0
    if 300 <= status < 400:
        return diagnose(ID, "endpoint_redirects", words.redirects(fact.url, status, fact.location),
                        details=[*lines, words.REDIRECT_DETAIL], fixes=words.REDIRECT_FIXES,
                        data=dict(data, location=fact.location))
    if 200 <= status < 300:
        if fact.models is None:
            return diagnose(ID, "not_openai_api", words.not_a_model_list(fact.url, status, fact.content_type),
                            details=[*lines, *_server_says(fact)], fixes=words.NOT_A_MODEL_LIST_FIXES, data=data)
        summary = words.key_accepted(fact.key_shape, len(fact.models), fact.timings_ms.get("total"))
        return ok(ID, summary, details=lines, data=data)
    return _judge_refusal(fact, status, endpoint_kind, data, lines)


def _auth_data(fact: ModelsFact) -> Dict[str, Any]:
    return {
        "url": fact.url, "status": fact.status, "request_id": fact.request_id, "content_type": fact.content_type or None,
        "key": {"shape": fact.key_shape, "source": fact.key_source, "header": fact.key_header} if fact.key_shape else None,
        "timings_ms": dict(fact.timings_ms), "via_proxy": fact.via_proxy,
        "headers": dict(fact.headers),
        "error": ({"message": fact.error.message, "type": fact.error.type, "code": fact.error.code}
                  if fact.error is not None else None),
        "model_count": len(fact.models) if fact.models is not None else None,
    }


def _context_lines(fact: ModelsFact) -> List[str]:
    return words.context_lines(fact.url, via_proxy=fact.via_proxy, key_shape=fact.key_shape,
                               key_source=fact.key_source, key_header=fact.key_header,
                               request_id=fact.request_id, api_version_assumed=fact.api_version_assumed)


def _server_says(fact: ModelsFact) -> List[str]:
    error = fact.error
    return words.server_says(message=error.message if error is not None else None,
                             error_type=error.type if error is not None else None,
                             error_code=error.code if error is not None else None,
                             html_title=fact.html_title, excerpt=fact.excerpt)


def _judge_refusal(fact: ModelsFact, status: int, endpoint_kind: str, data: Dict[str, Any], lines: List[str]) -> CheckResult:
    """api.auth for an answer that is neither 2xx nor 3xx: the diagnosis its status and error name."""
    code, note = api_errors.diagnosis_for(status, fact.error or api_errors.ApiError(), endpoint_kind)
    upstream = _upstream(fact, status, endpoint_kind)
    if upstream is not None:
        code, note = "upstream_error", gw.upstream_detail(upstream.gateway)
    details = [*lines, *_server_says(fact)]
    if note:
        details.append(note)
    if fact.error is None and fact.content_type and "json" not in fact.content_type:
        details.append(words.not_json(fact.content_type))
    summary = words.status_line(status, fact.reason)
    fixes: List[Fix] = []
    if code == "endpoint_not_found":
        summary = words.not_found(fact.url, status)
        if fact.v1 is not None:
            if fact.v1.model_count is not None:
                details.append(words.v1_works(fact.v1.url, fact.v1.model_count))
                fixes.append(words.add_v1_fix(fact.v1.url[: -len("/models")]))
            else:
                details.append(words.v1_fails(fact.v1.url, fact.v1.status))
    elif code == "rate_limited":
        notes = api_errors.rate_limit_notes(fact.headers)
        details.extend(notes)
        summary = words.rate_limited(notes)
    elif code == "insufficient_quota":
        summary = words.out_of_quota(fact.error.code if fact.error else None)
    elif upstream is not None:
        summary = gw.upstream_failed(upstream.gateway, status, upstream.message)
    elif code == "gateway_no_key_db":  # the stream checks' sentence (doctor.stream.problems), with the message
        summary = gw.no_key_db(status, fact.error.message if fact.error else None)
    elif code in words.STATUS_SUMMARIES:
        summary = words.STATUS_SUMMARIES[code].format(key=fact.key_shape, status=status)
    if fact.error is not None and fact.error.message and code not in ("rate_limited", "upstream_error", "gateway_no_key_db"):
        summary = words.with_message(summary, fact.error.message)
    return diagnose(ID, code, summary, details=details, fixes=fixes or fixes_for(code, endpoint_kind), data=data)


def _upstream(fact: ModelsFact, status: int, endpoint_kind: str) -> Optional[UpstreamFailure]:
    """A gateway's 5xx naming its upstream (doctor.knowledge.gateways), from its JSON error, a
    plain-text body (Envoy's) or an HTML page's title (nginx's)."""
    if fact.error is not None:
        message = fact.error.message
    else:
        message = fact.excerpt if fact.html_title is None and not fact.excerpt.lstrip().startswith("<") else None
    return upstream_failure(status, message, kind=endpoint_kind, html_title=fact.html_title, excerpt=fact.excerpt)


_TRANSPORT_CODES = {
    ("dns", "not_found"): "dns_failure", ("dns", "temporary"): "dns_failure", ("dns", "timeout"): "dns_failure",
    ("dns", "failed"): "dns_failure",
    ("connect", "refused"): "connection_refused", ("connect", "timeout"): "connect_timeout",
    ("proxy", "auth_required"): "proxy_auth_required", ("proxy", "refused"): "proxy_tunnel_refused",
    ("proxy", "timeout"): "proxy_unreachable",
    ("proxy", "too_long"): "proxy_unreachable", ("proxy", "too_slow"): "proxy_unreachable",
    ("response", "timeout"): "read_timeout", ("body", "timeout"): "read_timeout",
    ("response", "too_slow"): "read_timeout", ("body", "too_slow"): "read_timeout",
    ("response", "too_long"): "response_too_long", ("body", "too_long"): "response_too_long",
}


def _judge_transport_failure(fact: ModelsFact, data: Dict[str, Any], lines: List[str]) -> CheckResult:
    phase, kind = fact.failure_phase or "", fact.failure_kind or ""
    data = dict(data, failure={"phase": phase, "kind": kind, "message": fact.failure})
    if phase == "tls":
        code = tls_code(kind)
    elif phase in ("dns", "connect") and fact.via_proxy:
        code = "proxy_unreachable"
    else:
        code = _TRANSPORT_CODES.get((phase, kind)) or ("connect_failed" if phase in ("dns", "connect") else "connection_closed")
    if code == "read_timeout":
        summary = words.too_slow(fact.url, fact.failure) if kind == "too_slow" else words.no_answer(fact.url)
        return diagnose(ID, code, summary, details=lines, fixes=words.READ_TIMEOUT_FIXES, data=data)
    if code == "response_too_long":
        return diagnose(ID, code, words.response_too_long(fact.url, fact.failure), details=[*lines, *_server_says(fact)],
                        fixes=words.RESPONSE_TOO_LONG_FIXES, data=data)
    return diagnose(ID, code, words.request_failed(phase, fact.failure), details=lines, data=data)


CHECKS: Tuple[Check, ...] = (
    Check(ID, TITLE, gather, judge, needs=("config.api_key", "net.tcp", Need("net.tls", when=_tls_applies)),
          network=True),
)
FACTS: Dict[str, FactProvider] = {"models": provide_models}
