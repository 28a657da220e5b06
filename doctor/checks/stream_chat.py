"""`stream.chat`: the streamed chat smoke test (`smoke`, `check --smoke`).

Gathering: the `smoke` fact (doctor.checks.smoke_fact, registered here in FACTS) runs the
streamed request(s) inside the target interpreter when it can (else in chat-doctor's own, and
says so) along the route and with the trust the checks decided, and returns a `SmokeSummary`
(doctor.stream.figures); the session puts its `to_dict()` into the report as the `smoke` object.
Streamed text goes to `ctx.live` (set by the presenter: stdout, stderr under --json, or
nowhere): the check itself never prints.

Judging (pure): the first failed run's problem (doctor.stream.problems), else the TTFT
threshold, else an ignored token limit, else buffering (both warnings), else a filtered reply or a
missing usage chunk (warnings, doctor.stream.integrity), else ok. Details always
carry the timings (shown with -v or on a problem). The words are in
doctor.knowledge.wording.stream.

The check starts only once every check printed before it has finished (`after_earlier`): their
result lines then never land in the middle of the streamed reply, and their network probes do
not compete with the timed request on a small machine.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Collection, Dict, List, Optional, Tuple

from doctor.checks.smoke_fact import gather_buffer_cause, gather_smoke
from doctor.knowledge.diagnoses import diagnose, fixes_for, ok
from doctor.knowledge.wording import stream as words
from doctor.knowledge.wording import target_run as say
from doctor.model import CheckResult, Fix
from doctor.runner import Check, Context, FactProvider
from doctor.stream import integrity
from doctor.stream.sample import with_small_sample

if TYPE_CHECKING:
    from doctor.stream.buffer_cause import BufferCause
    from doctor.stream.figures import SmokeSummary

ID = "stream.chat"
TITLE = "streamed chat"

# Every check the smoke test must be able to rely on; checks not in this run are ignored.
NEEDS = ("config.api_key", "config.base_url")


@dataclass(frozen=True)
class StreamChatFacts:
    smoke: SmokeSummary
    # The other checks of this run: a fix points at their results rather than at a command
    # the user is already running.
    beside: Tuple[str, ...]
    python: str  # the interpreter the smoke test ran in (the target, or chat-doctor's own): where fixes install
    buffer_cause: Optional[BufferCause] = None  # where the buffering is, after a buffered verdict only
    net_ms: Tuple[Tuple[str, float], ...] = ()  # DNS/TCP/TLS of the net checks of this run, for the -v ladder


def gather(ctx: Context) -> StreamChatFacts:
    beside = tuple(check_id for check_id in ctx.check_ids() if check_id != ID)
    smoke = ctx.fact("smoke")
    cause = ctx.fact("buffer_cause") if smoke.buffered else None
    return StreamChatFacts(smoke=smoke, beside=beside, python=smoke.ran.python or sys.executable, buffer_cause=cause,
                           net_ms=_net_timings(ctx, beside))


def _net_timings(ctx: Context, beside: Tuple[str, ...]) -> Tuple[Tuple[str, float], ...]:
    """The phase times net.tcp and net.tls measured, when they ran (they finished: after_earlier)."""
    found: Dict[str, float] = {}
    for check_id in ("net.tcp", "net.tls"):
        result = ctx.result(check_id) if check_id in beside else None
        timings = result.data.get("timings_ms") if result is not None else None
        if isinstance(timings, dict):
            found.update((k, float(v)) for k, v in timings.items() if isinstance(v, (int, float)))
    return tuple(found.items())


# ============================================================================================
# Judging (pure)
# ============================================================================================


def judge(facts: StreamChatFacts) -> CheckResult:
    summary = facts.smoke
    n = len(summary.metrics)
    details = [*timing_lines(summary), *summary.notes]
    data = dict(check_data(summary), net_ms=dict(facts.net_ms))
    for index, metrics in enumerate(summary.metrics):
        problem = metrics.problem
        if problem is None:
            continue
        if problem.limit is not None:
            data = dict(data, limit=problem.limit.to_dict())
        kind = summary.traces[index].endpoint_kind
        return diagnose(
            ID, problem.code, words.run_prefix(index, n) + problem.summary,
            status=problem.status, details=[*problem.details, *details], data=data,
            fixes=_fixes(problem.code, summary, index, facts.python) or _request_fixes(problem.code, kind, facts.beside),
        )
    # Only verdicts the threshold decided get the note; a failed run above returned already.
    details, data = with_small_sample(details, data, n, summary.max_ttft_ms)
    ttft = summary.ttft
    headline = headline_of(summary)
    if summary.max_ttft_ms is not None and ttft is not None and ttft["p50"] > summary.max_ttft_ms:
        return diagnose(ID, "ttft_over_limit", words.ttft_over_limit(n, ttft["p50"], summary.max_ttft_ms),
                        details=[headline, *details], data=data, fixes=words.TTFT_FIXES)
    ignored = [(i, tr) for i, tr in enumerate(summary.traces) if tr.overrun is not None]
    if ignored:
        index, trace = ignored[0]
        limit = trace.overrun
        assert limit is not None
        overrun = words.overrun_line(trace.limit_field, len(ignored), len(summary.traces))
        return diagnose(
            ID, "max_tokens_ignored",
            words.limit_ignored(words.run_prefix(index, n), trace.max_tokens, trace.limit_field, limit),
            details=[headline, *details, overrun],
            data=dict(data, limit=limit.to_dict(), limit_field=trace.limit_field),
        )
    buffered = [(i, m) for i, m in enumerate(summary.metrics) if m.buffered]
    if buffered:
        index, metrics = buffered[0]
        cause = facts.buffer_cause  # doctor.stream.buffer_cause: the cause, its evidence and its fixes
        if cause is not None:
            details = [*cause.details(), *details]
            data = dict(data, cause=cause.cause, cause_evidence=cause.evidence())
        return diagnose(ID, "stream_buffered", words.buffered(words.run_prefix(index, n), metrics.buffering.reason),
                        details=[headline, *details], fixes=cause.fixes() if cause else words.BUFFER_FIXES, data=data)
    found = integrity.warning_finding(summary.traces)  # a filtered reply, or no usage chunk
    if found is not None:
        return diagnose(ID, found.code, found.summary, details=[headline, *found.details, *details],
                        fixes=found.fixes, data=data)
    return ok(ID, headline, details=details, data=data)


def headline_of(summary: SmokeSummary) -> str:
    """One line: what streamed and how fast."""
    m = summary.metrics
    if len(m) == 1:
        one = m[0]
        tokens = one.completion_tokens if one.completion_tokens is not None else one.content_chunks
        return words.one_run(tokens, one.ttft_ms, one.total_ms, one.tokens_per_s)
    ttft = summary.ttft or {}
    return words.many_runs(len(m), ttft.get("p50"), ttft.get("min"), ttft.get("p90"), ttft.get("max"))


def timing_lines(summary: SmokeSummary) -> List[str]:
    """Short lines for details (the -v table with every run is drawn by doctor.render.smoke)."""
    from doctor.stream.figures import TOO_FAST, TOO_SHORT

    pairs = [(tr, m) for tr, m in zip(summary.traces, summary.metrics) if m.headers_ms is not None]
    lines = []
    if len(summary.metrics) == 1 and pairs:
        trace, m = pairs[0]
        lines.append(words.phases(m.headers_ms, m.first_chunk_ms, m.first_reasoning_ms, m.ttft_ms, m.last_token_ms,
                                  m.total_ms) + words.connection_kind(trace.connection))
    elif pairs:
        med = summary.timings()

        def p50(key: str) -> Optional[float]:
            return (med.get(key) or {}).get("p50")

        reasoning = [m.first_reasoning_ms for _, m in pairs if m.first_reasoning_ms is not None]
        lines.append(words.median_of(len(pairs), words.phases(
            p50("headers_ms"), p50("first_chunk_ms"), sorted(reasoning)[len(reasoning) // 2] if reasoning else None,
            p50("ttft_ms"), p50("last_token_ms"), p50("total_ms"))))
        kinds = [tr.connection for tr, _ in pairs]
        if all(kinds):
            lines.append(words.connections(kinds.count("new"), kinds.count("reused")))
            if len(kinds) > 1 and all(k == "new" for k in kinds[1:]):
                lines.append(words.SDK_CLOSED_CONNECTIONS)
    unjudged = [m.buffering.reason for m in summary.metrics if m.buffering.verdict in (TOO_SHORT, TOO_FAST)]
    if unjudged:
        n = len(summary.metrics)
        lines.append(unjudged[0] if n == 1 else words.not_judged_in(len(unjudged), n, unjudged[0]))
    fallbacks = sorted({f for tr in summary.traces for f in tr.fallbacks})
    if fallbacks:
        lines.append(words.fields_dropped(fallbacks))
    lines.append(words.model_line(summary.model, summary.base_url, summary.sdk, summary.warmup_ms))
    ran = summary.ran
    if ran.python is not None:
        lines.append(say.ran_with(ran.python, ran.python_version, summary.sdk, ran.http, ran.fallback is None))
    return lines


def check_data(summary: SmokeSummary) -> Dict[str, Any]:
    """What the -v timing table needs; the full record is the report's `smoke` object."""
    return {
        "model": summary.model,
        "sdk": summary.sdk,
        "http": summary.ran.http,
        "python": summary.ran.python,
        "ran_in": summary.ran.ran_in,
        "runs": [
            {
                "headers_ms": m.headers_ms, "first_chunk_ms": m.first_chunk_ms, "first_byte_ms": m.first_byte_ms,
                "first_token_any_ms": m.first_token_any_ms, "connect_ms": tr.connect_ms,
                "first_reasoning_ms": m.first_reasoning_ms, "ttft_ms": m.ttft_ms,
                "last_token_ms": m.last_token_ms, "total_ms": m.total_ms,
                "tokens_per_s": m.tokens_per_s, "itl_ms": m.itl_ms, "connection": tr.connection,
                "buffering": m.buffering.verdict, "error": m.problem.code if m.problem else None,
            }
            for tr, m in zip(summary.traces, summary.metrics)
        ],
        "stats": summary.timings(),
        "max_ttft_ms": summary.max_ttft_ms,
        "token_arrivals_ms": summary.token_arrivals(),
        "dialect": summary.dialect.to_dict() if summary.dialect is not None else None,
    }


def _fixes(code: str, summary: SmokeSummary, index: int, python: str) -> Tuple[Fix, ...]:
    """Concrete fixes where there are some; else () and diagnose() uses the registered text."""
    if code == "stream_buffered":
        return words.BUFFER_FIXES
    if code == "proxy_socks_unsupported":
        return words.socks_fixes(summary.sdk, python)
    failure = summary.traces[index].failure
    if code == "stream_sdk_broken" and failure is not None:
        return say.sdk_broken_fixes(python, failure.exception, failure.message, summary.sdk)
    return ()


def _request_fixes(code: str, kind: str, beside: Collection[str]) -> Tuple[Fix, ...]:
    """Fixes for a request that got no stream, fitting the endpoint and the command being run."""
    if code == "stream_connection_failed":
        where = words.SEE_THE_NETWORK_CHECKS_ABOVE if "net.tcp" in beside else words.RUN_THE_NETWORK_CHECKS
        return (where, words.CHECK_THE_CONFIGURATION)
    if code == "missing_scopes":
        return (words.restricted_key(kind),)
    if code == "model_not_found" and "api.model" not in beside:
        return (words.CHOOSE_A_LISTED_MODEL,)
    return fixes_for(code, kind)


CHECKS: Tuple[Check, ...] = (
    Check(ID, TITLE, gather, judge, needs=NEEDS, network=True, after_earlier=True),
)
FACTS: Dict[str, FactProvider] = {"smoke": gather_smoke, "buffer_cause": gather_buffer_cause}
