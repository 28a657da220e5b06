"""The interpreter probe on targets that are not (working) Pythons: scripts, crashes, hangs and
answers of the wrong shape, through the real CLI (probe_failed, never a traceback)."""

from __future__ import annotations

import json
import os
import platform
import stat
import sys
import time
from pathlib import Path

import pytest

from doctor.probe.facts import InterpreterFacts, ProbeFailed
from doctor.probe.interpreters import probe_timeout, run_probe
from tests.support.helpers import PROBED_CHECKS, run_cli, run_subprocess


def _probe(python: str, env: "dict | None" = None, timeout: float = 30) -> InterpreterFacts:
    return run_probe(python, dict(os.environ, **(env or {})), timeout)


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_probe_timeout_is_bounded() -> None:
    assert probe_timeout(0.1) == 2.0
    assert probe_timeout(10) == 10
    assert probe_timeout(1000) == 60.0


# --- targets that are not (working) Pythons, through the real CLI ---------------------------


def _assert_probe_failed(run, *fragments: str) -> dict:  # type: ignore[no-untyped-def]
    assert run.exit_code == 1, run.output
    doc = run.json  # the JSON document is complete
    assert doc["schema"] == "chat-doctor.report/1" and doc["exit_code"] == 1
    result = run.check("python.interpreter")
    assert (result["status"], result["code"]) == ("fail", "probe_failed")
    for fragment in fragments:
        assert fragment in result["summary"], result["summary"]
    assert "Traceback" not in run.output
    for check_id in PROBED_CHECKS[1:]:
        skipped = run.check(check_id)
        assert skipped["status"] == "skip" and skipped["data"]["blocked_by"] == "python.interpreter"
    assert doc["target"]["version"] is None
    return result


def test_bin_true_is_not_a_python() -> None:
    _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", "/bin/true"]),
                         "exited without printing anything")


def test_a_script_printing_garbage(tmp_path: Path) -> None:
    script = _script(tmp_path, "garbage", "echo 'Hello, I am definitely Python'\necho '{\"not\": \"a probe\"}'\n")
    result = _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "printed no probe answer")
    assert "definitely Python" in result["summary"]


def test_a_script_echoing_its_arguments_and_input_cannot_fake_an_answer(tmp_path: Path) -> None:
    script = _script(tmp_path, "echoer", 'echo "$@"\ncat\n')
    _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "printed no probe answer")


def test_a_garbled_answer(tmp_path: Path) -> None:
    script = _script(tmp_path, "garbled", "printf '\\n@@chat-doctor-probe@@{\"too_old\": tru\\n'\n")
    _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "garbled")


def test_a_crashing_target(tmp_path: Path) -> None:
    script = _script(tmp_path, "crasher", "echo 'Fatal Python error: init_fs_encoding' >&2\nexit 3\n")
    result = _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "exited with status 3")
    assert "init_fs_encoding" in result["summary"]


def test_a_target_killed_by_a_signal(tmp_path: Path) -> None:
    script = _script(tmp_path, "segv", "kill -SEGV $$\n")
    _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "killed by signal 11")


def test_a_hanging_target_is_killed_with_its_children(tmp_path: Path) -> None:
    child_pid = tmp_path / "child.pid"
    script = _script(tmp_path, "hang", f"sleep 30 &\necho $! > {child_pid}\nwait\n")
    started = time.monotonic()
    run = run_subprocess(["check", "--offline", "--json", "--timeout", "1", "--python", script])
    elapsed = time.monotonic() - started
    _assert_probe_failed(run, "did not answer within 2 s")
    assert elapsed < 15, elapsed  # bounded: the probe limit is max(--timeout, 2 s)
    pid = int(child_pid.read_text())
    for _ in range(50):  # the whole process group was killed, not just the shell
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the target's child {pid} survived the timeout")


def test_run_probe_raises_only_probe_failed(tmp_path: Path) -> None:
    not_executable = tmp_path / "plain.txt"
    not_executable.write_text("just text")
    with pytest.raises(ProbeFailed, match="could not be started"):
        _probe(str(not_executable))
    with pytest.raises(ProbeFailed, match="could not be started"):
        _probe(str(tmp_path / "missing-python"))


def test_prestarted_probe_is_taken_by_run_probe(monkeypatch) -> None:
    """`chat-doctor check` launches the probe before typer loads; run_probe reuses that process."""
    import doctor.probe.interpreters as interpreters

    monkeypatch.setattr(interpreters, "_PRESTARTED", {})
    interpreters.prestart(["chat-doctor", "check", "--offline", "--python", sys.executable])
    assert len(interpreters._PRESTARTED) == 1
    (running,) = interpreters._PRESTARTED.values()
    facts = run_probe(sys.executable, dict(os.environ), 10)
    assert facts.python_version == platform.python_version()
    assert interpreters._PRESTARTED == {} and running.proc.returncode == 0


def test_prestart_starts_nothing_when_unsure(monkeypatch) -> None:
    import doctor.probe.interpreters as interpreters

    monkeypatch.setattr(interpreters, "_PRESTARTED", {})
    for argv in (["chat-doctor", "check", "--help"], ["chat-doctor", "smoke"], ["chat-doctor", "check", "--python", "/nope"]):
        interpreters.prestart(argv)
    assert interpreters._PRESTARTED == {}


# A target that answers in the probe's format with values of the wrong types: whatever the
# executable passed as --python prints must end in probe_failed, never in a crashed check.
_WRONG_SHAPES = {
    "too old, version a number": {"too_old": True, "python_version": 3, "version_info": "abc"},
    "version a number": {"too_old": False, "interpreter": {"version": 3}},
    "version_info of texts": {"too_old": False, "interpreter": {"version": "3.11.0", "version_info": ["3", "x"]}},
    "ssl a list": {"too_old": False, "interpreter": {"version": "3.11.0"}, "ssl": [1, 2]},
    "ssl version_info a text": {"too_old": False, "interpreter": {"version": "3.11.0"},
                                "ssl": {"available": True, "version_info": "3.0"}},
    "a distribution's version a number": {"too_old": False, "interpreter": {"version": "3.11.0"},
                                          "distributions": [{"name": "openai", "version": 1}]},
    "distributions of numbers": {"too_old": False, "interpreter": {"version": "3.11.0"}, "distributions": [1, 2]},
    "cert_count a word": {"too_old": False, "interpreter": {"version": "3.11.0"}, "certifi": {"cert_count": "many"}},
    "warnings not a list": {"too_old": False, "interpreter": {"version": "3.11.0"}, "urllib3": {"installed": True, "warnings": 5}},
    "not_openssl_action a list": {"too_old": False, "interpreter": {"version": "3.11.0"},
                                  "warnings": {"not_openssl_action": ["error"]}},
}


@pytest.mark.parametrize("answer", list(_WRONG_SHAPES.values()), ids=list(_WRONG_SHAPES))
def test_a_probe_answer_of_the_wrong_shape_is_probe_failed(answer: dict, tmp_path: Path) -> None:

    from doctor.probe.interpreters import _MARK

    (tmp_path / "answer.txt").write_text("\n" + _MARK + json.dumps(answer) + "\n")
    script = _script(tmp_path, "python", f"cat {tmp_path / 'answer.txt'}\n")
    run = run_cli(["check", "--offline", "--json", "--python", script])
    result = _assert_probe_failed(run, "the target's probe answer has the wrong shape")
    assert all(c["code"] != "check_crashed" for c in run.json["checks"])
    assert " is " in result["summary"]  # names the field and what it was


def test_a_probe_answer_that_is_a_list_is_not_the_probe_format(tmp_path: Path) -> None:
    from doctor.probe.interpreters import _MARK

    (tmp_path / "answer.txt").write_text("\n" + _MARK + '[{"too_old": false}]\n')
    script = _script(tmp_path, "python", f"cat {tmp_path / 'answer.txt'}\n")
    _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "not with chat-doctor's probe format")


def test_a_probe_answer_nested_too_deep_is_garbled(tmp_path: Path) -> None:
    from doctor.probe.interpreters import _MARK

    (tmp_path / "answer.txt").write_text("\n" + _MARK + "[" * 200_000 + "]" * 200_000 + "\n")
    script = _script(tmp_path, "python", f"cat {tmp_path / 'answer.txt'}\n")
    _assert_probe_failed(run_cli(["check", "--offline", "--json", "--python", script]), "garbled")


# --- the probe's pipes: one drain thread for both outputs, stdin written at once ------------


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_flood_on_either_output_is_cut_at_the_cap_and_killed(tmp_path: Path, stream: str) -> None:
    redirect = "" if stream == "stdout" else " 1>&2"
    target = _script(tmp_path, "flood", f"cat > /dev/null\nexec cat /dev/zero{redirect}\n")
    t0 = time.monotonic()
    with pytest.raises(ProbeFailed) as failed:
        _probe(target, timeout=20)
    assert f"printed more than 1 MiB on {stream} (killed)" in failed.value.reason
    assert time.monotonic() - t0 < 10  # cut where the flood is made, not at the deadline


def test_both_outputs_are_read_whole_when_they_interleave(tmp_path: Path) -> None:
    """Past a pipe's 64 KiB on each output, in turns: a drain that read only one would hang."""
    python = sys.executable
    code = ("import sys, json\n"
            "for i in range(40):\n"
            "    sys.stderr.write('e' * 20000); sys.stderr.flush(); sys.stdout.write('o' * 20000); sys.stdout.flush()\n"
            "sys.stdout.write('\\n@@chat-doctor' + '-probe@@' + json.dumps({'schema': 1, 'too_old': True, "
            "'python_version': '2.7.18', 'version_info': [2, 7, 18], 'implementation': 'CPython', "
            "'executable': 'x', 'ssl_version': None}) + '\\n')\n")
    script = tmp_path / "chatty.py"
    script.write_text(code)
    target = _script(tmp_path, "chatty", f"cat > /dev/null\nexec {python} {script}\n")
    facts = _probe(target, timeout=20)
    assert facts.too_old and facts.python_version == "2.7.18"


def test_stdin_larger_than_the_pipe_is_fed_whole_by_a_thread() -> None:
    import subprocess

    from doctor.probe.child_io import feed_at_once

    source = b"x" * (1024 * 1024 + 17)  # far past any pipe's capacity
    proc = subprocess.Popen(["sh", "-c", "sleep 0.2; wc -c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    feeder = feed_at_once(proc, source)
    assert feeder is not None  # the pipe took only part of it at once
    assert proc.stdout is not None
    out = proc.stdout.read()  # not communicate(): the feeder owns stdin
    feeder.join(timeout=20)
    assert proc.wait(timeout=20) == 0 and int(out) == len(source)


def test_stdin_that_fits_needs_no_thread_and_a_closed_stdin_is_no_error() -> None:
    import subprocess

    from doctor.probe.child_io import feed_at_once

    proc = subprocess.Popen(["wc", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert feed_at_once(proc, b"y" * 30000) is None and proc.stdin is None  # written whole, closed
    assert int(proc.communicate(timeout=20)[0]) == 30000
    gone = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    gone.wait(timeout=20)
    assert feed_at_once(gone, b"z" * 200000) is None  # BrokenPipe: judged by its output, not raised


@pytest.mark.parametrize("os_name", ["posix", "nt"])
def test_the_drain_keeps_both_outputs_and_cuts_a_flood_with_select_or_reader_threads(
        os_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """posix: one poll loop; elsewhere (select() takes only sockets on Windows): a CappedReader
    per pipe. `nt` is set only while the drain is made, so it takes that branch here for real."""
    import subprocess

    import doctor.probe.child_io as child_io

    def drain(script: str, cap: int) -> child_io.PipeDrain:
        proc = subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        with monkeypatch.context() as patched:
            patched.setattr(child_io.os, "name", os_name)
            pipes = child_io.PipeDrain(proc, cap=cap)
        pipes.thread.join(timeout=20)
        proc.wait(timeout=20)
        assert not pipes.thread.is_alive()
        return pipes

    both = drain("echo out; echo err >&2; echo more", 1024)
    assert (both.data("stdout"), both.data("stderr"), both.overflowed) == (b"out\nmore\n", b"err\n", "")
    flood = drain("exec cat /dev/zero >&2", 64 * 1024)
    assert flood.overflowed == "stderr" and len(flood.data("stderr")) <= 64 * 1024
