"""Running chat-doctor the two real ways, in-process (CliRunner) and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

# The checkout: tests/support/helpers.py is two levels below it.
REPO = Path(__file__).resolve().parents[2]

# A key shaped like a real project key (random, so no ordinary text shares a long run with it).
# It must never appear, whole or in long fragments, in any output.
CANARY_KEY = "sk-proj-CANARYr80rAnvI35gpANESfN0iDtRdTwYz_uybHBDKbltv6-SVXKFrB8Jo_qlO8xT3BlbkFJ0_lGBNPAjz4K5SVjihCcoV-hDiJaEpzQSlfvMPO5eYLBy_AAdX5FClCNRY"

# Variables every test starts without (see conftest.isolated_env).
ISOLATED_VARS = frozenset(
    {
        "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONWARNINGS",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT",
        "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
        "OPENAI_API_KEY", "OPENAI_BASE_URL",
        # Under GitHub Actions chat-doctor adds annotations to stderr and appends to the step
        # summary (doctor.commands.ci): the suite's own CI must not change what each test sees.
        "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY",
    }
)

# The checks judged from the interpreter probe, python.interpreter first (the others wait for it).
PROBED_CHECKS = ("python.interpreter", "python.ssl", "python.urllib3", "python.certs", "packages.openai")

CHAT_DOCTOR = str(Path(sys.executable).with_name("chat-doctor"))


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Dict[str, Any]:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def check(self, check_id: str) -> Dict[str, Any]:
        """The JSON result of one check (requires --json)."""
        for result in self.json["checks"]:
            if result["id"] == check_id:
                return result
        raise KeyError(check_id)


def assert_no_key(run: Run, key: str = CANARY_KEY, piece: int = 12) -> None:
    """Neither the key nor any `piece`-character run of it appears in stdout or stderr."""
    text = run.output
    assert key not in text
    leaked = [key[i:i + piece] for i in range(len(key) - piece + 1) if key[i:i + piece] in text]
    assert not leaked, f"{len(leaked)} piece(s) of the key leaked, e.g. {leaked[0][:3]}…"


def run_cli(args: Sequence[str], env: Optional[Mapping[str, str]] = None) -> Run:
    """In-process through Typer's CliRunner, with the current (isolated) environment plus `env`."""
    from typer.testing import CliRunner

    from doctor.cli import app

    runner = CliRunner()
    result = runner.invoke(app, list(args), env=dict(env or {}), catch_exceptions=False)
    try:
        stderr = result.stderr
    except ValueError:  # older click: stderr not captured separately
        stderr = ""
    return Run(result.exit_code, result.stdout, stderr)


def check_cli(env: Mapping[str, Optional[str]], *args: str) -> Tuple[Run, Dict[str, Dict[str, Any]]]:
    """`check --offline --json` in-process, and its results by check id (a None value unsets a variable)."""
    run = run_cli(["check", "--offline", "--json", *args], env=dict(env))  # type: ignore[arg-type]  # CliRunner unsets None
    return run, {c["id"]: c for c in run.json["checks"]}


def check_endpoint(base_url: str, env: Optional[Mapping[str, str]] = None, *extra: str, timeout: str = "2") -> Run:
    """`check --json` in-process against `base_url` with the canary key; the key must not show."""
    run = run_cli(["check", "--json", "--base-url", base_url, "--timeout", timeout, *extra],
                  env={"OPENAI_API_KEY": CANARY_KEY, **(env or {})})
    assert_no_key(run)
    return run


def run_subprocess(
    args: Sequence[str],
    env: Optional[Mapping[str, str]] = None,
    *,
    executable: str = CHAT_DOCTOR,
    timeout: float = 120,
    cwd: Optional[str] = None,
) -> Run:
    """The installed console script as a real process, with the isolated environment plus `env`."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [executable, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def plan_for(settings: Any) -> Any:
    """A Plan for pure tests: the settings' endpoint, and this interpreter as the target (the
    session resolves both for real; a fact fixture does not need the probe)."""
    from doctor.endpoint import resolve_endpoint
    from doctor.model import Target
    from doctor.plan import Plan

    return Plan(settings=settings, target=Target(python=sys.executable, selected_by="test"),
                endpoint=resolve_endpoint(settings))
