"""Asking version managers where they keep their Pythons: `pyenv root`, `uv python dir`.

Neither location is guessed (`~/.pyenv` is only pyenv's default; uv's depends on the platform
and on UV_PYTHON_INSTALL_DIR): `$PYENV_ROOT` when set, else the tools themselves, found on the
PATH chat-doctor reads (Settings.env). Each question is bounded by a timeout and runs in its own
process group, killed whole when it is late: a pyenv shim that hangs, or a wrapper whose
children keep the pipe open, cannot hold the survey up.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Mapping, Optional, Sequence, Tuple

from doctor.probe.discovery import Places

# A version manager answers in well under a second; a cold pyenv (a bash script) in about one.
TOOL_TIMEOUT_S = 5.0
_OUTPUT_CAP = 64 * 1024  # a directory name; anything longer is not an answer


def places_for(env: Mapping[str, str], home: Optional[Path], root: Path = Path("/"),
               timeout_s: float = TOOL_TIMEOUT_S, cwd: Optional[Path] = None) -> Places:
    """The Places of this machine: both tools asked at once, each within `timeout_s`. With
    `cwd` (where pyenv looks for .python-version) pyenv shims are read instead of run."""
    decided, known = _pyenv_root_without_asking(env)
    if decided and shutil.which("uv", path=env.get("PATH", "")) is None:
        # Nothing to ask (the usual case: PYENV_ROOT set or pyenv's own script, no uv): no
        # threads, so the probes `pythons` prestarts are not held up by starting them.
        return Places(env=env, home=home, root=root, pyenv_root=known, uv_dir=None, cwd=cwd)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="chat-doctor-tool") as pool:
        pyenv = pool.submit(pyenv_root, env, timeout_s)
        uv = pool.submit(uv_python_dir, env, timeout_s)
        return Places(env=env, home=home, root=root, pyenv_root=pyenv.result(), uv_dir=uv.result(), cwd=cwd)


def pyenv_root(env: Mapping[str, str], timeout_s: float = TOOL_TIMEOUT_S) -> Optional[Path]:
    decided, known = _pyenv_root_without_asking(env)
    if decided:
        return known
    answer = _ask(env, ["pyenv", "root"], timeout_s)
    return Path(answer) if answer else None


def _pyenv_root_without_asking(env: Mapping[str, str]) -> Tuple[bool, Optional[Path]]:
    """(True, what `pyenv root` would print) where its source says it without running it:
    $PYENV_ROOT, else, for pyenv's own script (libexec/pyenv, a bash script), $HOME/.pyenv;
    (True, None) when there is no pyenv on PATH; (False, None) when only asking tells (a
    wrapper of some other shape, no HOME)."""
    if env.get("PYENV_ROOT"):
        return True, Path(env["PYENV_ROOT"])
    tool = shutil.which("pyenv", path=env.get("PATH", ""))
    if tool is None:
        return True, None
    real = Path(os.path.realpath(tool))
    if real.parent.name != "libexec" or real.name != "pyenv" or not env.get("HOME"):
        return False, None
    try:
        with open(real, "rb") as handle:
            if handle.read(20) != b"#!/usr/bin/env bash\n":
                return False, None
    except OSError:
        return False, None
    return True, Path(env["HOME"]) / ".pyenv"


def uv_python_dir(env: Mapping[str, str], timeout_s: float = TOOL_TIMEOUT_S) -> Optional[Path]:
    answer = _ask(env, ["uv", "python", "dir"], timeout_s)
    return Path(answer) if answer else None


def _ask(env: Mapping[str, str], argv: Sequence[str], timeout_s: float) -> Optional[str]:
    """The tool's one-line answer, or None: not on PATH, failed, late, or not a path."""
    import signal
    import subprocess

    tool = shutil.which(argv[0], path=env.get("PATH", ""))
    if tool is None:
        return None
    try:
        proc = subprocess.Popen([tool, *argv[1:]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=dict(env), start_new_session=True)
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        try:
            proc.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:  # a process we cannot reap must not hang the survey
            pass
        return None
    text = out[:_OUTPUT_CAP].decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not text or "\n" in text or not os.path.isabs(text):
        return None
    return text
