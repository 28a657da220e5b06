"""Whether a streamed reply ended well and carried what was asked for. Pure.

The transport can be perfect and the reply still wrong. The finish reason of the last choice
decides how it ended: `stop`, `length`, `tool_calls` and `function_call` are normal ends (so are
the Responses API's `completed` and `max_output_tokens`); vLLM's `abort` (a cancelled or
preempted request) and its `error` are failures even when `[DONE]` followed (`stream_aborted`);
`content_filter` (OpenAI, Azure, and the Responses API's incomplete reason) is a warning: a policy
cut the reply short (`content_filtered`). A reason chat-doctor does not know (TGI's `eos_token`,
...) is taken as a normal end: judging it would fail servers that are fine. And a stream that was
asked for `include_usage` but carried no usage is a warning (`stream_no_usage`).

Used by doctor.stream.problems (an aborted run is that run's problem) and stream.chat (the
warnings over the runs, `warning_finding`); the Responses API's verdict can call `finish_verdict`
and `usage_missing` with its terminal event's reason and usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional, Sequence, Tuple

from doctor.checks.findings import Finding
from doctor.knowledge.wording import stream_integrity as words
from doctor.knowledge.wording.stream import run_prefix
from doctor.model import Fix
from doctor.stream import trace as t

NORMAL_ENDS: FrozenSet[str] = frozenset({"stop", "length", "tool_calls", "function_call",
                                         "completed", "max_output_tokens"})
ABORTED: FrozenSet[str] = frozenset({"abort", "error"})
FILTERED: FrozenSet[str] = frozenset({"content_filter"})


@dataclass(frozen=True)
class IntegrityFinding:
    """What is wrong with how one reply ended or what it carried (a registered code, its words)."""

    code: str  # stream_aborted, content_filtered or stream_no_usage
    summary: str
    details: Tuple[str, ...] = ()


def finish_verdict(finish_reason: Optional[str], content_chunks: int = 0, done: bool = True) -> Optional[IntegrityFinding]:
    """The finding a finish reason makes, or None for a normal (or unknown) end.

    `content_chunks` is how many content chunks came first, `done` whether the stream then ended
    normally (`[DONE]`, or the Responses API's terminal event) rather than being cut."""
    reason = (finish_reason or "").strip().lower()
    if reason in ABORTED:
        return IntegrityFinding("stream_aborted", words.aborted(reason, content_chunks, done), (words.ABORT_DETAIL,))
    if reason in FILTERED:
        return IntegrityFinding("content_filtered", words.filtered(content_chunks), (words.FILTER_DETAIL,))
    return None


def usage_missing(requested: bool, usage_seen: bool) -> bool:
    """The usage was asked for and never came (chat: `stream_options.include_usage`; the Responses
    API always reports it in its terminal event)."""
    return requested and not usage_seen


def aborted(trace: t.StreamTrace) -> Optional[IntegrityFinding]:
    """stream_aborted for a chat run that finished with abort/error, else None (a problem of the run)."""
    found = finish_verdict(trace.finish_reason, trace.count(t.CONTENT))
    return found if found is not None and found.code == "stream_aborted" else None


def run_warning(trace: t.StreamTrace) -> Optional[IntegrityFinding]:
    """The warning one chat run that otherwise succeeded deserves: its reply was filtered, or the
    usage it asked for never came. Runs with a failure or an overrun are judged elsewhere."""
    if trace.failure is not None or trace.overrun is not None or trace.finish_reason is None:
        return None
    found = finish_verdict(trace.finish_reason, trace.count(t.CONTENT))
    if found is not None and found.code == "content_filtered":
        return found
    if usage_missing(trace.usage_requested, trace.completion_tokens is not None):
        return IntegrityFinding("stream_no_usage", words.no_usage(1, 1), (words.NO_USAGE_DETAIL,))
    return None


def runs_warning(traces: Sequence[t.StreamTrace]) -> Optional[Tuple[int, IntegrityFinding]]:
    """(index, finding) of the first run with an integrity warning (a filtered reply before a
    missing usage chunk); a missing usage chunk is counted over the runs."""
    found = [(i, w) for i, w in ((i, run_warning(tr)) for i, tr in enumerate(traces)) if w is not None]
    if not found:
        return None
    filtered = [(i, w) for i, w in found if w.code == "content_filtered"]
    if filtered:
        return filtered[0]
    index, finding = found[0]
    if len(traces) > 1:
        finding = IntegrityFinding(finding.code, words.no_usage(len(found), len(traces)), finding.details)
    return index, finding


def integrity_fixes(code: str) -> Tuple[Fix, ...]:
    """Concrete fixes for a warning of runs_warning's; () leaves the registered fix."""
    return words.USAGE_FIXES if code == "stream_no_usage" else ()


def warning_finding(traces: Sequence[t.StreamTrace]) -> Optional[Finding]:
    """runs_warning as a doctor.checks.findings.Finding, its summary naming the run ("run 2/3: ")
    and with its fixes: what a smoke check's verdict reports after its own warnings."""
    warned = runs_warning(traces)
    if warned is None:
        return None
    index, found = warned
    return Finding(found.code, run_prefix(index, len(traces)) + found.summary, found.details,
                   integrity_fixes(found.code))
