"""Peak memory (RSS) of chat-doctor's commands (scripts/bench.py memory), beside the
interpreter's own (`python -c pass`) and `python -m requests.help`.

The peak is that of the largest process of the run (the interpreter probe and the smoke test's
runner are processes of their own), as wait4 reports it. No budget: the figure is watched for
growth (the stream bounds cap what a hostile server can make chat-doctor hold).
"""

from __future__ import annotations

import statistics
import sys
from typing import List

from bench_common import CHAT_DOCTOR, KEY, Row, bench_env, peak_rss_mb, value_row
from bench_startup import ensure_requests
from bench_ttft import mock_server


def bench_memory(runs: int = 3) -> List[Row]:
    ensure_requests()
    env = bench_env(OPENAI_API_KEY=KEY)
    py = sys.executable
    reference = statistics.median(peak_rss_mb([py, "-m", "requests.help"], env) for _ in range(runs))
    rows = [value_row("memory", "python -c pass", [peak_rss_mb([py, "-c", "pass"], env) for _ in range(runs)],
                      unit="MB", reference_label="requests.help", reference=reference)]
    commands = {"check --offline": [CHAT_DOCTOR, "check", "--offline"]}
    with mock_server("--first-token-delay", "50", "--token-interval", "2") as url:
        commands["check"] = [CHAT_DOCTOR, "check", "--base-url", url]
        commands["smoke --runs 20"] = [CHAT_DOCTOR, "smoke", "--base-url", url, "--runs", "20"]
        for name, cmd in commands.items():
            values = [peak_rss_mb(cmd, env) for _ in range(runs)]
            rows.append(value_row("memory", name, values, unit="MB", reference_label="requests.help", reference=reference))
    return rows
