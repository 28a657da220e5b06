"""The `models` fact, shared by `api.auth` and `api.model`: the answer to `GET {base_url}/models`.

One request with the key, the way the SDK would send it (same header, same proxy, same trust),
over urllib3 (doctor.net.http): no retries, no redirects followed, the head and the body each
within `--timeout` in total, at most 2 MB. On a 404 it also tries `{base_url}/v1/models` to
suggest the fix. Anything the server says is scrubbed of the key before it is kept, and read
only where it has the expected type.

Security: the key only goes to the configured endpoint (and its `/v1` sibling on the same
origin), never along a redirect, never over plain http to a host that is not this machine
(or through a non-local proxy in clear) unless `--allow-insecure` (doctor.net.keyroute).

Not a check (declares no CHECKS): api.auth's module registers the provider (`provide_models`)
in its FACTS. The provider adopts the answer of a head start (doctor.checks.models_head_start:
the same request, sent while the rest of `check` starts up) when one was made for this very
run; it is only ever called once the run's own prerequisites passed, so an answer they would
not have allowed is never judged.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit, urlunsplit

from doctor.outcome import Outcome
from doctor.runner import Context

if TYPE_CHECKING:  # api_errors (json), the wording and the words judge an answer: imported once it came
    from doctor.checks.route import Route
    from doctor.credentials import Credential
    from doctor.endpoint import EndpointConfig
    from doctor.knowledge import api_errors
    from doctor.net.http import HttpExchange
    from doctor.redact import Redactor
    from doctor.settings import Settings

DEFAULT_AZURE_API_VERSION = "2024-10-21"  # GA; also the first that accepts stream_options (facts §1.4)


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
    # Why nothing was sent or read (then every field below is empty).
    not_sent: Optional[str] = None  # "no_key", "insecure", "http_client"
    not_sent_reason: Optional[str] = None
    # "http_client" after the head start wrote the request (doctor.net.presend): the key went
    # out, its answer was never read. A report must not say "not sent" then.
    sent_unread: bool = False
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


def sendable(route: Route) -> bool:
    """chat-doctor can send the request along this route itself (api.auth asks only then)."""
    return route.problem is None and route.testable


def models_url(endpoint: EndpointConfig) -> Tuple[str, Optional[str]]:
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


def _headers_for(credential: Credential, kind: str, env: Mapping[str, str]) -> Dict[str, str]:
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


def gather_models(ctx: Context, on_sent: Optional[Callable[[], None]] = None, early: bool = False) -> ModelsFact:
    """The `models` fact, asked now; `on_sent` and `early` as doctor.net.http.exchange's (the head
    start's cue, and its request written before urllib3 is imported)."""
    from doctor.credentials import sdk_credential
    from doctor.net.http import Urllib3Unavailable, exchange
    from doctor.net.keyroute import withheld_on_route
    from doctor.redact import Redactor

    endpoint = ctx.plan.endpoint
    route: Route = ctx.fact("route")
    url, assumed = models_url(endpoint)
    env = ctx.settings.env
    credential = sdk_credential(env, endpoint.kind, endpoint.base_url)
    if credential is None:
        return ModelsFact(url, endpoint.kind, not_sent="no_key", not_sent_reason="no API key is set")
    base: Dict[str, Any] = dict(url=url, kind=endpoint.kind, key_shape=credential.shape, key_source=credential.source,
                                key_header=credential.header, api_version_assumed=assumed)
    insecure = withheld_on_route(route, ctx.settings.allow_insecure)
    if insecure:
        return ModelsFact(**base, not_sent="insecure", not_sent_reason=insecure)
    if route.scheme == "https":  # doctor.net.trust imports certificate handling: plain http needs none
        from doctor.net.trust import build_context

        context = build_context(ctx.fact("trust").sdk)
    else:
        context = None
    headers = _headers_for(credential, endpoint.kind, env)
    redactor = Redactor([credential.value])
    try:
        answer = exchange("GET", url, headers=headers, timeout_s=ctx.settings.timeout_s, ssl_context=context,
                          proxy_url=route.proxy_url, on_sent=on_sent, early=early)
    except Urllib3Unavailable as exc:
        return ModelsFact(**base, not_sent="http_client", not_sent_reason=exc.reason, sent_unread=exc.sent)
    fact = _fact_from(answer, base, redactor)
    if fact.status == 404 and endpoint.kind != "azure":
        from doctor.knowledge import api_errors

        for candidate in api_errors.suggestions_for_404(urlsplit(endpoint.base_url).path):
            v1_url = _with_path(endpoint.base_url, candidate) + "/models"
            if route.scheme == "https":
                context = build_context(ctx.fact("trust").sdk)
            second = exchange("GET", v1_url, headers=headers, timeout_s=ctx.settings.timeout_s,
                              ssl_context=context, proxy_url=route.proxy_url)
            listed = api_errors.is_model_list(second.body) if second.status == 200 else None
            fact = replace(fact, v1=V1Probe(v1_url, second.status, len(listed) if listed is not None else None))
    return fact


@dataclass(frozen=True)
class HeadStart:
    """A `models` answer asked for before the run's checks started, for the run of `settings`.

    `outcome` resolves to (the route it was sent along, the fact) or to None when the head
    start declined (then the run asks itself, as it always did)."""

    settings: Settings  # matched by identity: the very object the run is planned from
    endpoint: EndpointConfig
    outcome: Outcome = field(default_factory=Outcome, compare=False)


# The one head start waiting for its run (a list as the slot: no `global` rebinding).
_head_start: List[Optional[HeadStart]] = [None]
_head_start_lock = threading.Lock()


def offer_head_start(head_start: HeadStart) -> None:
    """Register the head start of the coming run (replacing any earlier, unclaimed one)."""
    with _head_start_lock:
        _head_start[0] = head_start


def hand_over_head_start(settings: Settings) -> bool:
    """Give the run of `settings` the head start started before its command parsed them
    (doctor.commands.check_early), when that one was made from equal Settings: every value a
    gate, the route or the request reads (env, cwd, flags) is a field of Settings, so equal
    Settings mean the very request this run would send. Returns whether it was handed over;
    one made from other values is dropped unjudged (its answer was never this run's). One
    already offered for this very object stays as it is."""
    with _head_start_lock:
        found = _head_start[0]
        if found is None:
            return False
        if found.settings is not settings:
            if found.settings != settings:
                _head_start[0] = None
                return False
            _head_start[0] = replace(found, settings=settings)  # the same outcome, now bound to this run
        return True


def _claim_head_start(settings: Settings) -> Optional[HeadStart]:
    with _head_start_lock:
        found, _head_start[0] = _head_start[0], None
    return found if found is not None and found.settings is settings else None


def provide_models(ctx: Context) -> ModelsFact:
    """The `models` fact: the head start's answer when it was sent for this run along the run's
    own endpoint and route, else `GET /models` now.

    Waiting on a pending head start (rather than asking beside it) keeps it one request; the
    head start's exchange has the same bounds as this one, so the wait is bounded too."""
    early = _claim_head_start(ctx.settings)
    if early is not None and early.endpoint == ctx.plan.endpoint:
        sent = early.outcome.result()
        if sent is not None and sent[0] == ctx.fact("route"):
            fact: ModelsFact = sent[1]
            return fact
    return gather_models(ctx)


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _fact_from(answer: HttpExchange, base: Dict[str, Any], redactor: Redactor) -> ModelsFact:
    from doctor.knowledge import api_errors
    from doctor.knowledge.wording.api import EXCERPT
    from doctor.words import shorten

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
    excerpt = shorten(redactor.text(text), EXCERPT)
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
    return replace(
        fact, models=models, error=error, excerpt=excerpt,
        html_title=shorten(redactor.text(title.group(1)), 120) if title else None,
        location=redactor.text(location) if location else None,
    )
