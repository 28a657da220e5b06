"""The text of a pyenv shim, as `pyenv rehash` writes it (pyenv 2.x's libexec/pyenv-rehash
template), for fake pyenv roots in tests: doctor.probe.pyenv_shims must recognise it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

_TEMPLATE = """#!/usr/bin/env bash
set -e
[ -n "$PYENV_DEBUG" ] && set -x

program="${{0##*/}}"

export PYENV_ROOT="{root}"
SHIM_PATH=${{0%/*}}
if [[ $SHIM_PATH != "{root}/shims" ]]; then
  export _PYENV_SHIM_PATH="$SHIM_PATH"
fi
exec "{pyenv}" exec "$program" "$@"
"""


def shim_text(root: Path, pyenv: Optional[Path] = None) -> str:
    """A shim under `root` that runs `pyenv` (default: the root's own libexec/pyenv)."""
    return _TEMPLATE.format(root=root, pyenv=pyenv if pyenv is not None else f"{root}/libexec/pyenv")
