"""What `stream.chat` (the streamed smoke test) says: summaries, detail lines and fixes.

The rules that pick them live in doctor.stream.figures (timings, buffering), doctor.stream.problems
(what went wrong in one run) and doctor/checks/stream_chat.py (the verdict over the runs); the
codes' own meanings are in doctor/knowledge/codes/stream.py. Durations are written by
doctor.words.ms ("-" where a run has none).
"""

from __future__ import annotations

import shlex
from typing import Optional, Sequence, Tuple

from doctor.model import Fix
from doctor.stream import trace as t
from doctor.words import ms

NO_TIME = "-"  # a phase a run never reached


# --- before anything is sent (the smoke fact) ---------------------------------------------------


def ca_unloadable(error: BaseException) -> str:
    return f"the CA settings cannot be loaded: {error}"


def route_unusable(problem: str) -> str:
    return f"the route cannot be used: {problem}"


def route_withheld(withheld: str) -> str:
    return f"{withheld} (use https, or --allow-insecure)"


def live_label(index: int, runs: int) -> str:
    """What precedes a run's streamed reply on the screen."""
    return "reply" if runs == 1 else f"run {index + 1}/{runs}"


def live_prefix(label: str) -> str:
    return f"   {label}: "


# --- a bound of doctor.stream.budget ------------------------------------------------------------


def describe_limit(limit: t.StreamLimit) -> str:
    """The figures, in words: "no new event for 3.0 s (the limit is 3 s)"."""
    def amount(value: float) -> str:
        if limit.unit == "s":
            return f"{value:.1f} s"
        if limit.unit == "bytes":
            return f"{value / (1024 * 1024):.1f} MiB" if value >= 1024 * 1024 else f"{value:.0f} bytes"
        return f"{value:.0f} {limit.unit}"

    what = {
        t.LIMIT_HEADERS: "the response headers were still incomplete after",
        t.LIMIT_STALL: "no new event for",
        t.LIMIT_RUN_TIME: "the server was still sending after",
        t.LIMIT_EVENT_BYTES: "one event (a line that never ends) reached",
        t.LIMIT_REPLY_BYTES: "the reply reached",
        t.LIMIT_TOTAL_BYTES: "the runs together reached",
        t.LIMIT_EVENTS: "the reply reached",
        t.LIMIT_TOKENS: "the reply reached",
    }.get(limit.kind, "reached")
    return f"{what} {amount(limit.observed)} (the limit is {amount(limit.bound)})"


def stopped_by(limit: t.StreamLimit) -> str:
    return f"stopped by chat-doctor's {limit.kind.replace('_', ' ')} bound"


def never_began(message: str) -> str:
    return f"the response never began: {message}"


def stalled(when: str, message: str) -> str:
    return f"the stream stalled {when}: {message}"


def stopped_reading(when: str, message: str) -> str:
    return f"stopped reading {when}: {message}"


# --- buffering ----------------------------------------------------------------------------------

NOTHING_TO_JUDGE = "no complete reply to judge"


def too_short(token_chunks: int, needed: int) -> str:
    return f"reply too short to judge streaming ({token_chunks} token chunks; {needed} needed)"


def too_fast(last_ms: float) -> str:
    return f"whole reply in {last_ms:.0f} ms: too fast for streaming to be visible"


def arrived_at_once(token_chunks: int, burst_ms: float, first_ms: float) -> str:
    return (f"all {token_chunks} token chunks arrived within {burst_ms:.1f} ms, {first_ms:.0f} ms after "
            f"the request, and nothing arrived before them")


def streamed_over(token_chunks: int, burst_ms: float, median_wait_ms: float) -> str:
    return f"{token_chunks} token chunks over {burst_ms:.0f} ms (median wait {median_wait_ms:.1f} ms)"


# --- what went wrong in one run -----------------------------------------------------------------


def content_type_line(content_type: Optional[str]) -> str:
    return f"content-type: {content_type}"


NO_CHUNKS_FOR_IT = "the SDK yields no chunks for such a response, silently"


def html_instead(status: Optional[int]) -> str:
    return f"asked for a stream, got an HTML page instead (HTTP {status})"


def not_sse(content_type: str, status: Optional[int]) -> str:
    return f"asked for a stream, got `{content_type}` instead (HTTP {status})"


def content_chunks(count: int) -> str:
    return f"{count} content chunks"


def no_finish_reason(got: str) -> str:
    return f"the stream ended without a finish_reason after {got}"


NO_FINISH_DETAIL = "the body ended cleanly but the model never said it was done (no finish_reason, no [DONE])"
ALL_REASONING = "the model spent every token on reasoning: no answer before max tokens"
RAISE_MAX_TOKENS = "raise --max-tokens so the answer fits after the reasoning"


def no_content(finish_reason: Optional[str]) -> str:
    return f"the stream finished (finish_reason={finish_reason}) with no content"


SOCKS_UNSUPPORTED = ("a SOCKS proxy is configured, but the HTTP library of the openai SDK has no SOCKS support "
                     "here (socksio)")


def exception_line(exception: str, message: str) -> str:
    return f"{exception}: {message}"


def key_not_sent(message: str) -> str:
    return f"the key was not sent: {message}"


NOTHING_SENT = "nothing was sent and no connection was opened, not even to the proxy"
BEFORE_THE_STREAM = "before the stream began"


def client_not_created(message: str) -> str:
    return f"could not create the openai client: {message}"


def http_instead(status: int, message: str) -> str:
    return f"HTTP {status} instead of a stream" + (f": {message}" if message else "")


NO_HEADERS = "no response headers within the timeout"


def could_not_send(reason: str) -> str:
    return f"could not send the request: {reason}"


def request_failed(exception: str, message: str) -> str:
    return f"the request failed: {exception}: {message}"


def after_content(count: int) -> str:
    return f"after {count} content chunks"


def error_event(after: str, message: str) -> str:
    return f"in-band error event {after}: {message}"


def malformed(after: str, message: str) -> str:
    return f"a malformed chunk {after}: {message}"


def read_timeout(after: str) -> str:
    return f"the stream stalled {after}: no data within the read timeout"


def cut(after: str) -> str:
    return f"the connection was cut {after}"


def failure_details(failure: t.StreamFailure) -> Tuple[str, ...]:
    """What the SDK raised and what the server said with it: only what was there (never "error code: None")."""
    lines = [f"{failure.exception}" + (f" (HTTP {failure.status})" if failure.status else "")]
    tags = [f"{name}: {value}" for name, value in (("error code", failure.code), ("type", failure.type)) if value]
    if tags:
        lines.append(", ".join(tags))
    if failure.cause:
        lines.append(f"cause: {failure.cause}")
    if failure.retry_after:
        lines.append(f"retry-after: {failure.retry_after}")
    if failure.location:
        lines.append(f"redirects to: {failure.location}")
    return tuple(lines)


# --- the verdict over the runs ------------------------------------------------------------------


def run_prefix(index: int, runs: int) -> str:
    return f"run {index + 1}/{runs}: " if runs > 1 else ""


def ttft_over_limit(runs: int, ttft_ms: float, limit_ms: float) -> str:
    which = "median TTFT" if runs > 1 else "TTFT"
    return f"{which} {ms(ttft_ms, NO_TIME)} is over the limit of {ms(limit_ms, NO_TIME)}"


TTFT_FIXES = (
    Fix("See which phase takes the time (headers = server queueing and network; "
        "first token after headers = the model's prefill); raise --max-ttft if the limit is too strict."),
)


def over_limit_buffered(over_limit: str) -> str:
    """ttft_over_limit's summary when the stream was buffered too: the cause, named where it is seen."""
    return f"{over_limit}, and the stream was buffered (stream_buffered): the first token was held back with the rest"


# The stream_buffered line under a ttft_over_limit verdict: why buffering comes first, and where its cause is found.
BUFFERED_BEHIND_TTFT = (
    "a buffered stream's first token arrives with its last, so this TTFT is the time to the whole reply: "
    "fix the buffering first, then measure the TTFT again (a run without --max-ttft also finds where the stream is held)"
)


def limit_ignored(prefix: str, max_tokens: Optional[int], limit_field: Optional[str], limit: t.StreamLimit) -> str:
    return (f"{prefix}the server ignored the token limit: asked for {max_tokens} tokens "
            f"(`{limit_field}`), stopped reading at {limit.observed:.0f} {limit.unit} (bound {limit.bound:.0f})")


def overrun_line(limit_field: Optional[str], overran: int, runs: int) -> str:
    return (f"the limit went as `{limit_field}`"
            + (f"; {overran} of {runs} runs overran it" if runs > 1 else "")
            + "; chat-doctor closed the stream there and kept the timings up to that point")


def usage_overran(prefix: str, max_tokens: Optional[int], limit_field: Optional[str], limit: t.StreamLimit) -> str:
    counted = "output tokens" if limit_field == "max_output_tokens" else "completion tokens"
    return (f"{prefix}the server ignored the token limit: the server's usage reports {limit.observed:.0f} "
            f"{counted} for {limit_field} {max_tokens}")


def usage_overrun_line(limit_field: Optional[str], overran: int, runs: int) -> str:
    return (f"the limit went as `{limit_field}`"
            + (f"; {overran} of {runs} runs overran it" if runs > 1 else "")
            + "; the reply ended on its own (not cut at the limit), and its usage counted more tokens than the "
              "limit allows: reasoning counts inside the limit on OpenAI, and a reply cut at the limit "
              "(finish_reason `length`) is never counted as ignored")


def buffered(prefix: str, reason: str) -> str:
    return f"{prefix}the reply arrived all at once, not streamed ({reason})"


BUFFER_FIXES = (
    Fix("nginx in front of the API: turn buffering off for the location that proxies it",
        "proxy_buffering off;\nproxy_cache off;\ngzip off;"),
    Fix("or let the upstream app ask nginx not to buffer this response", "X-Accel-Buffering: no"),
    Fix("Other proxies, ingresses, CDNs and API gateways: disable response buffering and compression "
        "for `text/event-stream`; test the server directly (its own host and port) to confirm."),
)


# --- the headline and the timing lines ----------------------------------------------------------


def one_run(tokens: int, ttft_ms: Optional[float], total_ms: Optional[float], tokens_per_s: Optional[float]) -> str:
    rate = f", {tokens_per_s:g} tok/s" if tokens_per_s is not None else ""
    return f"{tokens} tokens, TTFT {ms(ttft_ms, NO_TIME)}, total {ms(total_ms, NO_TIME)}{rate}"


def many_runs(runs: int, p50: Optional[float], low: Optional[float], p90: Optional[float], high: Optional[float]) -> str:
    return f"{runs} runs, TTFT p50 {ms(p50, NO_TIME)} (min {ms(low, NO_TIME)}, p90 {ms(p90, NO_TIME)}, max {ms(high, NO_TIME)})"


def phases(headers: Optional[float], chunk: Optional[float], reasoning: Optional[float], token: Optional[float],
           last: Optional[float], total: Optional[float]) -> str:
    thinking = f", first reasoning {ms(reasoning, NO_TIME)}" if reasoning is not None else ""
    return (f"headers {ms(headers, NO_TIME)}, first chunk {ms(chunk, NO_TIME)}{thinking}, first token {ms(token, NO_TIME)}, "
            f"last token {ms(last, NO_TIME)}, total {ms(total, NO_TIME)}")


def connection_kind(connection: Optional[str]) -> str:
    return f", {connection} connection" if connection else ""


def median_of(runs: int, phase_line: str) -> str:
    return f"median of {runs} runs: " + phase_line


def connections(new: int, reused: int) -> str:
    return f"connections: {new} new, {reused} reused"


SDK_CLOSED_CONNECTIONS = ("the SDK closed its connection after each stream, so every run paid for a new one "
                          "(openai 2.x/3.x stop at [DONE] without reading the body's end; 1.x reuses it)")


def not_judged_in(unjudged: int, runs: int, reason: str) -> str:
    return f"streaming not judged in {unjudged} of {runs} runs: {reason}"


def fields_dropped(fields: Sequence[str]) -> str:
    return ("the server rejected " + " and ".join(fields) + "; retried once without "
            + ("them" if len(fields) > 1 else "it"))


def model_line(model: str, base_url: str, sdk: str, warmup_ms: Optional[float]) -> str:
    warm = f" (warmed up in-process first: {ms(warmup_ms, NO_TIME)}, not timed)" if warmup_ms is not None else ""
    return f"model {model} at {base_url}, {sdk}{warm}"


# --- fixes for a request that got no stream -----------------------------------------------------

SEE_THE_NETWORK_CHECKS_ABOVE = Fix("The net.dns, net.tcp and net.tls results above show where the connection fails")
RUN_THE_NETWORK_CHECKS = Fix("See where the connection fails with the network and TLS checks", "chat-doctor check")
CHECK_THE_CONFIGURATION = Fix("Check the base URL, the proxy settings and that the key has no stray whitespace")
CHOOSE_A_LISTED_MODEL = Fix("Use a model this key can use (`--model NAME`); see which ones the server lists",
                            "chat-doctor check")


def restricted_key(kind: str) -> Fix:
    return Fix("The key is restricted: give it the permissions chat needs (Model capabilities: Write) in the "
               "provider's console" + (" (https://platform.openai.com/api-keys)" if kind == "openai" else ""))


def socks_fixes(sdk: str, python: str, unset: Sequence[str] = ()) -> Tuple[Fix, ...]:
    """The SOCKS extra of the HTTP library the installed SDK uses (httpx2 for openai 3.x, httpx
    before), installed into `python`, the interpreter the smoke test ran in; with the SOCKS
    variables `unset` for pip, which cannot use a SOCKS proxy itself (as config.proxy's fix)."""
    from packaging.version import InvalidVersion, Version

    try:
        major = Version(sdk.split(" ", 1)[-1]).major  # "openai 3.57.0"
    except InvalidVersion:  # "openai ?", "openai (not importable)": the httpx majors are the older ones
        major = 0
    extra = "httpx2[socks]" if major >= 3 else "httpx[socks]"
    without = "env " + "".join(f"-u {shlex.quote(name)} " for name in unset) if unset else ""
    return (
        Fix(f"Install SOCKS support for {sdk} into the interpreter the smoke test runs in",
            without + f"{shlex.quote(python)} -m pip install {shlex.quote(extra)}"),
        Fix("Or use an http:// proxy instead of SOCKS"),
    )

