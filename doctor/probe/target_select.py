"""Which interpreter a run diagnoses: `--python`, the active virtual environment, or
chat-doctor's own. Apart from doctor.probe.interpreters (the probe's launch and reading) so
that check's head start, which needs a Plan and so a target, loads only this before its
request leaves (doctor.checks.models_head_start)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from doctor.model import Target
from doctor.settings import Settings, UsageError, current_python

SELECTED_BY_FLAG = "--python"
SELECTED_BY_VENV = "VIRTUAL_ENV"
SELECTED_BY_SELF = "chat-doctor's own interpreter"


def select_target(settings: Settings) -> Target:
    """`--python PATH`, else the active virtual environment, else chat-doctor's interpreter.

    Raises UsageError when `--python` names nothing runnable: that is a typo, not a finding.
    """
    if settings.python:
        return Target(python=_resolve_flag(settings.python, settings.cwd), selected_by=SELECTED_BY_FLAG)
    venv = settings.env.get("VIRTUAL_ENV")
    if venv:
        candidate = _venv_python(Path(venv))
        if candidate is not None:
            return Target(python=str(candidate), selected_by=SELECTED_BY_VENV)
    return Target(python=current_python(), selected_by=SELECTED_BY_SELF)


def _resolve_flag(value: str, cwd: Path | None) -> str:
    try:
        return _resolve_path(value, cwd)
    except OSError as exc:  # a directory on the way that this user may not enter (EACCES), a loop
        raise UsageError(f"--python {value}: cannot be inspected ({exc.strerror or exc})") from None


def _resolve_path(value: str, cwd: Path | None) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute() and os.sep not in value:
        import shutil  # only for a bare name: shutil loads bz2, lzma (~10 ms) that no other path here needs

        found = shutil.which(value)
        if found:
            return found
    if not path.is_absolute():
        if cwd is None:
            raise UsageError(f"--python {value}: a relative path, but the working directory no longer exists")
        path = cwd / path
    if path.is_dir():
        venv_python = _venv_python(path)
        if venv_python is not None:
            return str(venv_python)
        raise UsageError(f"--python {value}: is a directory without bin/python (not a virtual environment)")
    if not path.exists():
        raise UsageError(f"--python {value}: no such file")
    if not os.access(path, os.X_OK):
        raise UsageError(f"--python {value}: not executable")
    return str(path)


def _venv_python(venv: Path) -> Path | None:
    names = ("Scripts/python.exe",) if sys.platform == "win32" else ("bin/python", "bin/python3")
    for name in names:
        candidate = venv / name
        try:
            if candidate.exists():
                return candidate
        except OSError:  # not ours to enter (EACCES): no interpreter we could run there either
            continue
    return None
