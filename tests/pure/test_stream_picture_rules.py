"""The picture of a stream (doctor.render.stream_picture) from hand-built traces: a healthy stream
is a spread, a buffered one a single spike at the end, a stall a gap; ASCII heights where blocks
cannot be shown; the width asked for; H and T under their columns."""

from __future__ import annotations

from doctor.render.stream_picture import (
    ASCII_HEIGHTS,
    BLOCKS,
    MIN_WIDTH,
    TokenTrace,
    bar,
    blocks_fit,
    marks,
    picture_lines,
    stream_picture,
)
from tests.support.problem_reports import STREAMED_MS, stream_data

WIDTH = 60
STREAMED = TokenTrace(tokens_ms=STREAMED_MS, headers_ms=10.0, first_token_ms=300.0)
# 40 tokens in the last 2 ms of a 1 s wait: what a buffering proxy hands over.
BUFFERED = TokenTrace(tokens_ms=tuple(1000.0 + i * 0.05 for i in range(40)), headers_ms=990.0, first_token_ms=1000.0)
# Ten tokens, 2.5 s of silence, ten more.
STALLED = TokenTrace(tokens_ms=(*(100.0 + 10 * i for i in range(10)), *(2800.0 + 10 * i for i in range(10))),
                     headers_ms=20.0, first_token_ms=100.0)


def _columns(line: str) -> list[int]:
    return [index for index, char in enumerate(line) if char != " "]


def test_a_streamed_reply_is_a_spread_after_the_wait_for_the_first_token() -> None:
    line = bar(STREAMED, width=WIDTH)
    assert len(line) == WIDTH
    filled = _columns(line)
    assert len(filled) == len(STREAMED_MS)  # one token per slice at this width, each visible
    assert filled[0] == int(300 / 580 * WIDTH) and filled[-1] == WIDTH - 1
    assert line[: filled[0]].strip() == ""  # nothing before the first token
    assert set(line.replace(" ", "")) == {BLOCKS[-1]}  # every busy slice is as busy as the busiest


def test_a_buffered_reply_is_one_spike_at_the_end() -> None:
    line = bar(BUFFERED, width=WIDTH)
    assert _columns(line) == [WIDTH - 1]
    assert line[-1] == BLOCKS[-1]
    below = marks(BUFFERED, width=WIDTH)
    # The headers came in the same slice as the tokens: H steps one column left of T.
    assert below.index("T") == WIDTH - 1 and below.index("H") == WIDTH - 2


def test_a_stall_is_a_gap_between_two_bursts() -> None:
    line = bar(STALLED, width=WIDTH)
    filled = _columns(line)
    early = [c for c in filled if c < WIDTH // 2]
    late = [c for c in filled if c >= WIDTH // 2]
    assert early and late
    gap = late[0] - early[-1] - 1
    assert gap >= int(2.5 / 2.89 * WIDTH) - 2  # the silence, in columns


def test_heights_follow_the_tokens_per_slice() -> None:
    # 1, 2, 4 and 8 tokens in four separate slices of a 100 ms picture, 10 columns wide.
    tokens = (5.0, 35.0, 36.0, *(65.0 + i * 0.1 for i in range(4)), *(99.0 + i * 0.1 for i in range(8)))
    line = bar(TokenTrace(tokens_ms=tokens), width=10, span_ms=100.0)
    assert [line[0], line[3], line[6], line[9]] == [BLOCKS[0], BLOCKS[1], BLOCKS[3], BLOCKS[7]]
    assert line[1] == line[2] == " "


def test_ascii_fallback_uses_ascii_heights_only() -> None:
    for trace in (STREAMED, BUFFERED, STALLED):
        line = bar(trace, width=WIDTH, ascii_only=True)
        assert line.isascii() and set(line) <= set(" " + ASCII_HEIGHTS)
        assert _columns(line) == _columns(bar(trace, width=WIDTH))  # the same shape
    assert bar(BUFFERED, width=WIDTH, ascii_only=True)[-1] == "#"


def test_blocks_fit_follows_the_encoding() -> None:
    assert blocks_fit("utf-8") and blocks_fit(None)
    assert not blocks_fit("ascii") and not blocks_fit("latin-1") and not blocks_fit("no-such-codec")


def test_the_width_is_respected_and_has_a_floor() -> None:
    for width in (10, 33, 80):
        assert len(bar(STREAMED, width=width)) == width
        assert len(marks(STREAMED, width=width)) <= width
    assert len(bar(STREAMED, width=3)) == MIN_WIDTH


def test_marks_sit_under_the_headers_and_the_first_token() -> None:
    below = marks(STREAMED, width=WIDTH)
    assert below.index("H") == int(10 / 580 * WIDTH)
    assert below.index("T") == int(300 / 580 * WIDTH)
    # Both in the very first column: T steps right, H keeps the start.
    early = marks(TokenTrace(tokens_ms=(0.1, 100.0), headers_ms=0.0, first_token_ms=0.1), width=10)
    assert early.startswith("HT")


def test_lines_from_stream_data_title_bars_and_marks() -> None:
    lines = stream_picture(stream_data(), width=WIDTH)
    assert lines[0].startswith("token arrivals, 0 to 580 ms (9.7 ms a column; H headers, T first token)")
    assert lines[1] == f"|{bar(STREAMED, width=WIDTH)}|"
    assert lines[2].lstrip().startswith("H")


def test_a_run_cut_short_runs_on_to_its_end_so_the_silence_shows() -> None:
    data = stream_data((100.0, 110.0, 120.0), error={"code": "stream_stalled", "message": "x"}, total_ms=3000.0)
    lines = stream_picture(data, width=WIDTH)
    assert "0 to 3.00 s" in lines[0]
    assert _columns(lines[1].strip("|")) == [2]  # the three tokens, then 57 empty columns


def test_several_runs_share_one_time_scale() -> None:
    lines = picture_lines([STREAMED, BUFFERED], width=WIDTH)
    assert lines[1].startswith("run 1 |") and any(line.startswith("run 2 |") for line in lines)
    run_1 = lines[1][len("run 1 |"):-1]
    assert _columns(run_1)[-1] < WIDTH - 1  # run 1 ended at 580 ms, run 2 at 1 s: the same scale


def test_no_tokens_no_picture() -> None:
    assert picture_lines([TokenTrace(tokens_ms=(), headers_ms=5.0)]) == []
    assert stream_picture({"runs": [{"error": {"code": "x"}}]}) == []
    assert bar(TokenTrace(tokens_ms=()), width=12) == " " * 12


def test_stream_chat_data_carries_the_token_wire_times() -> None:
    from doctor.checks.stream_chat import check_data
    from doctor.stream import figures
    from doctor.stream import trace as t

    chunks = (t.Chunk(12.0, 12.5, t.ROLE), *(t.Chunk(w, w + 0.3, t.CONTENT, 3) for w in (300.04, 340.0)),
              t.Chunk(341.0, 341.2, t.EMPTY))
    trace = t.StreamTrace(model="m", sdk="openai 3.57.0", headers_ms=10.0, end_ms=345.0, chunks=chunks,
                          finish_reason="stop")
    summary = figures.summarise([trace], model="m", base_url="http://127.0.0.1:1/v1", sdk="openai 3.57.0")
    assert check_data(summary)["token_arrivals_ms"] == [[300.0, 340.0]]  # tokens only, 0.1 ms


def test_the_github_step_summary_carries_the_picture_in_a_code_block() -> None:
    from doctor.render.github import step_summary
    from tests.support.problem_reports import make_report

    summary = step_summary(make_report())
    block = summary.split("```text\n", 1)[1].split("\n```", 1)[0].splitlines()
    assert block[0].startswith("token arrivals, 0 to 580 ms") and block[1] == f"|{bar(STREAMED, width=WIDTH)}|"
    assert "```text" not in step_summary(make_report(smoke=False))
