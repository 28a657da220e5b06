"""Start-up figures (scripts/bench.py startup): a fresh process each time, bytecode cached.

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

from bench_common import CHAT_DOCTOR, Row, bench_env, interleaved, ratio_row

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


def imported_by(args: Sequence[str]) -> List[str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modules.json"
        subprocess.run([sys.executable, "-c", _WHAT_IT_IMPORTS, str(out), *args], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=bench_env(), check=False, cwd=tmp)
        return list(json.loads(out.read_text())) if out.exists() else []


def _imports_row(args: Sequence[str]) -> Row:
    modules = imported_by(args)
    heavy = [name for name in HEAVY if name in modules]
    what = f"{' '.join(args)} imports ({', '.join(heavy) or 'no ' + '/'.join(HEAVY[:4])})"
    return Row("startup", what, float(len(modules)), "modules", budget="none of " + "/".join(HEAVY[:4]),
               ok=not any(name in heavy for name in HEAVY[:4]) and bool(modules))


def bench_startup(runs: int = 15) -> List[Row]:
    ensure_requests()
    env = bench_env()
    py = sys.executable
    samples = interleaved({
        "pass": [py, "-c", "pass"],
        "requests.help": [py, "-m", "requests.help"],
        "typer": [py, "-c", "import typer"],
        "check --offline": [CHAT_DOCTOR, "check", "--offline"],
        "--help": [CHAT_DOCTOR, "--help"],
        "--version": [CHAT_DOCTOR, "--version"],
    }, runs, env)
    return [
        ratio_row("startup", "check --offline", samples["check --offline"], "requests.help", samples["requests.help"],
                  budget=STARTUP_BUDGET, goal=STARTUP_GOAL),
        ratio_row("startup", "check --offline", samples["check --offline"], "python -c pass", samples["pass"]),
        ratio_row("startup", "--help", samples["--help"], "import typer", samples["typer"]),
        ratio_row("startup", "--version", samples["--version"], "import typer", samples["typer"]),
        _imports_row(["--help"]),
        _imports_row(["--version"]),
        _imports_row(["check", "--offline"]),
    ]
