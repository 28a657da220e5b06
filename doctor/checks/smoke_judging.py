"""The verdict over a smoke test's runs, shared by `stream.chat` and `stream.responses`. Pure.

Both checks stream the same way (doctor.checks.smoke_fact) and summarise their runs into a
`SmokeSummary` (doctor.stream.figures); what differs is what counts as a run's problem (the
Responses API has its own verdicts: doctor.stream.responses_verdicts) and the warnings only one
API can raise. The order is the same for both: the first failed run's problem, else the TTFT
threshold (naming buffering beside it: a buffered stream is why its first token is late), else an
ignored token limit (read past chat-doctor's bound, or proved by the server's own usage count), else
buffering, then the check's own warnings; details always carry the timings. Not a check (declares
no CHECKS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Collection, Dict, List, Optional, Sequence, Tuple

from doctor.checks.findings import Finding, combine
from doctor.knowledge.diagnoses import diagnose, fixes_for, ok
from doctor.knowledge.wording import pip_repair
from doctor.knowledge.wording import stream as words
from doctor.knowledge.wording import target_run as say
from doctor.model import CheckResult, Fix
from doctor.stream import trace as t
from doctor.stream.budget import usage_overran
from doctor.stream.sample import with_small_sample

if TYPE_CHECKING:
    from doctor.knowledge.pip_vendor import PipRefusal
    from doctor.stream.buffer_cause import BufferCause
    from doctor.stream.figures import SmokeSummary
    from doctor.stream.problems import RunProblem

ProblemOf = Callable[[int], "Optional[RunProblem]"]  # run index -> its problem (default: the metrics')


def verdict(
    check_id: str,
    summary: SmokeSummary,
    python: str,
    beside: Collection[str],
    *,
    problem_of: Optional[ProblemOf] = None,
    warnings: Sequence[Finding] = (),
    data: Optional[Dict[str, Any]] = None,
    buffer_cause: Optional[BufferCause] = None,
    pip: Optional[PipRefusal] = None,
    socks_unset: Sequence[str] = (),
) -> CheckResult:
    """The check's result over `summary`'s runs (see the module docstring). `problem_of` gives a
    run's problem (stream.chat: the analysis's own, RunMetrics.problem); `warnings` are the check's
    own findings, reported after the shared ones; `data` is added to check_data's; `buffer_cause`
is where a buffered stream was held (stream.chat's retries), with the fix for that cause only; `pip`
why `python`'s own pip cannot start: its pip commands then first restore one that can; `socks_unset`
the variables holding a SOCKS proxy, which pip must run without."""
    n = len(summary.metrics)
    details = [*timing_lines(summary), *summary.notes]
    data = {**check_data(summary), **(data or {})}
    for index, metrics in enumerate(summary.metrics):
        problem = problem_of(index) if problem_of is not None else metrics.problem
        if problem is None:
            continue
        if problem.limit is not None:
            data = dict(data, limit=problem.limit.to_dict())
        kind = summary.traces[index].endpoint_kind
        fixes = _fixes(problem.code, summary, index, python, socks_unset) or _request_fixes(problem.code, kind, beside)
        fixes = tuple(pip_repair.guarded(fixes, python, pip))
        return diagnose(
            check_id, problem.code, words.run_prefix(index, n) + problem.summary,
            status=problem.status, details=[*problem.details, *pip_repair.notes(fixes, python, pip), *details],
            data=data, fixes=fixes,
        )
    # Only verdicts the threshold decided get the note; a failed run above returned already.
    details, data = with_small_sample(details, data, n, summary.max_ttft_ms)
    ttft = summary.ttft
    headline = headline_of(summary)
    if summary.max_ttft_ms is not None and ttft is not None and ttft["p50"] > summary.max_ttft_ms:
        return _over_limit(check_id, summary, words.ttft_over_limit(n, ttft["p50"], summary.max_ttft_ms),
                           [headline, *details], data)
    found = [*_shared_warning(summary, headline, details, data, buffer_cause), *warnings]
    if not found:
        return ok(check_id, headline, details=details, data=data)
    if len(found) == 1 and not warnings:  # stream.chat's result exactly as it always was
        first = found[0]
        return diagnose(check_id, first.code, first.summary, details=first.details, fixes=first.fixes, data=data)
    shared = bool(len(found) - len(warnings))
    # The shared warning's details already hold the headline and timings: the others' do not.
    return combine(check_id, found, headline, details=() if shared else [headline, *details], data=data)


def _over_limit(check_id: str, summary: SmokeSummary, line: str, details: List[str], data: Dict[str, Any]) -> CheckResult:
    """ttft_over_limit, keeping its code and exit code (a threshold). A buffered stream is named beside
    it: buffering holds the first token back until the whole reply is in, so it is why the TTFT is late
    and what to fix first (its fixes lead). No cause is searched here (buffer_cause.cause_shown)."""
    held = _first_buffered(summary)
    if held is None:
        return diagnose(check_id, "ttft_over_limit", line, details=details, data=data, fixes=words.TTFT_FIXES)
    index, reason = held
    over = Finding("ttft_over_limit", words.over_limit_buffered(line), details=tuple(details),
                   fixes=(*words.BUFFER_FIXES, *words.TTFT_FIXES))
    buffered = Finding("stream_buffered", words.buffered(words.run_prefix(index, len(summary.metrics)), reason),
                       details=(words.BUFFERED_BEHIND_TTFT,), fixes=words.BUFFER_FIXES)
    return combine(check_id, [over, buffered], line, data=data)  # data.findings: both codes


def _first_buffered(summary: SmokeSummary) -> Optional[Tuple[int, str]]:
    """The first buffered run's index and the reason it was judged so, or None."""
    return next(((i, m.buffering.reason) for i, m in enumerate(summary.metrics) if m.buffered), None)


def _shared_warning(summary: SmokeSummary, headline: str, details: List[str], data: Dict[str, Any],
                    cause: Optional[BufferCause] = None) -> List[Finding]:
    """An ignored token limit, else buffering: the first of them, as stream.chat has always said it."""
    ignored = [(i, tr, found) for i, tr in enumerate(summary.traces) for found in [_overrun(tr)] if found is not None]
    n = len(summary.metrics)
    if ignored:
        index, trace, (limit, evidence) = ignored[0]
        data.update(limit=limit.to_dict(), limit_field=trace.limit_field, limit_evidence=evidence)
        prefix = words.run_prefix(index, n)
        if evidence == EVIDENCE_USAGE:
            summary_line = words.usage_overran(prefix, trace.max_tokens, trace.limit_field, limit)
            overrun = words.usage_overrun_line(trace.limit_field, len(ignored), len(summary.traces))
        else:
            summary_line = words.limit_ignored(prefix, trace.max_tokens, trace.limit_field, limit)
            overrun = words.overrun_line(trace.limit_field, len(ignored), len(summary.traces))
        return [Finding("max_tokens_ignored", summary_line, details=(headline, *details, overrun))]
    held = _first_buffered(summary)
    if held is not None:
        index, reason = held
        if cause is not None:  # doctor.stream.buffer_cause: the cause, its evidence and its fixes
            details = [*cause.details(), *details]
            data.update(cause=cause.cause, cause_evidence=cause.evidence())
        return [Finding("stream_buffered", words.buffered(words.run_prefix(index, n), reason),
                        details=(headline, *details), fixes=cause.fixes() if cause else words.BUFFER_FIXES)]
    return []


EVIDENCE_READ = "read_bound"  # chat-doctor stopped reading at its token bound (doctor.stream.budget)
EVIDENCE_USAGE = "usage"  # the reply ended, short, but the server's own usage counted past the limit


def _overrun(trace: t.StreamTrace) -> Optional[Tuple[t.StreamLimit, str]]:
    """How a run's reply ignored the token limit, with the evidence, or None (see budget.usage_overran)."""
    if trace.overrun is not None:
        return trace.overrun, EVIDENCE_READ
    reported = trace.completion_tokens
    if trace.max_tokens is None or reported is None or trace.failure is not None:
        return None
    if not usage_overran(trace.max_tokens, reported, trace.finish_reason, trace.count(t.REASONING) > 0):
        return None
    return t.StreamLimit(kind=t.LIMIT_TOKENS, bound=trace.max_tokens, observed=reported, unit="tokens"), EVIDENCE_USAGE


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


def _fixes(code: str, summary: SmokeSummary, index: int, python: str, socks_unset: Sequence[str]) -> Tuple[Fix, ...]:
    """Concrete fixes where there are some; else () and diagnose() uses the registered text."""
    if code == "stream_buffered":
        return words.BUFFER_FIXES
    if code == "proxy_socks_unsupported":
        return words.socks_fixes(summary.sdk, python, socks_unset)
    failure = summary.traces[index].failure
    if code == "stream_sdk_broken" and failure is not None:
        from doctor.knowledge.wording.stream_responses import NO_CLIENT_RESPONSES, no_responses_fixes

        if NO_CLIENT_RESPONSES in failure.message:  # an openai older than the Responses API
            return no_responses_fixes(python)
        return say.sdk_broken_fixes(python, failure.exception, failure.message, summary.sdk)
    if code == "responses_api_unsupported":
        from doctor.knowledge.wording.stream_responses import unsupported_fixes

        return unsupported_fixes(summary.traces[index].endpoint_kind)
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
