"""A picture of a streamed reply: when each token arrived, as one line of block characters.

Time runs left to right from the request being sent to the last token; each column is an equal
slice of it, and its height says how many tokens arrived in that slice (8 heights, `▁` to `█`,
scaled to the busiest slice). A healthy stream is a spread, a buffered one a single spike at
the end (every token in the last column), a stall a gap (empty columns between tokens). A line
beneath marks when the response headers arrived (`H`) and the first token (`T`).

`-v` draws it under stream.chat beside the timing table; the Markdown report carries it too.
Pure text, no rich and no clock: the caller gives the width and says whether its output can
show the blocks; when it cannot (an ASCII terminal), the heights are ` .:-=+*#`. The picture
has no colour at all, so NO_COLOR has nothing to remove.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from doctor.words import ms

BLOCKS = "▁▂▃▄▅▆▇█"
# The ASCII heights after the empty column (` .:-=+*#` with its blank taken out).
ASCII_HEIGHTS = ".:-=+*#"
EMPTY = " "
HEADERS_MARK = "H"
FIRST_TOKEN_MARK = "T"  # noqa: S105  # a mark in the picture, not a token secret
# Narrower than this, the three shapes (spread, spike, gap) cannot be told apart.
MIN_WIDTH = 10
DEFAULT_WIDTH = 60
LEGEND = "H headers, T first token"


@dataclass(frozen=True)
class TokenTrace:
    """What the picture needs of one streamed run; times are ms since the request was sent."""

    tokens_ms: Tuple[float, ...]  # when each token chunk came off the wire
    headers_ms: Optional[float] = None
    first_token_ms: Optional[float] = None
    # When the run was cut short (a stall the bound ended): the picture runs on to here, so the
    # silence after the last token shows as the gap it was.
    end_ms: Optional[float] = None

    @property
    def span_ms(self) -> float:
        """The time the picture covers: up to the last token (or the cut-off end)."""
        times = [*self.tokens_ms, *(t for t in (self.end_ms, self.headers_ms, self.first_token_ms) if t is not None)]
        return max(times, default=0.0)


def blocks_fit(encoding: Optional[str]) -> bool:
    """Whether text in `encoding` can carry the block characters (None: UTF-8, Python's default)."""
    try:
        BLOCKS.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def column(at_ms: float, span_ms: float, width: int) -> int:
    """The column a moment falls in; the last token is in the last column."""
    if span_ms <= 0:
        return width - 1
    return max(0, min(width - 1, int(at_ms / span_ms * width)))


def counts(trace: TokenTrace, width: int, span_ms: Optional[float] = None) -> List[int]:
    """Tokens per column."""
    span = trace.span_ms if span_ms is None else span_ms
    slots = [0] * width
    for at in trace.tokens_ms:
        slots[column(at, span, width)] += 1
    return slots


def bar(trace: TokenTrace, *, width: int = DEFAULT_WIDTH, ascii_only: bool = False,
        span_ms: Optional[float] = None) -> str:
    """The picture: one character per column, blank where no token arrived."""
    width = max(MIN_WIDTH, width)
    heights = ASCII_HEIGHTS if ascii_only else BLOCKS
    slots = counts(trace, width, span_ms)
    peak = max(slots, default=0)
    if peak == 0:
        return EMPTY * width
    # ceil: a single token in a slice still shows (the lowest height), the busiest is the tallest.
    return "".join(heights[math.ceil(n * len(heights) / peak) - 1] if n else EMPTY for n in slots)


def marks(trace: TokenTrace, *, width: int = DEFAULT_WIDTH, span_ms: Optional[float] = None) -> str:
    """`H` under the headers' column and `T` under the first token's, trailing blanks cut. When
    both fall in one column, `H` moves one column left (or `T` one right at the very start),
    since the headers came first."""
    width = max(MIN_WIDTH, width)
    span = trace.span_ms if span_ms is None else span_ms
    line = [EMPTY] * width
    headers = column(trace.headers_ms, span, width) if trace.headers_ms is not None else None
    first = column(trace.first_token_ms, span, width) if trace.first_token_ms is not None else None
    if headers is not None and first is not None and headers == first:
        if headers > 0:
            headers -= 1
        else:
            first += 1
    if headers is not None:
        line[headers] = HEADERS_MARK
    if first is not None:
        line[first] = FIRST_TOKEN_MARK
    return "".join(line).rstrip()


def picture_lines(traces: Sequence[TokenTrace], *, width: int = DEFAULT_WIDTH, ascii_only: bool = False) -> List[str]:
    """A title, then for each run its picture between bars and its marks beneath; every run on
    the same time scale, so runs can be compared column by column."""
    if not traces or not any(trace.tokens_ms for trace in traces):
        return []
    width = max(MIN_WIDTH, width)
    span = max(trace.span_ms for trace in traces)
    title = f"token arrivals, 0 to {ms(span)} ({ms(span / width)} a column; {LEGEND}):"
    labels = [""] if len(traces) == 1 else [f"run {index + 1} " for index in range(len(traces))]
    pad = max(len(label) for label in labels)
    lines = [title]
    for label, trace in zip(labels, traces):
        lines.append(f"{label.ljust(pad)}|{bar(trace, width=width, ascii_only=ascii_only, span_ms=span)}|")
        below = marks(trace, width=width, span_ms=span)
        if below:
            lines.append(" " * (pad + 1) + below)
    return lines


def traces_from(data: Mapping[str, Any]) -> List[TokenTrace]:
    """The runs of stream.chat's result data (`runs`, and `token_arrivals_ms` beside them, one
    list per run) as the picture sees them."""
    runs: Sequence[Mapping[str, Any]] = data.get("runs") or []
    arrivals: Sequence[Sequence[float]] = data.get("token_arrivals_ms") or []
    traces = []
    for run, tokens in zip(runs, arrivals):
        cut_short = run.get("error") is not None
        traces.append(TokenTrace(
            tokens_ms=tuple(float(at) for at in tokens),
            headers_ms=run.get("headers_ms"),
            first_token_ms=run.get("ttft_ms"),
            end_ms=run.get("total_ms") if cut_short else None,
        ))
    return traces


def stream_picture(data: Mapping[str, Any], *, width: int = DEFAULT_WIDTH, ascii_only: bool = False) -> List[str]:
    """The picture's lines from stream.chat's result data (none when no token arrived)."""
    return picture_lines(traces_from(data), width=width, ascii_only=ascii_only)
