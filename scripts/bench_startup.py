"""Start-up figures (scripts/bench.py startup): a fresh process each time, bytecode cached.

Measured as a user has it: chat-doctor built as a wheel and installed (not editable) into a
throwaway venv, whose Python also runs the references. A development venv's editable install
puts an import finder (setuptools' `__editable__` .pth, ~20 ms) into every start of that venv's
Python, chat-doctor's and the references' alike, which no installed copy has. The throwaway
venv sees the development venv's packages (typer, rich, requests...) through one .pth line, so
nothing is downloaded but the build backend (pip's build isolation, from its cache).

- `chat-doctor check --offline` (the interpreter probe included) against `python -m
  requests.help`, the environment dump every Python user knows, and `python -c pass`;
- `chat-doctor --help` and `--version` against `python -c "import typer"` (the framework
  alone), and what each of them imports: none of openai, httpx, urllib3 or pydantic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Sequence

from bench_common import Row, bench_env, installed_venv, interleaved, ratio_row

STARTUP_BUDGET = 1.8  # of requests.help (issue 13)
STARTUP_GOAL = 1.5
# Never on the way to --help, --version or check --offline: each costs 100 ms or more.
HEAVY = ("openai", "httpx", "urllib3", "pydantic", "requests", "packaging.requirements")

# Runs the real entry point, then writes the modules it loaded to the file named in argv[1].
_WHAT_IT_IMPORTS = (
    "import json, sys\n"
    "out = sys.argv.pop(1)\n"
    "try:\n"
    "    from doctor.cli import main\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "with open(out, 'w') as f:\n"
    "    json.dump(sorted(sys.modules), f)\n"
)


def ensure_requests() -> None:
    try:
        import requests  # noqa: F401  # only whether it imports
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "requests"], check=True)


def imported_by(python: str, args: Sequence[str]) -> List[str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modules.json"
        subprocess.run([python, "-c", _WHAT_IT_IMPORTS, str(out), *args], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=bench_env(), check=False, cwd=tmp)
        return list(json.loads(out.read_text())) if out.exists() else []


def _imports_row(python: str, args: Sequence[str]) -> Row:
    modules = imported_by(python, args)
    heavy = [name for name in HEAVY if name in modules]
    what = f"{' '.join(args)} imports ({', '.join(heavy) or 'no ' + '/'.join(HEAVY[:4])})"
    return Row("startup", what, float(len(modules)), "modules", budget="none of " + "/".join(HEAVY[:4]),
               ok=not any(name in heavy for name in HEAVY[:4]) and bool(modules))


def bench_startup(runs: int = 15) -> List[Row]:
    ensure_requests()
    with installed_venv() as bin_dir:
        return _startup_rows(bin_dir, runs)


def _startup_rows(bin_dir: Path, runs: int) -> List[Row]:
    env = bench_env()
    py, chat_doctor = str(bin_dir / "python"), str(bin_dir / "chat-doctor")
    samples = interleaved({
        "pass": [py, "-c", "pass"],
        "requests.help": [py, "-m", "requests.help"],
        "typer": [py, "-c", "import typer"],
        "check --offline": [chat_doctor, "check", "--offline"],
        "--help": [chat_doctor, "--help"],
        "--version": [chat_doctor, "--version"],
    }, runs, env)
    installed = "check --offline (wheel install)"
    return [
        ratio_row("startup", installed, samples["check --offline"], "requests.help", samples["requests.help"],
                  budget=STARTUP_BUDGET, goal=STARTUP_GOAL),
        ratio_row("startup", installed, samples["check --offline"], "python -c pass", samples["pass"]),
        ratio_row("startup", "--help (wheel install)", samples["--help"], "import typer", samples["typer"]),
        ratio_row("startup", "--version (wheel install)", samples["--version"], "import typer", samples["typer"]),
        _imports_row(py, ["--help"]),
        _imports_row(py, ["--version"]),
        _imports_row(py, ["check", "--offline"]),
    ]
