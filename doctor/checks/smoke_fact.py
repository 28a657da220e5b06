"""The `smoke` fact: the streamed request(s) of `stream.chat`, timed, as a `SmokeSummary`; and the
`smoke_responses` fact: those of `stream.responses` (the Responses API), as a `ResponsesSmoke`
(the same summary, plus each run's event types, sequence numbers and terminal event); and after a
buffered verdict, the `buffer_cause` / `buffer_cause_responses` facts: where the buffering is,
found by retrying that API's request (doctor.stream.buffer_cause).

It runs where the app runs (doctor.stream.target_smoke decides from the interpreter probe):
inside the target interpreter through the runner (doctor.stream.target_launch) when that has
Python >= 3.8 and openai >= 1.0, in-process (doctor.stream.sdk) when the target is chat-doctor's
own interpreter, and otherwise in chat-doctor's own interpreter with a note saying why. Both
paths send along the route and with the trust the checks decided, only once the key-travel rule
(doctor.net.keyroute) allowed the route, and hand the streamed text to `ctx.live` through the
same live printer (doctor.stream.live). The summary names the interpreter and SDK that ran it
(`RanWith`) and keeps the traces (doctor.stream_arrivals reads their token times).

Not a check (declares no CHECKS): stream.chat's and stream.responses's modules register the
providers in their FACTS.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from doctor.knowledge.wording import stream as words
from doctor.runner import Context
from doctor.settings import API_CHAT, API_RESPONSES, SmokeOptions

if TYPE_CHECKING:
    import ssl

    from doctor.checks.route import Route
    from doctor.knowledge.pip_vendor import PipRefusal
    from doctor.stream.buffer_cause import BufferCause
    from doctor.stream.figures import RanWith, SmokeSummary
    from doctor.stream.live import LivePrinter
    from doctor.stream.responses_events import ResponsesRun, ResponsesSmoke
    from doctor.stream.target_launch import LaunchResult
    from doctor.stream.target_smoke import Where
    from doctor.stream.trace import StreamFailure, StreamTrace


Summarise = Callable[..., "SmokeSummary"]  # gather_smoke's `summary`: traces, sdk, warm-up, RanWith
Extras = Tuple["ResponsesRun", ...]  # per run, what only the Responses API has (() for chat)


def gather_smoke(ctx: Context) -> SmokeSummary:
    """Run the streamed chat request(s) and summarise them (doctor.stream.figures.SmokeSummary)."""
    return _gather(ctx, API_CHAT, ctx.fact("route"), ctx.settings.smoke or SmokeOptions())[0]


def gather_buffer_cause(ctx: Context) -> Optional[BufferCause]:
    """The `buffer_cause` fact: after a buffered chat smoke verdict, where the buffering is
    (doctor.stream.buffer_cause: its retries, one run each, quiet); else None."""
    smoke = ctx.fact("smoke")
    return _buffer_cause(ctx, API_CHAT, smoke, [m.problem is not None for m in smoke.metrics])


def gather_buffer_cause_responses(ctx: Context) -> Optional[BufferCause]:
    """The `buffer_cause_responses` fact: the same search after a buffered Responses API verdict,
    its retries sent as Responses requests (a proxy may hold one route and not the other)."""
    from doctor.settings import API_BOTH
    from doctor.stream.responses_events import ResponsesRun
    from doctor.stream.responses_verdicts import run_problem

    smoke = ctx.fact("smoke_responses")
    summary, runs = smoke.summary, smoke.runs
    both = (ctx.settings.smoke or SmokeOptions()).api == API_BOTH
    # A run is failed as stream.responses judges it: its own verdicts (no terminal event, ...) too.
    failed = [run_problem(trace, runs[i] if i < len(runs) else ResponsesRun(), summary.metrics[i].problem, both)
              is not None for i, trace in enumerate(summary.traces)]
    return _buffer_cause(ctx, API_RESPONSES, summary, failed)


def _buffer_cause(ctx: Context, api: str, smoke: SmokeSummary, failed: List[bool]) -> Optional[BufferCause]:
    from doctor.stream import buffer_cause as bc

    # Only a stream_buffered verdict shows the cause: no retries for a verdict that would not.
    if not bc.cause_shown(smoke, failed):
        return None
    route = ctx.fact("route")
    options = replace(ctx.settings.smoke or SmokeOptions(), runs=1, quiet=True)

    def rerun(direct: bool) -> StreamTrace:
        return _gather(ctx, api, bc.direct_route(route) if direct else route, options, bc.IDENTITY)[0].traces[0]

    return bc.find_cause(rerun, host=route.host, proxy=route.proxy_shown,
                         direct_withheld=bc.direct_withheld(route, ctx.settings.allow_insecure))


def gather_smoke_responses(ctx: Context) -> ResponsesSmoke:
    """Run the streamed Responses API request(s) the same way (doctor.stream.responses_events)."""
    from doctor.stream.responses_events import ResponsesSmoke

    summary, runs = _gather(ctx, API_RESPONSES, ctx.fact("route"), ctx.settings.smoke or SmokeOptions())
    return ResponsesSmoke(summary=summary, runs=runs)


def _gather(ctx: Context, api: str, route: Route, options: SmokeOptions,
            headers: Tuple[Tuple[str, str], ...] = ()) -> Tuple[SmokeSummary, Extras]:
    """The runs of `api` where the app runs along `route`, summarised, with their Responses
    extras; `headers` are added to each request (buffer_cause's retries)."""
    from doctor.knowledge.models import model_name
    from doctor.stream import trace as t
    from doctor.stream.figures import RanWith, summarise

    settings = ctx.settings
    endpoint = ctx.plan.endpoint
    model = model_name(settings, endpoint)

    def summary(traces: List[StreamTrace], sdk: str, warmup_ms: Optional[float] = None,
                ran: Optional[RanWith] = None) -> SmokeSummary:
        ran = ran or RanWith()
        notes = (ran.fallback,) if ran.fallback else ()
        return summarise(traces, model=model, base_url=endpoint.shown, sdk=sdk, max_ttft_s=options.max_ttft_s,
                         notes=notes, warmup_ms=warmup_ms, ran=ran)

    def not_started(failure: StreamFailure) -> Tuple[SmokeSummary, Extras]:
        return summary([t.StreamTrace(model=model, sdk="not started", failure=failure)], "not started"), ()

    refusal = _route_refusal(route, settings.allow_insecure)
    if refusal is not None:
        return not_started(refusal)
    try:
        # Built even for http:// URLs: so does the SDK's client, which then fails on a missing
        # SSL_CERT_FILE before sending anything (the app would too).
        verify = _tls_context(ctx)
    except (OSError, ValueError) as exc:  # what the SDK itself raises for unusable CA settings
        return not_started(t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, exception=type(exc).__name__,
                                           message=words.ca_unloadable(exc)))
    where = _where(ctx)
    if where.in_target:
        from doctor.stream.target_smoke import outcome

        result = _in_target(ctx, model, route, options, api, headers)
        got = outcome(result, model, options.max_tokens, endpoint.kind, where.openai)
        if got.fallback is None:
            ran = RanWith(python=result.python, python_version=got.python_version, http=got.http)
            return summary(list(got.traces), got.sdk, got.warmup_ms, ran), _target_extras(api, result)
        where = replace(where, in_target=False, fallback=got.fallback)
    return _in_process(ctx, model, verify, route, options, where.fallback, summary, api, headers)


def _target_extras(api: str, result: LaunchResult) -> Extras:
    """Each run's Responses extras from the runner's events (() for chat)."""
    if api != API_RESPONSES:
        return ()
    from doctor.stream.responses_events import responses_run

    return tuple(responses_run(run.trace, run.event_types, run.sequence_numbers, run.terminal) for run in result.runs)


def target_pip(ctx: Context, ran: RanWith) -> Optional[PipRefusal]:
    """Why the pip of the interpreter the smoke test ran in cannot start (doctor.knowledge.pip_vendor),
    for its fixes' pip commands; None when it can, or when it ran in chat-doctor's own interpreter
    instead (a fallback: not the target's pip). Read from the interpreter probe only if it was
    already gathered (it was whenever the runner ran in the target): never a probe for this alone."""
    from doctor.knowledge.pip_vendor import pip_refusal

    probe = ctx.peek("interpreter") if ran.fallback is None else None
    return pip_refusal(probe) if probe is not None else None


def _where(ctx: Context) -> Where:
    """Where the smoke test runs, from the interpreter probe (a probe that failed is a fallback)."""
    from doctor.stream.target_smoke import where_to_run

    python = ctx.plan.target.python
    facts, error = None, None
    if python != sys.executable:
        try:
            facts = ctx.fact("interpreter")
        except Exception as exc:  # noqa: BLE001  # ProbeFailed and its kin: python.interpreter reports it
            error = str(exc) or type(exc).__name__
    return where_to_run(python, facts, error, sys.executable, sys.prefix)


def _in_target(ctx: Context, model: str, route: Route, options: SmokeOptions, api: str,
               headers: Tuple[Tuple[str, str], ...] = ()) -> LaunchResult:
    """The runs inside the target interpreter (doctor.stream.target_launch), bounded by its
    deadline (the session's smoke bound plus the target's start-up)."""
    from doctor.stream.sdk import limit_field_for
    from doctor.stream.target_launch import RunnerJob, run_in_target

    settings, endpoint, env = ctx.settings, ctx.plan.endpoint, ctx.settings.env
    key, source = _credential(ctx)
    job = RunnerJob(
        base_url=endpoint.base_url, model=model, prompt=options.prompt, max_tokens=options.max_tokens,
        timeout_s=settings.timeout_s, runs=options.runs, limit_field=limit_field_for(endpoint.kind, endpoint.api_version),
        api=api, extra_headers=dict(headers) or None,
        kind=endpoint.kind, api_version=endpoint.api_version, deployment=endpoint.deployment,
        organization=env.get("OPENAI_ORG_ID") or None, project=env.get("OPENAI_PROJECT_ID") or None,
        ad_token=source.startswith("AZURE_OPENAI_AD_TOKEN"),
        allow_http=True,  # gather_smoke asked the key-travel rule first: this route may carry the key
    )
    return run_in_target(ctx.plan.target.python, job, env=env, key=key, redactor=ctx.redactor,
                         proxy_url=route.proxy_url, trust=ctx.fact("trust").sdk,
                         printer=_printer(ctx, options.runs, options.quiet, api))


def _label(index: int, runs: int, api: str) -> str:
    from doctor.knowledge.wording import stream_responses

    return stream_responses.live_label(index, runs) if api == API_RESPONSES else words.live_label(index, runs)


def _printer(ctx: Context, runs: int, quiet: bool, api: str) -> Optional[Callable[[int], LivePrinter]]:
    """The runner's live printers (one per run, numbered from 1), or None when nothing shows."""
    from doctor.stream.live import LivePrinter

    live = None if quiet else ctx.live
    if live is None:
        return None

    def printer(run: int) -> LivePrinter:
        return LivePrinter(live, _label(run - 1, runs, api), ctx.redactor)

    return printer


def _in_process(ctx: Context, model: str, verify: ssl.SSLContext, route: Route, options: SmokeOptions,
                fallback: Optional[str], summary: Summarise, api: str,
                headers: Tuple[Tuple[str, str], ...] = ()) -> Tuple[SmokeSummary, Extras]:
    """The runs in chat-doctor's own interpreter, through its openai SDK (doctor.stream.sdk)."""
    from doctor.stream import trace as t
    from doctor.stream.client import ClientConfig
    from doctor.stream.figures import RanWith
    from doctor.stream.live import LivePrinter
    from doctor.stream.problems import diagnose_run
    from doctor.stream.responses_events import ResponsesReader
    from doctor.stream.sdk import SdkSession, SetupFailed, StreamRequest

    settings, endpoint, env = ctx.settings, ctx.plan.endpoint, ctx.settings.env
    key, source = _credential(ctx)
    ad_token = source.startswith("AZURE_OPENAI_AD_TOKEN")
    config = ClientConfig(
        base_url=endpoint.base_url, kind=endpoint.kind, timeout_s=settings.timeout_s,
        api_key=None if ad_token else key, azure_ad_token=key if ad_token else None,
        api_version=endpoint.api_version, deployment=endpoint.deployment,
        organization=env.get("OPENAI_ORG_ID") or None, project=env.get("OPENAI_PROJECT_ID") or None,
        proxy_url=route.proxy_url, verify=verify,
    )
    # Without a fallback this interpreter is the target (maybe by another path): name it as given.
    python = sys.executable if fallback is not None else ctx.plan.target.python
    ran = RanWith(python=python, python_version=platform.python_version(), fallback=fallback)
    try:
        session = SdkSession(config, api=api)
    except SetupFailed as failed:
        return summary([t.StreamTrace(model=model, sdk=failed.sdk, failure=failed.failure)], failed.sdk, None, ran), ()
    ran = replace(ran, http=session.http)
    responses = api == API_RESPONSES
    # The Responses request has no stream_options: its usage comes in the terminal event.
    request = StreamRequest(model=model, prompt=options.prompt, max_tokens=options.max_tokens, api=api,
                            include_usage=not responses, headers=headers)
    live = None if options.quiet else ctx.live
    traces, extras = [], []
    try:
        for index in range(options.runs):
            printer = LivePrinter(live, _label(index, options.runs, api), ctx.redactor)
            reader = ResponsesReader() if responses else None
            trace, request = session.run(request, on_text=printer.text, reader=reader)
            printer.end()
            traces.append(trace)
            if reader is not None:
                extras.append(reader.run(trace))
            if diagnose_run(trace) is not None:
                break  # the problem is the finding; more runs would only repeat it
    finally:
        session.close()
    return summary(traces, session.sdk, session.warmup_ms, ran), tuple(extras)


def _credential(ctx: Context) -> Tuple[Optional[str], str]:
    """The credential the SDK would send for this endpoint, and the variable it came from.

    doctor.credentials applies the SDK's own rules (AzureOpenAI reads AZURE_OPENAI_AD_TOKEN /
    AZURE_OPENAI_API_KEY, OpenAI reads OPENAI_API_KEY).
    """
    from doctor.credentials import sdk_credential

    endpoint = ctx.plan.endpoint
    credential = sdk_credential(ctx.settings.env, endpoint.kind, base_url=endpoint.base_url)
    if credential is None:
        return None, "not set"
    return credential.value, credential.source


def _route_refusal(route: Route, allow_insecure: bool) -> Optional[StreamFailure]:
    """Why nothing may be sent on this route (the key-travel rule, or unusable proxy settings)."""
    from doctor.net.keyroute import withheld_on_route
    from doctor.stream import trace as t

    if route.problem:
        return t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, exception="route",
                               message=words.route_unusable(route.problem))
    withheld = withheld_on_route(route, allow_insecure)
    if withheld is None:
        return None
    return t.StreamFailure(kind=t.ERR_WITHHELD, phase=t.PHASE_SETUP, exception="withheld",
                           message=words.route_withheld(withheld))


def _tls_context(ctx: Context) -> ssl.SSLContext:
    """The SSLContext of the trust `net.tls` verified with (the SDK's CA material, rebuilt)."""
    from doctor.net.trust import build_context

    return build_context(ctx.fact("trust").sdk)
