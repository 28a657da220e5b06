"""`chat-doctor smoke --python TARGET` through the real CLI, with real interpreters and venvs as the
target: each openai major runs the smoke test itself (the JSON's smoke.sdk, smoke.http and
smoke.python are the target's), the openai 1.30 + httpx 0.28 pair fails with stream_sdk_broken
and either printed fix repairs it, an openai that cannot be imported is broken rather than absent,
a runner that crashes or prints garbage is smoke_runner_failed, and a target that cannot run it
(no openai, openai 0.x, Python 3.7) falls back to chat-doctor's own interpreter and says so.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli
from tests.support.mock_helpers import running
from tests.support.venvs import fetch_wheels, make_venv, pyenv_python, venv_python, wheels_dir

# (openai release, interpreter, HTTP library): the newest of each major, as test_sdk_majors.py.
MAJORS = {
    "1.x": ("1.109.1", "3.9", "httpx"),
    "2.x": ("2.54.0", "3.12", "httpx"),
    "3.x": ("3.57.0", "3.11", "httpx2"),
}


def smoke(target: str, base_url: str, *extra: str) -> Run:
    run = run_cli(["smoke", "--python", target, "--json", "--timeout", "5", "--base-url", base_url, *extra],
                  env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    return run


def chat_of(run: Run) -> Dict[str, Any]:
    return run.check("stream.chat")


# --- each major runs it in the target ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("major", sorted(MAJORS))
def test_each_openai_major_as_the_target_runs_the_smoke_test_itself(major: str) -> None:
    release, version, library = MAJORS[major]
    python = pyenv_python(version)  # first: without the interpreter, skip before building anything
    target = str(venv_python(make_venv(python, [f"openai=={release}"])))
    with running("ok", first_token_delay_ms=200, token_interval_ms=10) as server:
        run = smoke(target, server.base_url, "--runs", "2")
        chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    chat, document = chat_of(run), run.json["smoke"]
    assert (run.exit_code, chat["status"]) == (0, "ok"), chat
    assert (document["sdk"], document["python"], document["ran_in"], document["fallback"]) == (
        f"openai {release}", target, "target", None)
    assert document["http"].split()[0] == library and document["python_version"].startswith(version + ".")
    assert len(chats) == 2 and [r["completion_tokens"] for r in document["runs"]] == [8, 8]
    for one in document["runs"]:
        assert 200 <= one["ttft_ms"] < 400, one  # never before the 200 ms delay, well before twice it
    line = f"ran in the target, {target} (Python {document['python_version']}): openai {release} with {document['http']}"
    assert line in chat["details"]
    assert "chat-doctor's own interpreter" not in " ".join(chat["details"])
    assert "run 1/2: Hello from chat-doctor's local endpoint." in run.stderr  # streamed live from the target
    assert chat["data"]["token_arrivals_ms"], chat["data"]  # the picture's input, from the target's traces


# --- a target whose SDK cannot build a client -------------------------------------------------


def app_venv(tmp_path: Path, packages: List[str]) -> str:
    """A venv with pip, as an app's is (the fixes run pip in it), built offline from the test wheels."""
    venv = tmp_path / "app venv"  # a space: the printed command must quote the path
    subprocess.run([pyenv_python("3.11"), "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    python = str(venv_python(venv))
    make_venv(pyenv_python("3.11"), packages)  # fills the wheel cache (cached after the first time)
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(wheels_dir()), *packages],
                   check=True, capture_output=True, timeout=600)
    return python


@pytest.mark.slow
@pytest.mark.parametrize("fix", [0, 1], ids=["upgrade-openai", "pin-httpx"])
def test_openai_1_30_with_httpx_0_28_fails_with_stream_sdk_broken_and_the_fix_works(tmp_path: Path, fix: int) -> None:
    target = app_venv(tmp_path, ["openai==1.30.0", "httpx==0.28.1"])
    with running("ok") as server:
        broken = smoke(target, server.base_url)
        sent = [r for r in server.requests if r.path.endswith("/chat/completions")]
        chat = chat_of(broken)
        assert (broken.exit_code, chat["status"], chat["code"]) == (1, "fail", "stream_sdk_broken"), chat
        assert "TypeError" in chat["summary"] and "proxies" in chat["summary"] and sent == []
        assert broken.json["smoke"]["sdk"] == "openai 1.30.0" and broken.json["smoke"]["http"] == "httpx 0.28.1"
        command = chat["fixes"][fix]["command"]
        assert command.startswith(f"'{target}' -m pip install ")
        fetch_wheels(target, [arg for arg in shlex.split(command)[4:] if not arg.startswith("-")])  # e.g. httpx<0.28
        offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels_dir()), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                   "PATH": "/usr/bin:/bin"}
        done = subprocess.run(["/bin/bash", "-c", command], check=False, capture_output=True, text=True, env=offline,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        fixed = smoke(target, server.base_url)
    assert (fixed.exit_code, chat_of(fixed)["status"]) == (0, "ok"), chat_of(fixed)
    assert fixed.json["smoke"]["ran_in"] == "target" and fixed.json["smoke"]["python"] == target


@pytest.mark.slow
def test_an_openai_that_is_installed_but_cannot_be_imported_is_broken_not_absent() -> None:
    target = str(venv_python(make_venv(pyenv_python("3.11"), ["openai==1.55.3"], no_deps=True)))  # no httpx
    with running("ok") as server:
        run = smoke(target, server.base_url)
    chat = chat_of(run)
    assert (run.exit_code, chat["status"], chat["code"]) == (1, "fail", "stream_sdk_broken"), chat
    assert "ModuleNotFoundError" in chat["summary"]
    assert [f["command"] for f in chat["fixes"]] == [f"{target} -m pip install --force-reinstall openai==1.55.3"]


# --- a runner that does not finish ------------------------------------------------------------


def wrapper(tmp_path: Path, real: str, misbehaviour: str) -> str:
    """`real` for the probe; `misbehaviour` for the smoke test's runner (its bootstrap names its namespace)."""
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\ncase "$2" in *chat_doctor_runner*) {misbehaviour};; esac\nexec {real} "$@"\n')
    script.chmod(0o755)
    return str(script)


@pytest.mark.slow
@pytest.mark.parametrize("misbehaviour, words", [
    ("cat > /dev/null; echo 'Traceback: it broke' >&2; exit 3", "exited with status 3 before it finished: Traceback: it broke"),
    ("cat > /dev/null; echo hello; exit 0", "printed something that is not a runner event: hello"),
])
def test_a_runner_that_crashes_or_prints_garbage_is_smoke_runner_failed(tmp_path: Path, misbehaviour: str,
                                                                       words: str) -> None:
    release, version, _ = MAJORS["1.x"]
    real = str(venv_python(make_venv(pyenv_python(version), [f"openai=={release}"])))
    target = wrapper(tmp_path, real, misbehaviour)
    started = time.monotonic()
    with running("ok") as server:
        run = smoke(target, server.base_url)
    chat = chat_of(run)
    assert (run.exit_code, chat["status"], chat["code"]) == (1, "fail", "smoke_runner_failed"), chat
    assert words in chat["summary"] and time.monotonic() - started < 30


@pytest.mark.slow
def test_a_runner_that_hangs_is_killed_within_the_smoke_bound_and_is_smoke_runner_failed(tmp_path: Path) -> None:
    from doctor.stream.target_launch import RunnerJob, deadline_s

    release, version, _ = MAJORS["1.x"]
    real = str(venv_python(make_venv(pyenv_python(version), [f"openai=={release}"])))
    target = wrapper(tmp_path, real, "cat > /dev/null; sleep 300")
    bound = deadline_s(RunnerJob(base_url="x", model="m", prompt="p", max_tokens=1, timeout_s=1.0))
    started = time.monotonic()
    with running("ok") as server:
        run = run_cli(["smoke", "--python", target, "--json", "--timeout", "1", "--max-tokens", "1",
                       "--base-url", server.base_url], env={"OPENAI_API_KEY": CANARY_KEY})
    took = time.monotonic() - started
    chat = chat_of(run)
    assert (run.exit_code, chat["status"], chat["code"]) == (1, "fail", "smoke_runner_failed"), chat
    assert f"did not finish within {bound:g} s (killed)" in chat["summary"]
    assert bound <= took < 2 * bound, took


# --- targets that cannot run it: chat-doctor's own interpreter, and it says so ----------------


def assert_fell_back(run: Run, words: str) -> None:
    chat, document = chat_of(run), run.json["smoke"]
    assert (run.exit_code, chat["status"]) == (0, "ok"), chat
    assert (document["ran_in"], document["python"]) == ("chat-doctor", sys.executable)
    assert words in document["fallback"] and document["fallback"] in chat["details"]
    assert f"ran in chat-doctor's own interpreter ({sys.executable})" in document["fallback"]


def test_a_python_without_openai_falls_back_and_says_so() -> None:
    python = pyenv_python("3.12")
    with running("ok") as server:
        run = smoke(python, server.base_url)
    assert_fell_back(run, f"openai is not installed in {python}")


def test_python_3_7_falls_back_and_says_so() -> None:
    python = pyenv_python("3.7")
    with running("ok") as server:
        run = smoke(python, server.base_url)
    assert_fell_back(run, "is Python 3.7.")


@pytest.mark.slow
def test_openai_0_x_falls_back_and_says_so() -> None:
    target = str(venv_python(make_venv(pyenv_python("3.11"), ["openai==0.28.1"])))
    with running("ok") as server:
        run = smoke(target, server.base_url)
    assert_fell_back(run, f"{target} has openai 0.28.1, older than the 1.0")
