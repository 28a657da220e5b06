"""`chat-doctor check` against a slow endpoint (scripts/bench.py network).

The local endpoint (`chat-doctor mock-server --scenario slow`, its own process) holds every
response head back by 1 s; `check` makes one API request (GET /models, shared by api.auth and
api.model), so the run cannot take less than the delay. What it adds on top is what comes
before the request leaves and after the answer: for a command line this simple the request
leaves before typer is even imported (doctor.commands.check_early, then
doctor.checks.models_head_start) and before urllib3 is (doctor.net.presend), so urllib3, the
probe's launch, typer, rich, the check registry and the checks before api.auth all run while
it waits; the interpreter's own start and the head start's gates still come first. After the
answer the process ends with os._exit once the report is flushed (doctor.process.end), without
the ~0.1 s of module finalisation. Budget: 1.2x the delay.

Measured as a user has it, like the start-up rows: chat-doctor from a wheel installed into a
throwaway venv (bench_common.installed_venv), not the development venv's editable install,
whose import finder adds ~20 ms before the request.
"""

from __future__ import annotations

import time
from typing import List

from bench_common import KEY, Row, bench_env, installed_venv, ratio_row, wall
from bench_ttft import mock_server

DELAY_MS = 1000
NETWORK_BUDGET = 1.2


def bench_network(runs: int = 7) -> List[Row]:
    with installed_venv() as bin_dir, mock_server("--scenario", "slow", "--slow-delay", str(DELAY_MS)) as url:
        env = bench_env(OPENAI_API_KEY=KEY)
        cmd = [str(bin_dir / "chat-doctor"), "check", "--base-url", url, "--timeout", "10"]
        wall(cmd, env)  # warm-up
        samples = []
        for _ in range(runs):
            samples.append(wall(cmd, env))
            time.sleep(0.05)  # the server's previous connection closes before the next run
    return [ratio_row("network", f"check (wheel install), /models {DELAY_MS} ms late", samples, "the delay",
                      [DELAY_MS / 1000.0] * len(samples), budget=NETWORK_BUDGET)]
