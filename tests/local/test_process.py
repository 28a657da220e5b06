"""The process around a command, through the installed `chat-doctor` script in a real process:
lost or closed output, hostile numbers, usage errors, a deleted working directory, an ASCII-only
terminal, Ctrl-C and the unexpected. None of them may end in a traceback (README, "Exit codes").
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import pytest

from doctor.mock.server import MockOptions, MockServer
from doctor.settings import MAX_RUNS
from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, Run, run_cli, run_subprocess

# What a broken run leaves on stderr: a traceback, or the interpreter's complaint at shutdown.
CRASH_MARKS = ("Traceback", "Exception ignored", "BrokenPipeError", "Error ─", "╭")
# With a key and no network, every check passes: a healthy report, exit 0.
HEALTHY_OFFLINE = {"OPENAI_API_KEY": CANARY_KEY}


def assert_clean(text: str) -> None:
    for mark in CRASH_MARKS:
        assert mark not in text, text
    assert CANARY_KEY[8:40] not in text


def assert_one_line(text: str) -> None:
    assert text.count("\n") == 1 and text.endswith("\n") and text.strip(), repr(text)


def full_env(env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    merged = dict(os.environ)
    merged.update(env or {})
    return merged


@pytest.fixture()
def mock_ok() -> Iterator[MockServer]:
    with MockServer(MockOptions(scenario="ok", first_token_delay_ms=300, token_interval_ms=20)) as server:
        yield server


def mock_env(server: MockServer) -> Dict[str, str]:
    return {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": CANARY_KEY}


def shell(script: str, args: Sequence[str], env: Optional[Dict[str, str]] = None, timeout: float = 120) -> Run:
    """`chat-doctor ARGS` run by sh with the redirection of `script` ("$@" is the command)."""
    proc = subprocess.run(["sh", "-c", script, "sh", CHAT_DOCTOR, *args], capture_output=True, text=True,
                          env=full_env(env), timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


# --- output that cannot be delivered ----------------------------------------------------------


@pytest.mark.parametrize("args", [["check", "--offline"], ["check", "--offline", "--json"], ["--version"]])
def test_closed_stdout_is_one_line_and_exit_3(args: List[str]) -> None:
    run = shell('exec "$@" >&-', args, env=HEALTHY_OFFLINE)
    assert run.exit_code == 3, run.output
    assert_one_line(run.stderr)
    assert "stdout is closed" in run.stderr
    assert_clean(run.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["check", "--offline"], ["check", "--offline", "--json"]])
def test_full_disk_is_one_line_and_exit_3_never_0(args: List[str]) -> None:
    run = shell('exec "$@" > /dev/full', args, env=HEALTHY_OFFLINE)
    assert run.exit_code == 3, run.output
    assert_one_line(run.stderr)
    assert "could not be written" in run.stderr and "No space left on device" in run.stderr
    assert_clean(run.stderr)


def read_first_line_and_leave(args: Sequence[str], env: Dict[str, str], *, merge_stderr: bool = False) -> Run:
    """Like `chat-doctor ARGS | head -1`: read one line, close the pipe, wait for the exit."""
    proc = subprocess.Popen([CHAT_DOCTOR, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                            text=True, env=full_env(env))
    first = proc.stdout.readline()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    _, err = proc.communicate(timeout=120)
    return Run(proc.returncode, first, err or "")


def test_reader_leaving_check_early_keeps_the_reports_exit_code() -> None:
    healthy = read_first_line_and_leave(["check", "--offline"], HEALTHY_OFFLINE)
    assert healthy.stdout.startswith("chat-doctor ")
    assert healthy.exit_code == 0 and healthy.stderr == "", healthy.output  # was 1: rich's broken-pipe exit
    failing = read_first_line_and_leave(["check", "--offline"], {})  # no key: the report fails
    assert failing.exit_code == 1 and failing.stderr == "", failing.output


@pytest.mark.parametrize("args, merge_stderr", [
    (["demo"], False),
    (["demo"], True),  # `demo 2>&1 | head -1`: stderr goes with it
    (["demo", "--json"], False),  # the streamed reply goes to stderr, which still works
])
def test_reader_leaving_demo_early_is_quiet_and_exit_0(args: List[str], merge_stderr: bool) -> None:
    run = read_first_line_and_leave(args, {}, merge_stderr=merge_stderr)
    assert run.exit_code == 0, run.output
    assert_clean(run.stderr)
    if not merge_stderr and "--json" not in args:
        assert run.stderr == ""


def test_reader_leaving_smoke_early_keeps_the_threshold_exit_code(mock_ok: MockServer) -> None:
    healthy = read_first_line_and_leave(["check", "--smoke", "--timeout", "5"], mock_env(mock_ok))
    assert healthy.exit_code == 0 and healthy.stderr == "", healthy.output
    # TTFT is 300 ms, the limit 50 ms: the report's own code is 4, which a lost pipe must not change.
    slow = read_first_line_and_leave(["smoke", "--max-ttft", "0.05", "--timeout", "5"], mock_env(mock_ok))
    assert slow.exit_code == 4 and slow.stderr == "", slow.output


# --- numbers and flags that make no sense -----------------------------------------------------


@pytest.mark.parametrize("args", [
    ["check", "--offline", "--timeout", "inf"],
    ["check", "--offline", "--timeout", "1e10"],
    ["check", "--offline", "--timeout", "nan"],
    ["check", "--offline", "--timeout", "-1"],
    ["check", "--offline", "--timeout", "0"],
    ["smoke", "--runs", "0"],
    ["smoke", "--runs", "100000"],
    ["smoke", "--runs", str(MAX_RUNS + 1)],
    ["smoke", "--max-ttft", "inf"],
])
def test_impossible_numbers_are_one_line_usage_errors(args: List[str]) -> None:
    run = run_subprocess(args, env=HEALTHY_OFFLINE)
    assert run.exit_code == 2, run.output
    assert run.stdout == ""
    assert_one_line(run.stderr)
    assert args[-2] in run.stderr  # names the flag
    assert_clean(run.stderr)


def test_the_largest_timeout_is_accepted() -> None:
    run = run_subprocess(["check", "--offline", "--timeout", "600"], env=HEALTHY_OFFLINE)
    assert run.exit_code == 0, run.output


@pytest.mark.parametrize("args, says", [
    (["check", "--ofline"], "--offline"),  # click's suggestion is kept
    (["chek"], "No such command 'chek'"),
    (["check", "--timeout"], "requires an argument"),
    (["check", "--timeout", "soon"], "'soon' is not a valid float"),
    (["smoke", "--max-tokens", "0"], "--max-tokens"),
    (["mock-server", "--port", "99999"], "--port"),
    (["mock-server", "--stall", "99999999999999999999"], "--stall"),  # once silently ignored
    (["check", "--offline", "--smoke"], "--offline"),  # a contradiction, not a silent skip
    (["check", "--offline", "--runs", "3"], "--runs only apply to the smoke test"),
    (["check", "--offline", "--quiet", "--prompt", "hi"], "--prompt, --quiet"),
])
def test_usage_errors_are_one_line_without_a_box(args: List[str], says: str) -> None:
    run = run_subprocess(args, env=HEALTHY_OFFLINE)
    assert run.exit_code == 2, run.output
    assert run.stdout == ""
    assert_one_line(run.stderr)
    assert says in run.stderr and "error:" in run.stderr
    assert_clean(run.stderr)


@pytest.mark.parametrize("args", [["chek"], ["check", "--ofline"], ["smoke", "--modle", "x"]])
def test_clicks_suggestions_survive_the_one_line(args: List[str]) -> None:
    boxed = run_cli(args)  # typer's own rendering, in a box (in-process, so not through doctor.process)
    hints = [h for h in ("Did you mean", "Possible options") if h in boxed.output]
    assert hints or args == ["chek"], boxed.output  # typer < 0.20 suggests no command names
    line = run_subprocess(args).stderr
    assert_one_line(line)
    for hint in hints:
        assert hint in line, line


# --- the environment of the process ------------------------------------------------------------


def test_deleted_working_directory(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    in_deleted = 'cd "$GONE" && rmdir "$GONE" && exec "$@"'
    env = {**HEALTHY_OFFLINE, "GONE": str(gone)}
    run = shell(in_deleted, ["check", "--offline"], env=env)
    assert run.exit_code == 0, run.output
    assert "ready" in run.stdout
    assert_clean(run.output)
    gone.mkdir()
    relative = shell(in_deleted, ["check", "--offline", "--python", "./bin/python"], env=env)
    assert relative.exit_code == 2, relative.output
    assert_one_line(relative.stderr)
    assert "working directory no longer exists" in relative.stderr


def assert_ascii(text: str) -> None:
    assert all(ord(c) < 128 for c in text), [c for c in text if ord(c) >= 128]
    assert "UnicodeEncodeError" not in text


def test_ascii_terminal_gets_plain_ascii() -> None:
    ascii_only = {"PYTHONIOENCODING": "ascii"}
    human = run_subprocess(["demo"], env=ascii_only)
    assert human.exit_code == 0, human.output
    assert_ascii(human.output)
    assert "sk-...-key" in human.stdout  # the key's shape, `…` spelled out
    document = run_subprocess(["demo", "--json"], env=ascii_only)
    assert document.exit_code == 0, document.output
    assert_ascii(document.output)
    # The JSON data stay exact: `…` is escaped, not replaced.
    assert document.check("config.api_key")["data"]["shape"] == "sk-…-key (34 chars)"


def test_ascii_terminal_gets_the_streamed_reply_in_ascii() -> None:
    reply = "Grüße … ✓ done"
    with MockServer(MockOptions(scenario="ok", reply=reply)) as server:
        run = run_subprocess(["smoke", "--timeout", "5"], env={**mock_env(server), "PYTHONIOENCODING": "ascii"})
    assert run.exit_code == 0, run.output
    assert_ascii(run.output)
    assert "reply: Grusse ... ok done" in run.stdout


# --- interrupted, or broken where nobody expected ---------------------------------------------


def test_ctrl_c_during_a_stalled_stream_exits_130() -> None:
    with MockServer(MockOptions(scenario="stall", stall_ms=30000)) as server:
        proc = subprocess.Popen([CHAT_DOCTOR, "smoke", "--timeout", "20"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=full_env(mock_env(server)))
        lines = []
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "config.proxy" in line:  # the last result before the stream: the request is under way
                break
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, "".join(lines) + out + err
    assert time.monotonic() - started < 10
    assert_clean(err)


def test_unexpected_error_outside_the_checks_is_one_line_and_exit_3() -> None:
    # A real case, found by trying: `~user` naming no user makes pathlib raise RuntimeError while
    # the target interpreter is chosen, before any check runs. (If that ever becomes a proper
    # usage error, pick another way in; the point is the last-resort handler.)
    args = ["check", "--offline", "--python", "~no-such-user-chat-doctor/bin/python"]
    run = run_subprocess(args, env=HEALTHY_OFFLINE)
    assert run.exit_code == 3, run.output
    assert_one_line(run.stderr)
    assert "unexpected RuntimeError" in run.stderr and "-v" in run.stderr
    assert_clean(run.stderr)
    verbose = run_subprocess([*args, "-v"], env=HEALTHY_OFFLINE)
    assert verbose.exit_code == 3
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("chat-doctor: error: unexpected RuntimeError")


def test_unexpected_error_text_never_shows_the_key(tmp_path: Path) -> None:
    # The wrapper on its own (no honest CLI path raises with the key in the message): a command
    # that raises with the key in its message, run as a process by doctor.process.run.
    script = tmp_path / "boom.py"
    script.write_text(
        "import os, sys, typer\n"
        "from doctor import process\n"
        "app = typer.Typer()\n"
        "@app.command()\n"
        "def boom(verbose: bool = typer.Option(False, '-v')) -> None:\n"
        "    raise ValueError('header value ' + os.environ['OPENAI_API_KEY'])\n"
        "sys.exit(process.run(app, sys.argv))\n"
    )
    for extra in ([], ["-v"]):
        proc = subprocess.run([sys.executable, str(script), *extra], capture_output=True, text=True,
                              env=full_env(HEALTHY_OFFLINE), timeout=60)
        assert proc.returncode == 3, proc.stderr
        assert "unexpected ValueError: header value" in proc.stderr
        assert CANARY_KEY not in proc.stderr and CANARY_KEY[8:40] not in proc.stderr
    assert "Traceback" in proc.stderr  # the -v run


def test_json_report_is_still_whole_when_nothing_goes_wrong() -> None:
    # The guarded stdout must not change a normal run: the document parses and ends the output.
    run = run_subprocess(["check", "--offline", "--json"], env=HEALTHY_OFFLINE)
    assert run.exit_code == 0 and json.loads(run.stdout)["exit_code"] == 0


def test_a_prestarted_probe_nobody_used_is_killed_at_exit(tmp_path: Path) -> None:
    # process.end leaves with os._exit after the atexit handlers: the one that kills a probe
    # launched before typer (here for a usage error found later) must still have run.
    pid_file = tmp_path / "pid"
    fake = tmp_path / "python3"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n", encoding="utf-8")
    fake.chmod(0o755)
    run = run_subprocess(["check", "--python", str(fake), "--only", "bogus"], env=HEALTHY_OFFLINE)
    assert run.exit_code == 2
    assert_one_line(run.stderr)
    pid = int(pid_file.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (already dead, not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.parametrize("code", [0, 1])
def test_the_reports_exit_code_and_every_byte_survive_the_fast_exit(code: int) -> None:
    # os._exit skips the interpreter's own flush: the report (-v: many writes) must still arrive
    # whole, with its code. 0: a pass, 1: a failing check (/dev/full, >&- and `| head -1`: above).
    env = dict(HEALTHY_OFFLINE)
    if code == 1:
        env.pop("OPENAI_API_KEY")
    run = run_subprocess(["check", "--offline", "--json", "-v"], env=env)
    report = json.loads(run.stdout)
    assert (run.exit_code, report["exit_code"]) == (code, code)


def test_main_in_process_still_ends_as_system_exit() -> None:
    # Only the script (doctor.cli.script) skips the teardown; doctor.cli.main raises SystemExit,
    # which in-process callers catch to go on (scripts/bench_startup.py lists the imports after).
    boot = ("import sys\ntry:\n    from doctor.cli import main\n    main()\n"
            "except SystemExit as exc:\n    sys.stdout.write('caught %s\\n' % exc.code)\n")
    run = run_subprocess(["-c", boot, "check", "--frobnicate"], env=HEALTHY_OFFLINE, executable=sys.executable)
    assert (run.exit_code, run.stdout.splitlines()[-1]) == (0, "caught 2")
