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
from tests.support.pyenv_shim import shim_text

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


# --- pyenv shims, read instead of run ---------------------------------------------------------



@pytest.fixture
def pyenv_machine(tmp_path: Path) -> Tuple[Dict[str, str], Dict[str, Path]]:
    """A pyenv root in pyenv's layout: version 3.99.1 (python3 -> this interpreter) selected by
    a .python-version in the working directory, 3.98.0 installed but not selected, shims in
    pyenv's template for python3 and python3.98. Its `pyenv` (what a shim would exec) leaves a
    mark and then runs this interpreter for python3 (fails for the others as pyenv does), so a
    shim that is run, not read, shows."""
    root = tmp_path / "pyenv"
    mark = tmp_path / "shim-ran"
    pyenv = _script(root / "libexec" / "pyenv", f'echo "$2" >> {mark}\n'  # what pyenv exec would do, in short
                    f'[ "$2" = python3 ] || {{ echo "pyenv: $2: command not found" >&2; exit 127; }}\n'
                    f'exec {sys.executable} "${{@:3}}"\n')
    pyenv.write_text("#!/usr/bin/env bash\n" + pyenv.read_text().split("\n", 1)[1])
    (root / "versions/3.99.1/bin").mkdir(parents=True)
    (root / "versions/3.99.1/bin/python3").symlink_to(sys.executable)
    _script(root / "versions/3.98.0/bin/python3.98", "exit 3\n")
    for name in ("python3", "python3.98"):
        _script(root / "shims" / name, "").write_text(shim_text(root, pyenv))
    cwd = tmp_path / "project"
    cwd.mkdir()
    (cwd / ".python-version").write_text("3.99.1\n")
    tools = tmp_path / "tools"  # bash alone, for the shims' `#!/usr/bin/env bash` when they do run
    tools.mkdir()
    (tools / "bash").symlink_to(shutil.which("bash") or "/bin/bash")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": f"{root / 'shims'}{os.pathsep}{tools}", "HOME": str(tmp_path / "home"), "PYENV_ROOT": str(root),
           "PYENV_VERSION": "", "PYENV_DIR": "", "PYENV_HOOK_PATH": "", "ASDF_DATA_DIR": str(empty)}
    return env, {"root": root, "mark": mark, "cwd": cwd}


def test_a_pyenv_shim_is_its_interpreter_and_one_the_version_lacks_is_a_quiet_line(pyenv_machine: tuple) -> None:
    env, paths = pyenv_machine
    root = paths["root"]
    run, _ = _pythons(env, paths["cwd"], "--json")
    assert run.stderr == ""
    real = _row(run.json, root / "versions/3.99.1/bin/python3")
    assert real["probed"] and str(root / "shims/python3") in real["aliases"]
    assert real["found_by"][:2] == ["PATH", "pyenv"]
    assert not any("/shims/" in row["path"] for row in run.json["interpreters"])
    assert run.json["inactive_pyenv_shims"] == [{
        "path": str(root / "shims/python3.98"), "command": "python3.98", "selected_versions": ["3.99.1"],
        "selected_by": str(paths["cwd"] / ".python-version"), "installed_in": ["3.98.0"],
        "activate": "pyenv shell 3.98.0",
    }]
    assert not paths["mark"].exists()  # no shim was run: pyenv's bash never started

    table, _ = _pythons(env, paths["cwd"])
    line = next(line for line in table.stdout.splitlines() if "shims/python3.98" in line)
    assert line == (f"{root}/shims/python3.98: pyenv shim, not active under the selected version 3.99.1 (set by "
                    f"{paths['cwd']}/.python-version): `pyenv shell 3.98.0` makes it python3.98")
    assert "not probed" not in table.stdout and not paths["mark"].exists()


def test_a_pyenv_hook_the_rules_do_not_know_makes_the_shim_run_as_before(pyenv_machine: tuple) -> None:
    env, paths = pyenv_machine
    hooks = paths["root"].parent / "hooks"
    _script(hooks / "exec" / "mine.bash", "# a user's hook: could send python3 anywhere\n")
    run, _ = _pythons({**env, "PYENV_HOOK_PATH": str(hooks)}, paths["cwd"], "--json")
    shim = _row(run.json, paths["root"] / "shims/python3")
    assert shim["probed"], shim["error"]
    assert os.path.realpath(shim["executable"]) == os.path.realpath(sys.executable)
    assert run.json["inactive_pyenv_shims"] == []  # python3.98 is run too, and fails as a row
    assert "python3.98: command not found" in _row(run.json, paths["root"] / "shims/python3.98")["error"]["reason"]
    assert sorted(paths["mark"].read_text().split()) == ["python3", "python3.98"]
