"""`chat-doctor pythons` through the real CLI, on a PATH built in tmp_path: two symlinks to this
interpreter (one row), a `python3.99` that hangs and one that crashes (a row each, with the
reason), all within the timeout plus a few seconds. And the printed commands, run by bash."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Tuple

import pytest

from doctor.knowledge import pythons
from doctor.knowledge.wording.pythons_command import venv_commands
from tests.support.helpers import Run, run_subprocess

TIMEOUT = 2.0


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path) -> Tuple[Dict[str, str], Dict[str, Path]]:
    """The environment of the run and the paths it holds. pyenv, asdf and conda point at empty
    directories, so only PATH and the fixed system places (/usr/bin/python3...) are searched."""
    links = tmp_path / "links"
    links.mkdir()
    first = links / "python3"
    first.symlink_to(sys.executable)
    twin = tmp_path / "twin" / "python3"
    twin.parent.mkdir()
    twin.symlink_to(sys.executable)
    hang = _script(tmp_path / "hang" / "python3.99", f"exec {shutil.which('sleep')} 600\n")
    crash = _script(tmp_path / "crash" / "python3.99",
                    "printf 'Fatal Python error: \\033[2Jgarbage\\n' >&2\nexit 1\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {
        "PATH": os.pathsep.join(str(p.parent) for p in (first, twin, hang, crash)),
        "HOME": str(tmp_path / "home"), "PYENV_ROOT": str(empty), "ASDF_DATA_DIR": str(empty),
    }
    return env, {"first": first, "twin": twin, "hang": hang, "crash": crash, "cwd": tmp_path}


def _pythons(env: Dict[str, str], cwd: Path, *args: str) -> Tuple[Run, float]:
    started = time.monotonic()
    run = run_subprocess(["pythons", "--timeout", f"{TIMEOUT:g}", *args], env=env, cwd=str(cwd), timeout=60)
    return run, time.monotonic() - started


def _row(document: dict, path: Path) -> dict:
    rows = [row for row in document["interpreters"] if row["path"] == str(path)]
    assert len(rows) == 1, [row["path"] for row in document["interpreters"]]
    return rows[0]


def test_json_one_row_per_interpreter_each_failure_with_its_reason_within_the_timeout(machine: tuple) -> None:
    env, paths = machine
    run, elapsed = _pythons(env, paths["cwd"], "--json")
    # The hung probe is waited for until its deadline, and killed then: never much longer.
    assert TIMEOUT <= elapsed < TIMEOUT + 6, elapsed
    document = run.json  # pure JSON on stdout
    assert run.stderr == ""
    assert document["schema"] == "chat-doctor.pythons/1"

    mine = _row(document, paths["first"])
    assert str(paths["twin"]) in mine["aliases"]  # the second symlink is the same interpreter
    assert not any(row["path"] == str(paths["twin"]) for row in document["interpreters"])
    assert mine["probed"] and mine["version"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")
    import ssl

    assert mine["tls"] == ssl.OPENSSL_VERSION
    minor = sys.version_info[:2]
    good = minor >= pythons.OPENAI_CURRENT_MIN_PYTHON and not pythons.is_eol(minor, datetime.date.today())
    assert mine["recommendable"] is (good and ssl.OPENSSL_VERSION.startswith("OpenSSL "))

    hung = _row(document, paths["hang"])
    assert not hung["probed"] and hung["recommendable"] is False
    assert hung["error"]["reason"] == f"{paths['hang']} did not answer within {TIMEOUT:g} s (killed); it hangs or is not a Python"
    crashed = _row(document, paths["crash"])
    assert crashed["error"]["reason"].startswith(f"{paths['crash']} exited with status 1 before answering: Fatal Python error")
    assert "garbage" in crashed["error"]["output"]

    assert document["exit_code"] == run.exit_code == (0 if document["recommendation"] else 1)


def test_console_table_shows_every_row_and_escapes_what_the_targets_printed(machine: tuple) -> None:
    env, paths = machine
    run, elapsed = _pythons(env, paths["cwd"])
    assert elapsed < TIMEOUT + 6
    assert "\x1b" not in run.stdout  # the crashing script's ESC [2J, shown escaped
    assert "Fatal Python error: \\x1b[2Jgarbage" in run.stdout
    lines = run.stdout.splitlines()
    assert any(str(paths["first"]) in line and f"also {paths['twin']}" in line for line in lines)
    assert any(str(paths["hang"]) in line and "did not answer within 2 s" in line for line in lines)
    if run.exit_code == 0:
        assert "Recommended for an OpenAI project:" in run.stdout
        assert "mkdir .venv && " in run.stdout
    else:
        assert run.exit_code == 1 and f"uv python install {pythons.RECOMMENDED_PYTHON}" in run.stdout


def test_a_bad_timeout_is_a_usage_error(machine: tuple) -> None:
    env, paths = machine
    run, _ = _pythons(env, paths["cwd"], "--timeout", "0")
    assert run.exit_code == 2 and "--timeout" in run.stderr and run.stdout == ""


def test_the_printed_commands_run_in_bash_with_the_path_as_one_word_and_never_reuse_a_directory(tmp_path: Path) -> None:
    """A stand-in interpreter whose path holds a blank, quotes and `$(...)`: bash must pass it
    whole, run nothing inside it, and stop at mkdir when the directory exists."""
    weird = tmp_path / "it's $(touch pwned) here"
    log = tmp_path / "argv.txt"
    fake = _script(weird / "python3", f'for a in "$@"; do printf "%s\\n" "$a"; done > {log}\n')
    create = venv_commands(str(fake), ".venv")[0]
    first = subprocess.run(["bash", "-c", create], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert log.read_text().splitlines() == ["-m", "venv", ".venv"]
    assert not (tmp_path / "pwned").exists()
    (tmp_path / ".venv" / "keep").write_text("mine")
    log.unlink()
    again = subprocess.run(["bash", "-c", create], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode != 0 and "exists" in again.stderr.lower()
    assert not log.exists() and (tmp_path / ".venv" / "keep").read_text() == "mine"
