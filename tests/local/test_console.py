"""Human output off a terminal: plain greppable tags, one line per result, no secrets in the header."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.helpers import run_cli, run_subprocess


def test_plain_output_keeps_every_tag_and_does_not_wrap() -> None:
    run = run_subprocess(["check", "--offline"], env={"COLUMNS": "60", "OPENAI_BASE_URL": "http://example.com/v1"})
    lines = run.stdout.splitlines()
    assert any(line.startswith(" [skip] net.dns") for line in lines), run.stdout
    assert any(line.startswith((" [warn] ", " [FAIL] ")) for line in lines), run.stdout
    # A check line is one line even when longer than the terminal width would allow.
    assert any(line.startswith(" [") and len(line) > 60 for line in lines)
    assert "\x1b[" not in run.stdout  # no colour codes in a pipe


def test_text_that_reads_as_an_emoji_code_is_shown_as_it_is(tmp_path: Path) -> None:
    """rich's emoji codes are off: a path (or a server's message) holding `:warning:` is shown as
    written, so it can be copied, not as a warning sign."""
    folder = tmp_path / "a :warning: b"
    folder.mkdir()
    (folder / "python").symlink_to(sys.executable)
    run = run_subprocess(["check", "--offline", "--python", str(folder / "python")])
    assert f"target    {folder / 'python'}  (--python)" in run.stdout, run.stdout
    assert "\u26a0" not in run.stdout


def test_url_credentials_never_shown() -> None:
    url = "https://alice:hunter2-secret@llm.example.com/v1"
    human = run_cli(["check", "--offline", "--base-url", url])
    as_json = run_cli(["check", "--offline", "--json", "--base-url", url])
    for output in (human.output, as_json.output):
        assert "hunter2-secret" not in output
    assert as_json.json["endpoint"]["base_url"] == "https://***@llm.example.com/v1"


# --- on a real terminal (a pty): fixes are safe to paste, NO_COLOR is plain ---------------------

import re  # noqa: E402

import pytest  # noqa: E402

from tests.support.terminal import run_on_pty, screen_lines  # noqa: E402

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A key with a trailing newline: config.api_key prints its longest pasteable fix.
NEWLINE_KEY = "sk-proj-" + "a1B2c3D4e5" * 5 + "\n"
STRIP_COMMAND = "export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\" | tr -d '[:space:]')\""


@pytest.mark.parametrize("columns", [40, 60])
def test_fix_command_is_printed_whole_on_one_line_at_any_width(columns: int) -> None:
    raw = run_on_pty(["check", "--offline"], {"OPENAI_API_KEY": NEWLINE_KEY}, columns)
    lines = screen_lines(raw)
    assert [line.strip() for line in lines].count(STRIP_COMMAND) == 1, "\n".join(lines)
    # ... and without markup: no style (SGR) codes inside or around the command.
    command_line = next(line for line in raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
                        if "tr -d" in line)
    assert not re.search(r"\x1b\[[0-9;]*m", command_line.split("\r")[-1]), repr(command_line)


def test_no_color_means_no_escape_codes_at_all_even_on_a_terminal() -> None:
    for env in ({"NO_COLOR": "1"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}):
        raw = run_on_pty(["check", "--offline"], {"OPENAI_API_KEY": NEWLINE_KEY, **env}, 80)
        assert b"\x1b" not in raw, (env, raw[:300])
        assert b"[FAIL] config.api_key" in raw  # the plain tags instead


def test_colour_on_a_terminal_without_no_color() -> None:
    # The counterpart: the same run on a terminal does use colour, so the test above can fail.
    raw = run_on_pty(["check", "--offline"], {"OPENAI_API_KEY": NEWLINE_KEY}, 80)
    assert b"\x1b[" in raw


def test_no_markdown_backticks_on_the_terminal_but_kept_in_json() -> None:
    env = {"OPENAI_API_KEY": NEWLINE_KEY, "OPENAI_BASE_URL": "http://example.com"}
    human = run_subprocess(["check", "--offline"], env=env)
    assert "`" not in human.stdout, [line for line in human.stdout.splitlines() if "`" in line]
    assert "APIConnectionError: Connection error." in human.stdout
    as_json = run_subprocess(["check", "--offline", "--json"], env=env)
    texts = [line for c in as_json.json["checks"] for line in (c["details"] + [f["text"] for f in c["fixes"]])]
    assert any("`" in line for line in texts)
