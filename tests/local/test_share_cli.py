"""Showing a run: the picture of the stream under `-v` (`demo -v`), and `--save-svg` on check,
smoke and demo (valid SVG, what the console showed, no key; an unwritable path is exit 2)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from doctor.render.stream_picture import ASCII_HEIGHTS, BLOCKS
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli, run_subprocess
from tests.support.mock_helpers import running

SVG = "{http://www.w3.org/2000/svg}"


def _picture(output: str) -> list:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("token arrivals, 0 to "))
    return [line.strip() for line in lines[start:start + 3]]


def test_demo_verbose_draws_the_stream_beside_its_timings() -> None:
    run = run_cli(["demo", "-v"])
    assert run.exit_code == 0, run.output
    title, bar, marks = _picture(run.stdout)
    assert "H headers, T first token" in title
    assert bar.startswith("|") and bar.endswith("|") and set(bar.strip("|")) <= set(" " + BLOCKS)
    # The demo waits about 300 ms for its first token, then streams 8 tokens 40 ms apart: a spread
    # that starts well into the picture and reaches its end.
    filled = [i for i, char in enumerate(bar.strip("|")) if char != " "]
    assert len(filled) >= 5 and filled[0] > 10 and filled[-1] == len(bar) - 3
    assert marks.startswith("H") and "T" in marks
    assert run.stdout.index("times from the request") < run.stdout.index("token arrivals")
    assert "\x1b[" not in run.stdout  # NO_COLOR (set for every test): no colour codes


def test_demo_buffered_is_one_spike_at_the_end() -> None:
    run = run_cli(["demo", "-v", "--scenario", "buffered"])
    _title, bar, _marks = _picture(run.stdout)
    filled = [i for i, char in enumerate(bar.strip("|")) if char != " "]
    assert filled and filled[0] >= len(bar) - 2 - 3  # everything in the last few columns


def test_an_ascii_terminal_gets_an_ascii_picture() -> None:
    run = run_subprocess(["demo", "-v"], env={"PYTHONIOENCODING": "ascii"})
    assert run.exit_code == 0, run.output
    _title, bar, _marks = _picture(run.stdout)
    assert bar.isascii() and set(bar.strip("|")) <= set(" " + ASCII_HEIGHTS) and "#" in bar


def _svg(path: Path) -> str:
    """The text the SVG shows, joined: rich writes each printed piece as its own <text> element
    (a reply streamed five characters a chunk is in many), so a key would be searched for in vain
    in the raw file alone."""
    root = ElementTree.parse(path).getroot()  # valid XML, or this raises
    assert root.tag == f"{SVG}svg"
    shown = "".join(node.text or "" for node in root.iter(f"{SVG}text")).replace("\xa0", " ")
    assert_no_key(Run(0, path.read_text(encoding="utf-8"), shown))
    return shown


@pytest.mark.parametrize("scenario", ["ok", "echo_key"])
def test_check_saves_what_the_console_showed_without_the_key(tmp_path: Path, scenario: str) -> None:
    target = tmp_path / "check.svg"
    with running(scenario) as server:
        run = run_cli(["check", "--smoke", "-v", "--timeout", "5", "--save-svg", str(target)],
                      env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url})
    assert run.exit_code == 0, run.output
    assert_no_key(run)
    shown = _svg(target)
    assert "stream.chat" in shown and "token" in shown and "ready" in shown
    assert "reply:" in shown  # the streamed reply is in the picture too


def test_smoke_and_demo_save_svg_too(tmp_path: Path) -> None:
    with running("ok") as server:
        run = run_cli(["smoke", "--save-svg", str(tmp_path / "smoke.svg")],
                      env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url})
    assert run.exit_code == 0, run.output
    assert "stream.chat" in _svg(tmp_path / "smoke.svg")
    run = run_cli(["demo", "--save-svg", str(tmp_path / "demo.svg")])
    assert run.exit_code == 0, run.output
    assert "Hello from chat-doctor's local endpoint." in _svg(tmp_path / "demo.svg")


def test_an_unwritable_path_is_a_usage_error_before_anything_runs(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for path in (tmp_path / "missing" / "x.svg", blocker / "x.svg", tmp_path):
        run = run_subprocess(["check", "--offline", "--save-svg", str(path)])
        assert run.exit_code == 2, run.output
        assert run.stderr.startswith("chat-doctor: error: --save-svg ") and "Traceback" not in run.output
        assert run.stdout == ""  # refused before the header was printed
    run = run_subprocess(["demo", "--json", "--save-svg", str(tmp_path / "x.svg")])
    assert run.exit_code == 2 and "--json" in run.stderr and run.stdout == ""
    assert not (tmp_path / "x.svg").exists()
