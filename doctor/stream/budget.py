"""How long and how much one streamed request may take: plain numbers, no I/O.

The README ("The streamed smoke test", "Time and memory") states these; doctor.stream.guard
enforces the time and byte limits at the network reads, doctor.stream.sdk the token bound, and
doctor.session derives the whole run's backstop deadline from `smoke_bound_s`, so that deadline
only ever fires if one of these failed to.

With T = --timeout:

- the connection within T (the HTTP library's own connect timeout), then the response headers
  within T of it (a server sending its headers one byte a second is cut off there);
- after the headers, a new event at least every T: keep-alive comments, or a line that never
  ends, are bytes but not progress, so they stall the stream as silence does;
- a whole run (request sent to end of stream) within `run_s`: room for the three waits above
  and then at least 4 tokens a second for the tokens asked for;
- the reply no longer than `token_bound` tokens: a server that honours max_tokens sends at most
  that many, one or more per chunk, so twice the limit plus some slack is a server that ignores
  it (read no further, keep the timings, warn);
- a reply that ended on its own (not cut at the limit) while the server's own usage counts more
  tokens than the limit plus `USAGE_SLACK` ignored it too, however short (`usage_overran`): the
  read bound above only catches a reply far past the limit;
- after a buffered verdict, at most `CAUSE_RETRIES` more requests (doctor.stream.buffer_cause: once
  with `Accept-Encoding: identity`, once directly past the proxy), each one run under these same
  bounds plus a fresh start of the target's runner (`cause_bound_s`);
- decoded bytes (after gzip): one event under EVENT_BYTES, one reply under REPLY_BYTES, all runs
  together under TOTAL_BYTES, so nothing a server sends can grow memory without bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

KIB = 1024
MIB = 1024 * KIB

# A chat chunk is a few hundred bytes; even a large tool-call delta is far below this.
EVENT_BYTES = 1 * MIB
# The smoke reply is a few kilobytes; this leaves room for huge max_tokens and padded chunks.
REPLY_BYTES = 16 * MIB
TOTAL_BYTES = 64 * MIB

# The HTTP library's own read timeout is T plus this: only a backstop behind the guard's headers
# and stall bounds (both T), so that which of the two ends a silent wait is never a race (a stall
# always reads as `stall`, with its figures, not sometimes as the library's bare "timed out").
READ_BACKSTOP_S = 1.0

# Decode rate a healthy server keeps up at the very least (tokens per second), for `run_s`.
MIN_TOKENS_PER_S = 4.0
# A request that the server rejected (400 naming a field) is retried once per field: two retries.
MAX_ATTEMPTS = 3
# Chunks that carry no token (role, empty deltas, filter results) beyond this many per token
# allowed are not a reply any more.
EVENTS_PER_TOKEN = 4
MIN_EVENTS = 256


@dataclass(frozen=True)
class Budget:
    """The limits of one streamed request, from --timeout and --max-tokens."""

    timeout_s: float
    max_tokens: int

    @property
    def headers_s(self) -> float:
        return self.timeout_s

    @property
    def stall_s(self) -> float:
        return self.timeout_s

    @property
    def read_timeout_s(self) -> float:
        return self.timeout_s + READ_BACKSTOP_S

    @property
    def run_s(self) -> float:
        return 3 * self.timeout_s + self.max_tokens / MIN_TOKENS_PER_S

    @property
    def token_bound(self) -> int:
        return 2 * self.max_tokens + 16

    @property
    def char_bound(self) -> int:
        # No tokenizer's tokens average 32 characters; a reply longer than this ignored the limit.
        return 32 * self.token_bound

    @property
    def event_bound(self) -> int:
        return max(MIN_EVENTS, EVENTS_PER_TOKEN * self.token_bound)

    @property
    def attempt_s(self) -> float:
        """One run with its retries: the retries are refusals, each bounded like a reply's head."""
        return self.run_s + (MAX_ATTEMPTS - 1) * (self.timeout_s + self.headers_s + self.stall_s)

    def overran(self, tokens: int, chars: int) -> bool:
        return tokens > self.token_bound or chars > self.char_bound


# Tokens a server's usage may count beyond the limit of a reply it did cut there: one, for a server
# that would count the stop token it never sent. None seen so far (dasLLAMA 0.6.6 reports at most
# max_tokens for a reply cut by it: tests/machine/test_real_model_server.py), but the slack costs
# nothing against the overruns that matter (LiteLLM 1.108.7's mock replies: 12 for max_tokens 1).
USAGE_SLACK = 1
# finish reasons that say the limit cut the reply (chat; the Responses API's incomplete reason): the
# server kept the limit, whatever its usage counts (hidden reasoning a server bills outside it).
CUT_AT_LIMIT = frozenset({"length", "max_output_tokens"})


def usage_overran(max_tokens: int, reported: Optional[int], finish_reason: Optional[str], reasoning_seen: bool) -> bool:
    """The server's own usage proves it ignored `max_tokens`: the reply ended on its own, not at the
    limit, and `reported` (usage.completion_tokens; Responses: output_tokens) is past limit + slack.

    Reasoning tokens count inside the limit on OpenAI (`max_completion_tokens` bounds reasoning and
    output together, and completion_tokens includes them), so they are no excuse there; but a run that
    streamed reasoning text is left to the read bound: compatible servers differ on whether their
    reasoning counts against `max_tokens`, and the trace does not hold `reasoning_tokens`.
    """
    if reported is None or reasoning_seen or finish_reason in CUT_AT_LIMIT or finish_reason is None:
        return False
    return reported > max_tokens + USAGE_SLACK


def smoke_bound_s(timeout_s: float, max_tokens: int, runs: int) -> float:
    """The longest the smoke test's requests can take, all runs together."""
    return max(1, runs) * Budget(timeout_s, max_tokens).attempt_s


# doctor.stream.buffer_cause's retries after a buffered verdict (identity, then direct), at most.
CAUSE_RETRIES = 2
# Each retry starts the target's runner anew: interpreter, `import openai` and the warm-up, as
# doctor.stream.target_launch's STARTUP_S (20 s) before the request's own budget begins.
RETRY_SETUP_S = 20.0


def cause_bound_s(timeout_s: float, max_tokens: int) -> float:
    """The longest the buffering-cause retries can take, all together (one run each)."""
    return CAUSE_RETRIES * (RETRY_SETUP_S + Budget(timeout_s, max_tokens).attempt_s)
