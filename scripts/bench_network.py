"""`chat-doctor check` against a slow endpoint (scripts/bench.py network).

The local endpoint (`chat-doctor mock-server --scenario slow`, its own process) holds every
response head back by 1 s; `check` makes one API request (GET /models, shared by api.auth and
api.model), so the run cannot take less than the delay. What it adds on top is what comes
before the request leaves and after the answer: for a command line this simple the request
leaves before typer is even imported (doctor.commands.check_early, then
doctor.checks.models_head_start), so typer, rich, the check registry and the checks before
api.auth all run while it waits; the interpreter's own start, the probe's launch and the head
start's gates and urllib3 import still come first. After the answer the process ends with
os._exit once the report is flushed (doctor.process.end), without the ~0.1 s of module
finalisation. Budget: 1.2x the delay.
"""

from __future__ import annotations

import time
from typing import List

from bench_common import CHAT_DOCTOR, KEY, Row, bench_env, ratio_row, wall
from bench_ttft import mock_server

DELAY_MS = 1000
NETWORK_BUDGET = 1.2


def bench_network(runs: int = 7) -> List[Row]:
    with mock_server("--scenario", "slow", "--slow-delay", str(DELAY_MS)) as url:
        env = bench_env(OPENAI_API_KEY=KEY)
        cmd = [CHAT_DOCTOR, "check", "--base-url", url, "--timeout", "10"]
        wall(cmd, env)  # warm-up
        samples = []
        for _ in range(runs):
            samples.append(wall(cmd, env))
            time.sleep(0.05)  # the server's previous connection closes before the next run
    return [ratio_row("network", f"check, /models {DELAY_MS} ms late", samples, "the delay",
                      [DELAY_MS / 1000.0] * len(samples), budget=NETWORK_BUDGET)]
