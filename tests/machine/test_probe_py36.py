"""The stdlib-only probe stays Python 3.6 source: the gate that stands in for ruff/mypy there.

ruff's modernising rules and mypy skip doctor/probe/target_probe.py (pyproject.toml). What
keeps it 3.6-compatible is tests/machine/test_probe_pythons.py, which runs it on every pyenv Python from 3.6
(running it compiles the whole file), and, here, checks that do not need the probe to run:
the real 3.6 compiler with warnings as errors, the 3.6 grammar on this interpreter (so a
machine without pyenv still catches a walrus or a positional-only parameter), and the
file's own rules (ASCII only; stdlib imports only, besides the urllib3 and certifi it diagnoses).
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.support.helpers import REPO
from tests.support.venvs import pyenv_python

PROBE = REPO / "doctor" / "probe" / "target_probe.py"
# The packages the probe diagnoses: imported only once importlib.util.find_spec has found them.
DIAGNOSED_IMPORTS = {"certifi", "urllib3"}


def test_probe_compiles_on_python_36_without_warnings() -> None:
    python = pyenv_python("3.6")  # skips with where it looked when this machine has none
    # compile() rather than py_compile: nothing is written next to the source.
    code = "import sys; src = open(sys.argv[1], 'rb').read(); compile(src, sys.argv[1], 'exec')"
    run = subprocess.run([str(python), "-W", "error", "-c", code, str(PROBE)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_probe_parses_with_the_36_grammar_here() -> None:
    # feature_version rejects newer syntax (walrus, positional-only parameters, ...) on any
    # interpreter, so this part of the gate holds on machines without pyenv too.
    ast.parse(PROBE.read_bytes(), str(PROBE), feature_version=(3, 6))


def test_probe_is_ascii_and_imports_only_the_stdlib() -> None:
    source = PROBE.read_bytes()
    source.decode("ascii")  # sent on stdin, decoded with the target's locale encoding
    tree = ast.parse(source)
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert "json" in modules and "ssl" in modules  # the walk sees the probe's real imports
    if sys.version_info < (3, 10):
        pytest.skip("sys.stdlib_module_names needs Python 3.10+")
    assert modules - set(sys.stdlib_module_names) == DIAGNOSED_IMPORTS
    assert "__future__" not in modules  # `from __future__ import annotations` is 3.7+
