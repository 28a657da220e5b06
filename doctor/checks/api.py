"""Checks of the `api` group: `api.auth` (does the key work?) and `api.model` (is the model there?).

Gathering: the `models` fact sends one `GET {base_url}/models` with the key, the way the SDK
would (same header, same proxy, same trust), over urllib3 (doctor.net.http): no retries, no
redirects followed, the head and the body each within `--timeout` in total, at most 2 MB. On a
404 it also tries `{base_url}/v1/models` to suggest the fix. Anything the server says is
scrubbed of the key before it is kept, and read only where it has the expected type.
Judging: `judge_auth` and `judge_model` are pure; the status/error -> code table is data
(doctor.knowledge.api_errors).

Security: the key only goes to the configured endpoint (and its `/v1` sibling on the same
origin), never along a redirect, never over plain http to a host that is not this machine
(or through a non-local proxy in clear) unless `--allow-insecure`.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit, urlunsplit

from doctor.checks.route import Route
from doctor.knowledge import api_errors
from doctor.knowledge.codes.network import tls_code
from doctor.knowledge.diagnoses import diagnose, fixes_for, ok
from doctor.model import CheckResult, Fix, Status
from doctor.runner import PASSING, Check, Context, FactProvider
from doctor.words import shorten

AUTH, MODEL = "api.auth", "api.model"
DEFAULT_AZURE_API_VERSION = "2024-10-21"  # GA; also the first that accepts stream_options (facts §1.4)
_EXCERPT = 300


# ============================================================================================
# Facts
# ============================================================================================


@dataclass(frozen=True)
class V1Probe:
    """`{base_url}/v1/models`, tried after a 404 to suggest the missing `/v1`."""

    url: str
    status: Optional[int]
    model_count: Optional[int]  # None: not an OpenAI model list


@dataclass(frozen=True)
class ModelsFact:
    """The answer to GET {base}/models. Holds the key's shape, never the key."""

    url: str
    kind: str
    key_shape: Optional[str] = None
    key_source: Optional[str] = None
    key_header: Optional[str] = None
    # Why nothing was sent (then every field below is empty).
    not_sent: Optional[str] = None  # "no_key", "insecure", "http_client"
    not_sent_reason: Optional[str] = None
    status: Optional[int] = None
    reason: str = ""
    request_id: Optional[str] = None
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # only the ones worth reporting
    failure_phase: Optional[str] = None
    failure_kind: Optional[str] = None
    failure: Optional[str] = None
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    models: Optional[Tuple[Tuple[str, str], ...]] = None  # (id, owned_by) when the answer is a model list
    error: Optional[api_errors.ApiError] = None  # scrubbed of the key
    excerpt: str = ""  # the start of the body, scrubbed, whitespace collapsed
    html_title: Optional[str] = None
    location: Optional[str] = None  # a redirect's target
    via_proxy: Optional[str] = None
    api_version_assumed: Optional[str] = None  # Azure: api-version used because none was set
    v1: Optional[V1Probe] = None


# Response headers worth keeping in the report (nothing that could be a session secret).
_KEPT_HEADERS = (
    "content-type", "server", "location", "retry-after", "retry-after-ms", "x-request-id", "apim-request-id",
    "openai-version", "openai-processing-ms", "openai-organization",
    "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
)


def models_url(endpoint: Any) -> Tuple[str, Optional[str]]:
    """(URL of the model list, api-version assumed or None) for an EndpointConfig."""
    from doctor.endpoint import azure_v1_api

    base = endpoint.base_url.rstrip("/")
    if endpoint.kind == "azure" and not azure_v1_api(endpoint.base_url):
        parts = urlsplit(base)
        path = parts.path
        index = path.find("/openai")
        root_path = path[:index] if index >= 0 else path.rstrip("/")
        version = endpoint.api_version or DEFAULT_AZURE_API_VERSION
        url = urlunsplit((parts.scheme, parts.netloc, f"{root_path}/openai/models", f"api-version={quote(version)}", ""))
        return url, None if endpoint.api_version else version
    return f"{base}/models", None


def _headers_for(credential: Any, kind: str, env: Mapping[str, str]) -> Dict[str, str]:
    from doctor import __version__

    headers = {"Accept": "application/json", "User-Agent": f"chat-doctor/{__version__}"}
    if credential.header == "api-key":
        headers["api-key"] = credential.value
    else:
        headers["Authorization"] = f"Bearer {credential.value}"
    if kind != "azure":
        # The SDK sends these when set; a project/org that does not match the key is a 401 cause.
        if env.get("OPENAI_ORG_ID"):
            headers["OpenAI-Organization"] = env["OPENAI_ORG_ID"]
        if env.get("OPENAI_PROJECT_ID"):
            headers["OpenAI-Project"] = env["OPENAI_PROJECT_ID"]
    return headers


def gather_models(ctx: Context) -> ModelsFact:
    from doctor.credentials import sdk_credential
    from doctor.net.http import Urllib3Unavailable, exchange
    from doctor.net.keyroute import withheld_on_route
    from doctor.net.trust import build_context
    from doctor.redact import Redactor

    endpoint = _endpoint(ctx)
    route: Route = ctx.fact("route")
    url, assumed = models_url(endpoint)
    env = ctx.settings.env
    credential = sdk_credential(env, endpoint.kind, endpoint.base_url)
    if credential is None:
        return ModelsFact(url, endpoint.kind, not_sent="no_key", not_sent_reason="no API key is set")
    base = dict(url=url, kind=endpoint.kind, key_shape=credential.shape, key_source=credential.source,
                key_header=credential.header, api_version_assumed=assumed)
    insecure = withheld_on_route(route, ctx.settings.allow_insecure)
    if insecure:
        return ModelsFact(**base, not_sent="insecure", not_sent_reason=insecure)
    context = build_context(ctx.fact("trust").sdk) if route.scheme == "https" else None
    headers = _headers_for(credential, endpoint.kind, env)
    redactor = Redactor([credential.value])
    try:
        answer = exchange("GET", url, headers=headers, timeout_s=ctx.settings.timeout_s, ssl_context=context,
                          proxy_url=route.proxy_url)
    except Urllib3Unavailable as exc:
        return ModelsFact(**base, not_sent="http_client", not_sent_reason=exc.reason)
    fact = _fact_from(answer, base, redactor)
    if fact.status == 404 and endpoint.kind != "azure":
        for candidate in api_errors.suggestions_for_404(urlsplit(endpoint.base_url).path):
            v1_url = _with_path(endpoint.base_url, candidate) + "/models"
            if route.scheme == "https":
                context = build_context(ctx.fact("trust").sdk)
            second = exchange("GET", v1_url, headers=headers, timeout_s=ctx.settings.timeout_s,
                              ssl_context=context, proxy_url=route.proxy_url)
            listed = api_errors.is_model_list(second.body) if second.status == 200 else None
            fact = _replace(fact, v1=V1Probe(v1_url, second.status, len(listed) if listed is not None else None))
    return fact


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _fact_from(answer: Any, base: Dict[str, Any], redactor: Any) -> ModelsFact:
    failure = answer.failure
    headers = {name: value for name, value in answer.headers if name in _KEPT_HEADERS}
    fact = ModelsFact(
        **base,
        status=answer.status,
        reason=answer.reason,
        request_id=api_errors.request_id(answer.headers),
        content_type=answer.content_type,
        headers=redactor.scrub(headers),
        failure_phase=failure.phase if failure else None,
        failure_kind=failure.kind if failure else None,
        failure=redactor.text(failure.message) if failure else None,
        timings_ms=answer.timings_ms,
        via_proxy=answer.via_proxy,
    )
    if answer.status is None:
        return fact
    text = answer.text(64 * 1024)
    excerpt = shorten(redactor.text(text), _EXCERPT)
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    models = None
    if 200 <= answer.status < 300:
        entries = api_errors.is_model_list(answer.body)
        if entries is not None:
            models = tuple((e["id"], e["owned_by"] if isinstance(e.get("owned_by"), str) else "") for e in entries)
    error = api_errors.parse_error(answer.body)
    if error is not None:
        error = api_errors.ApiError(
            message=redactor.text(error.message) if error.message else None,
            type=redactor.text(error.type) if error.type else None,
            code=redactor.text(error.code) if error.code else None,
            param=redactor.text(error.param) if error.param else None,
        )
    location = answer.header("location")
    return _replace(
        fact, models=models, error=error, excerpt=excerpt,
        html_title=shorten(redactor.text(title.group(1)), 120) if title else None,
        location=redactor.text(location) if location else None,
    )


def _endpoint(ctx: Context) -> Any:
    if ctx.plan is not None:
        return ctx.plan.endpoint
    from doctor.endpoint import resolve_endpoint

    return resolve_endpoint(ctx.settings)


def _replace(obj: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(obj, **changes)


# ============================================================================================
# Judging (pure)
# ============================================================================================


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


# One-line summaries of the simple API diagnoses ({status}: the HTTP status, {key}: the key's shape).
_STATUS_SUMMARIES: Dict[str, str] = {
    "invalid_api_key": "the key {key} was rejected ({status})",
    "missing_scopes": "the key works but may not list models ({status} missing scopes); chat may still work",
    "ip_not_authorized": "this machine's IP is not on the allowlist ({status})",
    "unsupported_region": "the API is not available from this country/region ({status})",
    "overloaded": "the server is overloaded or loading ({status})",
    "server_error": "the server failed ({status})",
}


def _context_lines(fact: ModelsFact) -> List[str]:
    lines = [f"GET {fact.url}" + (f" via {fact.via_proxy}" if fact.via_proxy else "")]
    if fact.key_shape:
        lines.append(f"key {fact.key_shape} from {fact.key_source}, sent as {fact.key_header}")
    if fact.request_id:
        lines.append(f"request id: {fact.request_id}")
    if fact.api_version_assumed:
        lines.append(f"api-version {fact.api_version_assumed} assumed (OPENAI_API_VERSION is not set)")
    return lines


def _server_says(fact: ModelsFact) -> List[str]:
    if fact.error is not None and fact.error.message:
        tags = ", ".join(f"{k}={v}" for k, v in (("type", fact.error.type), ("code", fact.error.code)) if v)
        return [f"server says: {shorten(fact.error.message, _EXCERPT)}" + (f" ({tags})" if tags else "")]
    if fact.html_title:
        return [f"the answer is an HTML page titled {fact.html_title!r}"]
    if fact.excerpt:
        return [f"the answer starts: {shorten(fact.excerpt, 160)}"]
    return []


def judge_auth(fact: ModelsFact, endpoint_kind: str) -> CheckResult:
    data = _auth_data(fact)
    lines = _context_lines(fact)
    if fact.not_sent == "no_key":
        return diagnose(AUTH, "no_api_key", "not asked: no API key is set", data=data)
    if fact.not_sent == "insecure":
        return diagnose(AUTH, "key_withheld_insecure", f"the key was not sent: {fact.not_sent_reason}",
                        details=lines,
                        fixes=[Fix("Use https:// for the endpoint"),
                               Fix("Or accept the risk on a network you control", "chat-doctor check --allow-insecure")],
                        data=data)
    if fact.not_sent == "http_client":
        return diagnose(AUTH, "http_client_unavailable",
                        f"chat-doctor cannot make HTTP requests itself: {fact.not_sent_reason}",
                        details=["this is chat-doctor's own interpreter, which may differ from the target"],
                        fixes=[Fix("Reinstall chat-doctor on a Python built with OpenSSL 1.1.1+",
                                   "pipx install --force --python python3.12 chat-doctor"),
                               Fix("Or pin urllib3 1.x in chat-doctor's environment", "python -m pip install 'urllib3<2'")],
                        data=data)
    if fact.failure_kind is not None:
        return _judge_transport_failure(fact, data, lines)
    status = fact.status or 0
    if 300 <= status < 400:
        where = fact.location or "(no Location header)"
        return diagnose(AUTH, "endpoint_redirects", f"{fact.url} redirects ({status}) to {where}; not followed with the key",
                        details=[*lines, "a key must only go to the configured endpoint"],
                        fixes=[Fix("If the new location is the real API, use it as the base URL"),
                               Fix("If it is a login or portal page, log in to the network, then re-run")],
                        data=dict(data, location=fact.location))
    if 200 <= status < 300:
        if fact.models is None:
            shown = "an HTML page" if "html" in fact.content_type else f"{fact.content_type or 'a body'} that is not a model list"
            return diagnose(AUTH, "not_openai_api", f"{fact.url} answered {status} with {shown}, not the API's model list",
                            details=[*lines, *_server_says(fact)],
                            fixes=[Fix("Open the base URL in a browser to see what answers it (a captive portal, a login page, a web UI?)"),
                                   Fix("Fix the base URL to point at the API root (for OpenAI: https://api.openai.com/v1)")],
                            data=data)
        took = fact.timings_ms.get("total")
        timing = f" in {took:.0f} ms" if took is not None else ""
        count = len(fact.models)
        return ok(AUTH, f"key {fact.key_shape} accepted; {count} model{'s' if count != 1 else ''} listed{timing}",
                  details=lines, data=data)
    return _judge_refusal(fact, status, endpoint_kind, data, lines)


def _judge_refusal(fact: ModelsFact, status: int, endpoint_kind: str, data: Dict[str, Any], lines: List[str]) -> CheckResult:
    """api.auth for an answer that is neither 2xx nor 3xx: the diagnosis its status and error name."""
    code, note = api_errors.diagnosis_for(status, fact.error or api_errors.ApiError(), endpoint_kind)
    details = [*lines, *_server_says(fact)]
    if note:
        details.append(note)
    if fact.error is None and fact.content_type and "json" not in fact.content_type:
        details.append(f"the answer is {fact.content_type}, not the API's JSON: something other than the API may be answering")
    summary = f"{status} {fact.reason}".strip()
    fixes: List[Fix] = []
    if code == "endpoint_not_found":
        summary = f"{fact.url} does not exist ({status})"
        if fact.v1 is not None:
            if fact.v1.model_count is not None:
                v1_base = fact.v1.url[: -len("/models")]
                details.append(f"GET {fact.v1.url} works: {fact.v1.model_count} models listed")
                fixes.append(Fix(f"Add /v1 to the base URL: {v1_base}", f"export OPENAI_BASE_URL={v1_base}"))
            else:
                details.append(f"GET {fact.v1.url} does not work either ({fact.v1.status})")
    elif code == "rate_limited":
        notes = api_errors.rate_limit_notes(fact.headers)
        details.extend(notes)
        summary = "rate limited (429)" + (f": {notes[0]}" if notes else "")
    elif code == "insufficient_quota":
        summary = f"out of quota (429 {(fact.error.code if fact.error else None) or 'insufficient_quota'}): retrying will not help"
    elif code in _STATUS_SUMMARIES:
        summary = _STATUS_SUMMARIES[code].format(key=fact.key_shape, status=status)
    if fact.error is not None and fact.error.message and code not in ("rate_limited",):
        summary += f": {shorten(fact.error.message, 120)}"
    return diagnose(AUTH, code, summary, details=details, fixes=fixes or fixes_for(code, endpoint_kind), data=data)


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
        summary = (f"{fact.url}: {fact.failure}" if kind == "too_slow"  # a trickle, not silence
                   else f"no answer from {fact.url} within the timeout (connected, request sent)")
        fixes = [Fix("Retry with a longer timeout", "chat-doctor check --timeout 30"),
                 Fix("If it persists, check the server's load and any proxy in between")]
        return diagnose(AUTH, code, summary, details=lines, fixes=fixes, data=data)
    if code == "response_too_long":
        summary = f"{fact.url}: {fact.failure}; a model list is far smaller"
        fixes = [Fix("Check that the base URL points at the API and not at a file or a stream"),
                 Fix("If a proxy sits in between, check what it sends back")]
        return diagnose(AUTH, code, summary, details=[*lines, *_server_says(fact)], fixes=fixes, data=data)
    return diagnose(AUTH, code, f"the request failed during {phase or 'the exchange'}: {fact.failure}", details=lines, data=data)


# --- api.model ------------------------------------------------------------------------------


def judge_model(fact: ModelsFact, model: str, endpoint_kind: str) -> CheckResult:
    from doctor.knowledge.models import group_by_task

    if fact.models is None:
        return diagnose(MODEL, "model_list_unavailable", f"not checked: the server gave no model list ({fact.status})",
                        data={"model": model})
    ids = [model_id for model_id, _owner in fact.models]
    tasks = group_by_task(ids)
    data: Dict[str, Any] = {"model": model, "model_count": len(ids), "tasks": tasks}
    summary_tasks = ", ".join(f"{len(v)} {k}" for k, v in tasks.items())
    if model in ids:
        return ok(MODEL, f"{model} is available ({len(ids)} model{'s' if len(ids) != 1 else ''}: {summary_tasks})", data=data)
    close = difflib.get_close_matches(model, ids, n=3, cutoff=0.5)
    data["closest"] = close
    closest = f"; closest: {', '.join(close)}" if close else ""
    details = [f"the server lists {len(ids)} model{'s' if len(ids) != 1 else ''}: {summary_tasks}"]
    # Model ids come from the server: shell-quoted, so a hostile id cannot become a command.
    fixes = [Fix(f"Use a listed model, e.g. {close[0]}", f"chat-doctor check --model {shlex.quote(close[0])}")] if close else []
    chat = tasks.get("chat", [])
    if endpoint_kind == "openai":
        if not close and chat:
            fixes.append(Fix(f"Use a chat model the key can reach, e.g. {chat[0]}",
                             f"chat-doctor check --model {shlex.quote(chat[0])}"))
        return diagnose(MODEL, "model_not_found", f"{model} is not available to this key{closest}",
                        details=details, fixes=fixes, data=data)
    if endpoint_kind == "azure":
        reason = "on Azure the model is your deployment name, which the model list does not show"
    elif len(ids) == 1:
        reason = f"this server lists a single model ({ids[0]}) and such servers often answer to any name"
    else:
        reason = "OpenAI-compatible servers may serve names they do not list"
    details.append(f"{reason}; the streamed smoke test decides")
    fixes.append(Fix("Let a real request decide", f"chat-doctor smoke --model {shlex.quote(model)}"))
    return diagnose(MODEL, "model_unlisted", f"{model} is not in the server's list{closest}; it may still work",
                    details=details, fixes=fixes, data=data)


# ============================================================================================
# Checks
# ============================================================================================


def _tls_gate(ctx: Context, route: Route) -> Optional[CheckResult]:
    """https endpoints also need net.tls to pass (http ones only net.tcp: see CHECKS)."""
    if route.scheme != "https":
        return None
    prior = ctx.result("net.tls")
    if prior is None or prior.status in PASSING:
        return None
    if prior.code == "proxy_not_testable":
        return diagnose(AUTH, "proxy_not_testable", "not tried: chat-doctor cannot send requests through this proxy",
                        data={"blocked_by": "net.tls"})
    if prior.status is Status.SKIP:
        return diagnose(AUTH, "prerequisite_failed", "API key: skipped, net.tls was skipped", data={"blocked_by": "net.tls"})
    return diagnose(AUTH, "prerequisite_failed", f"API key: skipped, net.tls did not pass ({prior.code})",
                    data={"blocked_by": "net.tls"})


def check_auth(ctx: Context) -> CheckResult:
    from doctor.checks.route import route_problem

    route: Route = ctx.fact("route")
    blocked = route_problem(AUTH, route) or _tls_gate(ctx, route)
    if blocked is None and not route.testable:
        blocked = diagnose(AUTH, "proxy_not_testable",
                           f"not tried: chat-doctor cannot send requests through the {route.proxy_scheme} proxy {route.proxy_shown}",
                           data={"via_proxy": route.proxy_shown})
    if blocked is not None:
        return blocked
    endpoint = _endpoint(ctx)
    return judge_auth(ctx.fact("models"), endpoint.kind)


def check_model(ctx: Context) -> CheckResult:
    from doctor.knowledge.models import model_name

    endpoint = _endpoint(ctx)
    return judge_model(ctx.fact("models"), model_name(ctx.settings, endpoint), endpoint.kind)


def _transitional_pass_through(result: CheckResult) -> CheckResult:
    """TRANSITIONAL (issue 9, Checks): this module's checks still gather and judge in one
    function; the split into gather(ctx) -> Facts and a pure judge(facts) replaces this."""
    return result


CHECKS: Tuple[Check, ...] = (
    # net.tls is a prerequisite only for https endpoints, so it is checked inside (_tls_gate).
    Check(AUTH, "API key", check_auth, _transitional_pass_through, needs=("config.api_key", "net.tcp"), network=True),
    Check(MODEL, "model", check_model, _transitional_pass_through, needs=(AUTH,), network=True),
)
FACTS: Dict[str, FactProvider] = {"models": gather_models}

