"""Where the buffering is: after a buffered smoke verdict, one or two more requests find the cause.

A stream that arrives in one burst is held by something on the way. Rather than list every guess,
chat-doctor asks again, once each, and reports `stream_buffered` with `data.cause`:

1. with `Accept-Encoding: identity`, along the same route. Compression is the common cause: a
   server or proxy that gzips `text/event-stream` deflates without flushing, so the whole reply
   leaves at the end (tests/support/buffering_proxy.py measures nginx doing it). Streamed now:
   `compression`.
2. when the route has a proxy, directly to the endpoint (identity again, so that only the proxy
   differs from 1), if the key-travel rule (doctor.net.keyroute) lets the key go that way:
   streamed: `proxy`. A direct connection that cannot be made means the proxy is required
   (noted); the cause stays `upstream`. The key withheld: the retry is not made, and says why.
3. otherwise `upstream`: the server itself, or something past the proxy (a gateway, a CDN).

Only a retry that `streamed` is evidence: one that failed, was too short or too fast to judge,
or was buffered again leaves the cause where it was. The retries' figures are kept as evidence
beside the cause and never replace the measured runs'. Each retry is one run of the smoke
request under the same budget (doctor.stream.budget.cause_bound_s adds them to the run's bound).

The retries are made only when the verdict will show them (`cause_shown`): stream_buffered is
reported after a failed run, the TTFT threshold and an ignored token limit
(doctor.checks.smoke_judging), and a verdict that is one of those carries no cause, so retries
made then would cost up to two more full requests (time and tokens) for evidence no one sees.
Once that finding is fixed, the next run is buffered only, and finds the cause.

How a retry is sent is the smoke fact's business (doctor.checks.smoke_fact hands in a `Rerun`);
this module decides which retries are made and what they mean (`decide` is pure).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from doctor.knowledge.wording import buffering as say
from doctor.stream import trace as t
from doctor.stream.budget import CAUSE_RETRIES
from doctor.stream.figures import NOT_JUDGED, STREAMED, measure

if TYPE_CHECKING:
    from doctor.checks.route import Route
    from doctor.model import Fix
    from doctor.stream.figures import SmokeSummary

COMPRESSION = "compression"
PROXY = "proxy"
UPSTREAM = "upstream"
CAUSES = (COMPRESSION, PROXY, UPSTREAM)

# Sent with every retry: a server or proxy that compresses only what the client accepts then
# sends the stream as it is produced, if compression was what held it.
IDENTITY: Tuple[Tuple[str, str], ...] = (("Accept-Encoding", "identity"),)
RETRIES = CAUSE_RETRIES  # at most: identity along the route, then identity directly (budget.cause_bound_s)

Rerun = Callable[[bool], t.StreamTrace]  # rerun(direct) -> the trace of one request sent with IDENTITY


@dataclass(frozen=True)
class Retry:
    """One retry and what it showed: its buffering verdict and its own figures."""

    direct: bool  # sent straight to the endpoint, bypassing the route's proxy
    verdict: str  # a doctor.stream.figures verdict: streamed, buffered, too_short, too_fast, n/a
    reason: str  # the verdict's reason, or what went wrong
    headers_ms: Optional[float] = None
    ttft_ms: Optional[float] = None
    total_ms: Optional[float] = None
    content_encoding: Optional[str] = None  # what the response came back as ("gzip": identity was not honoured)
    failure: Optional[str] = None  # the failure kind (doctor.stream.trace ERR_*) when it got no stream
    no_connection: bool = False  # the connection itself could not be made

    @property
    def streamed(self) -> bool:
        return self.verdict == STREAMED

    def to_dict(self) -> Dict[str, Any]:
        return {"route": "direct" if self.direct else "same", "accept_encoding": "identity",
                "buffering": self.verdict, "reason": self.reason, "headers_ms": self.headers_ms,
                "ttft_ms": self.ttft_ms, "total_ms": self.total_ms, "content_encoding": self.content_encoding,
                "error": self.failure, "no_connection": self.no_connection}


@dataclass(frozen=True)
class BufferCause:
    """The cause of a buffered stream, with the evidence (the report's `stream_buffered` data)."""

    cause: str  # one of CAUSES
    retries: Tuple[Retry, ...]
    host: str  # the endpoint's host (the proxy fix bypasses it)
    proxy: Optional[str] = None  # the route's proxy, credentials masked; None: no proxy
    direct_not_tried: Optional[str] = None  # why the direct retry was not made although there is a proxy
    proxy_required: bool = False  # the direct retry could not connect: only the proxy reaches the endpoint

    def evidence(self) -> Dict[str, Any]:
        return {"retries": [r.to_dict() for r in self.retries], "proxy": self.proxy,
                "direct_not_tried": self.direct_not_tried, "proxy_required": self.proxy_required}

    def details(self) -> List[str]:
        lines = [say.found(self.cause)]
        lines += [say.retry_line(r.direct, self.proxy, r.verdict, r.reason) for r in self.retries]
        if self.proxy_required:
            lines.append(say.proxy_required(self.proxy))
        if self.direct_not_tried is not None:
            lines.append(say.direct_not_tried(self.direct_not_tried))
        return lines

    def fixes(self) -> Tuple[Fix, ...]:
        if self.cause == COMPRESSION:
            return say.COMPRESSION_FIXES
        if self.cause == PROXY:
            return say.proxy_fixes(self.proxy, self.host)
        return say.UPSTREAM_FIXES


def retry_of(direct: bool, trace: t.StreamTrace) -> Retry:
    """What one retry showed, from its trace (pure)."""
    m = measure(trace)
    failure = trace.failure
    encoding = dict(trace.extra).get(t.CONTENT_ENCODING)
    if failure is not None:
        # Refused, reset, unresolvable or timed out before any response: no connection was made.
        unreached = (failure.phase in (t.PHASE_REQUEST, t.PHASE_SETUP) and trace.headers_ms is None
                     and failure.kind in (t.ERR_CONNECTION, t.ERR_TIMEOUT))
        return Retry(direct, NOT_JUDGED, say.retry_failed(failure.message), m.headers_ms, m.ttft_ms, m.total_ms,
                     encoding, failure.kind, unreached)
    return Retry(direct, m.buffering.verdict, m.buffering.reason, m.headers_ms, m.ttft_ms, m.total_ms, encoding)


def decide(same: Retry, direct: Optional[Retry], *, host: str, proxy: Optional[str],
           direct_not_tried: Optional[str] = None) -> BufferCause:
    """The cause from the retries made (pure; see the module docstring for the order)."""
    retries = (same,) if direct is None else (same, direct)
    if same.streamed:
        return BufferCause(COMPRESSION, retries, host, proxy)
    if direct is not None and direct.streamed:
        return BufferCause(PROXY, retries, host, proxy)
    return BufferCause(UPSTREAM, retries, host, proxy, direct_not_tried=direct_not_tried,
                       proxy_required=direct is not None and direct.no_connection)


def cause_shown(summary: SmokeSummary, failed: Sequence[bool]) -> bool:
    """Whether the verdict over `summary` will be stream_buffered, the only one that shows a cause
    (pure). `failed` says per run whether the check finds it failed (stream.chat: its metrics'
    problem; stream.responses: its own verdicts too). doctor.checks.smoke_judging.verdict's order:
    a failed run, then the TTFT threshold, then an ignored token limit, and only then buffering."""
    if not summary.buffered or any(failed):
        return False
    ttft = summary.ttft
    if summary.max_ttft_ms is not None and ttft is not None and ttft["p50"] > summary.max_ttft_ms:
        return False
    return all(trace.overrun is None for trace in summary.traces)


def find_cause(rerun: Rerun, *, host: str, proxy: Optional[str], direct_withheld: Optional[str]) -> BufferCause:
    """Make the retries `decide` needs, no more: the direct one only when the first did not stream,
    the route has a proxy and the key may travel directly."""
    same = retry_of(False, rerun(False))
    if same.streamed or proxy is None:
        return decide(same, None, host=host, proxy=proxy)
    if direct_withheld is not None:
        return decide(same, None, host=host, proxy=proxy, direct_not_tried=direct_withheld)
    return decide(same, retry_of(True, rerun(True)), host=host, proxy=proxy)


def direct_route(route: Route) -> Route:
    """The same endpoint without the proxy: what the direct retry sends along."""
    return replace(route, proxy_url=None, proxy_shown=None, proxy_scheme=None, proxy_host=None, proxy_port=None,
                   proxy_variable=None, proxy_auth=None, proxy_problems=(), stack_choice=None)


def direct_withheld(route: Route, allow_insecure: bool) -> Optional[str]:
    """Why the key may not go straight to the endpoint (doctor.net.keyroute's one rule), or None."""
    from doctor.net.keyroute import withheld_on_route

    return withheld_on_route(direct_route(route), allow_insecure)
