"""The `stream` group: `stream.chat`, the streamed chat smoke test (`smoke`, `check --smoke`).

Gathering: the `smoke` fact runs the streamed request(s) through the installed openai SDK
(doctor.stream.sdk) and returns a `SmokeSummary`; the session puts its `to_dict()` into the
report as the `smoke` object. Judging: `doctor.stream.analysis.judge` turns the summary into the
check's result, a pure function tested from traces.

Streamed text goes to `ctx.live` (set by the presenter: stdout, stderr under --json, or
nowhere): the check itself never prints.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from doctor.runner import Check, Context, FactProvider
from doctor.settings import SmokeOptions

if TYPE_CHECKING:
    import ssl

    from doctor.checks.route import Route
    from doctor.endpoint import EndpointConfig
    from doctor.model import CheckResult
    from doctor.redact import Redactor
    from doctor.stream.analysis import SmokeSummary
    from doctor.stream.trace import StreamFailure, StreamTrace

CHECK_ID = "stream.chat"
TITLE = "streamed chat"

# Every check the smoke test must be able to rely on; checks not in this run are ignored.
NEEDS = ("config.api_key", "config.base_url")


def key_for(ctx: Context, kind: str) -> Tuple[Optional[str], str]:
    """The credential the SDK would send for this endpoint, and the variable it came from.

    doctor.credentials applies the SDK's own rules (AzureOpenAI reads AZURE_OPENAI_AD_TOKEN /
    AZURE_OPENAI_API_KEY, OpenAI reads OPENAI_API_KEY).
    """
    from doctor.credentials import sdk_credential

    endpoint = _endpoint(ctx)
    credential = sdk_credential(ctx.settings.env, kind, base_url=endpoint.base_url)
    if credential is None:
        return None, "not set"
    return credential.value, credential.source


def _endpoint(ctx: Context) -> EndpointConfig:
    if ctx.plan is not None:
        return ctx.plan.endpoint
    from doctor.endpoint import resolve_endpoint

    return resolve_endpoint(ctx.settings)


def gather_smoke(ctx: Context) -> SmokeSummary:
    """Run the streamed request(s); returns a doctor.stream.analysis.SmokeSummary."""
    from doctor.knowledge.models import model_name
    from doctor.stream import analysis
    from doctor.stream import trace as t
    from doctor.stream.client import ClientConfig
    from doctor.stream.sdk import SdkSession, SetupFailed, StreamRequest

    settings = ctx.settings
    options = settings.smoke or SmokeOptions()
    endpoint = _endpoint(ctx)
    model = model_name(settings, endpoint)
    notes = _notes(ctx)

    def summary(traces: List[StreamTrace], sdk: str, warmup_ms: Optional[float] = None) -> SmokeSummary:
        return analysis.summarise(
            traces, model=model, base_url=endpoint.shown, sdk=sdk, max_ttft_s=options.max_ttft_s,
            notes=notes, warmup_ms=warmup_ms,
        )

    route = ctx.fact("route")
    refusal = _route_refusal(route, settings.allow_insecure)
    if refusal is not None:
        return summary([t.StreamTrace(model=model, sdk="not started", failure=refusal)], "not started")
    key, source = key_for(ctx, endpoint.kind)
    ad_token = source.startswith("AZURE_OPENAI_AD_TOKEN")
    env = settings.env
    try:
        # Built even for http:// URLs: so does the SDK's client, which then fails on a missing
        # SSL_CERT_FILE before sending anything (the app would too).
        verify = _tls_context(ctx)
    except (OSError, ValueError) as exc:  # what the SDK itself raises for unusable CA settings
        failure = t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, exception=type(exc).__name__,
                                  message=f"the CA settings cannot be loaded: {exc}")
        return summary([t.StreamTrace(model=model, sdk="not started", failure=failure)], "not started")
    config = ClientConfig(
        base_url=endpoint.base_url, kind=endpoint.kind, timeout_s=settings.timeout_s,
        api_key=None if ad_token else key, azure_ad_token=key if ad_token else None,
        api_version=endpoint.api_version, deployment=endpoint.deployment,
        organization=env.get("OPENAI_ORG_ID") or None, project=env.get("OPENAI_PROJECT_ID") or None,
        proxy_url=route.proxy_url, verify=verify,
    )
    try:
        session = SdkSession(config)
    except SetupFailed as failed:
        return summary([t.StreamTrace(model=model, sdk=failed.sdk, failure=failed.failure)], failed.sdk)
    request = StreamRequest(model=model, prompt=options.prompt, max_tokens=options.max_tokens)
    live = None if options.quiet else getattr(ctx, "live", None)
    traces = []
    try:
        for index in range(options.runs):
            label = "reply" if options.runs == 1 else f"run {index + 1}/{options.runs}"
            printer = _LivePrinter(live, label, ctx.redactor)
            trace, request = session.run(request, on_text=printer.text)
            printer.end()
            traces.append(trace)
            if analysis.diagnose_run(trace) is not None:
                break  # the problem is the finding; more runs would only repeat it
    finally:
        session.close()
    return summary(traces, session.sdk, session.warmup_ms)


class _LivePrinter:
    """Hands streamed text to the presenter's sink: a label before the first token, a newline
    after. The text is scrubbed of the key on the way (a server may stream the caller's key
    back, whole or a few characters a chunk), holding back only what could still become one.
    """

    def __init__(self, sink: Optional[Callable[[str], None]], label: str, redactor: Redactor) -> None:
        from doctor.redact import StreamRedactor

        self._sink = sink
        self._label = label
        self._started = False
        self._scrubber = StreamRedactor(redactor)

    def text(self, piece: str) -> None:
        if self._sink is None:
            return
        safe = self._scrubber.feed(piece)
        if safe:
            self._emit(safe)

    def _emit(self, safe: str) -> None:
        assert self._sink is not None
        if not self._started:
            self._started = True
            self._sink(f"   {self._label}: ")
        self._sink(safe)

    def end(self) -> None:
        if self._sink is None:
            return
        rest = self._scrubber.flush()
        if rest:
            self._emit(rest)
        if self._started:
            self._sink("\n")


def _route_refusal(route: Route, allow_insecure: bool) -> Optional[StreamFailure]:
    """Why nothing may be sent on this route (the key-travel rule, or unusable proxy settings)."""
    from doctor.net.keyroute import withheld_on_route
    from doctor.stream import trace as t

    if route.problem:
        return t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, exception="route",
                               message=f"the route cannot be used: {route.problem}")
    withheld = withheld_on_route(route, allow_insecure)
    if withheld is None:
        return None
    return t.StreamFailure(kind=t.ERR_WITHHELD, phase=t.PHASE_SETUP, exception="withheld",
                           message=f"{withheld} (use https, or --allow-insecure)")


def _tls_context(ctx: Context) -> ssl.SSLContext:
    """The SSLContext of the trust `net.tls` verified with (the SDK's CA material, rebuilt)."""
    from doctor.net.trust import build_context

    return build_context(ctx.fact("trust").sdk)


def _notes(ctx: Context) -> Tuple[str, ...]:
    target = getattr(ctx.plan, "target", None)
    if target is not None and target.python != sys.executable:
        return (f"the smoke test ran in chat-doctor's own interpreter ({sys.executable}), not the target",)
    return ()


def _wait_for_earlier_checks(ctx: Context) -> None:
    """Start streaming only once every check printed before this one has finished: their result
    lines then never land in the middle of the streamed reply, and their network probes do not
    compete with the timed request on a small machine.
    """
    from doctor.checks import registry

    for check in registry()[0]:
        if check.id == CHECK_ID:
            return
        ctx.result(check.id)


def check_stream_chat(ctx: Context) -> CheckResult:
    from doctor.stream.analysis import judge

    _wait_for_earlier_checks(ctx)
    from doctor.checks import registry

    beside = [check.id for check in registry()[0] if check.id != CHECK_ID and ctx.result(check.id) is not None]
    return judge(ctx.fact("smoke"), beside=beside)


def _transitional_pass_through(result: CheckResult) -> CheckResult:
    """TRANSITIONAL (issue 9, Checks): this module's checks still gather and judge in one
    function; the split into gather(ctx) -> Facts and a pure judge(facts) replaces this."""
    return result


CHECKS: Tuple[Check, ...] = (
    Check(CHECK_ID, TITLE, check_stream_chat, _transitional_pass_through, needs=NEEDS, network=True),
)
FACTS: Dict[str, FactProvider] = {"smoke": gather_smoke}

