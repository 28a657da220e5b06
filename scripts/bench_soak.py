"""Soak: does one chat-doctor process keep its resources steady over many streamed runs?

    .venv/bin/python scripts/bench_soak.py          # 200 runs
    .venv/bin/python scripts/bench_soak.py 500      # any number

One child process runs `chat-doctor smoke --runs N --json --quiet` against the local endpoint
(doctor.mock, `ok` scenario, in this process on 127.0.0.1). `smoke` takes at most
doctor.settings.MAX_RUNS (100) runs, so a larger N runs the same command again in the same
process (the CLI's own entry, doctor.process.run, once per batch): a leak then shows across
batches as well as within one. Meanwhile this process samples the child every few milliseconds:
open file descriptors (/proc/PID/fd), threads (/proc/PID/status Threads) and resident memory
(VmRSS), each sample tagged with the number of chat requests the endpoint had received then.

The figures compare the samples taken during the first 10% of the runs with those of the last
10%: the smallest fd and thread counts of each window, what stays open between runs (a leak adds
one per run or per batch and raises that floor; the largest count is whichever run's watchdog
thread or socket a sample happened to catch), and the median RSS of each. Linux only (/proc).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from doctor.mock.server import MockOptions, MockServer  # noqa: E402  # after the path set-up above
from doctor.settings import MAX_RUNS  # noqa: E402  # after the path set-up above

SAMPLE_S = 0.005
KEY = "sk-soak-0123456789abcdefghijklmn"  # the endpoint accepts any key; no real one is needed

# The child: the CLI's own entry once per batch, in one process (see the module docstring).
_DRIVER = """
import sys
from doctor import process
from doctor.cli import app
from doctor.probe.interpreters import prestart
codes = []
for n in sys.argv[2:]:
    codes.append(process.run(app, ["chat-doctor", "smoke", "--base-url", sys.argv[1], "--runs", n, "--json",
                                   "--quiet", "--timeout", "10"], before=prestart))
sys.stderr.write("\\nexit codes: %s\\n" % codes)
sys.exit(max(codes))
"""


def _batches(runs: int) -> List[int]:
    full, rest = divmod(runs, MAX_RUNS)
    return [MAX_RUNS] * full + ([rest] if rest else [])


def _sample(pid: int) -> Optional[Tuple[int, int, int]]:
    """(open fds, threads, RSS in KiB) of `pid`, or None once it has gone."""
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if "Threads" not in fields or "VmRSS" not in fields:
        return None  # a zombie: it has exited
    return fds, int(fields["Threads"]), int(fields["VmRSS"].split()[0])


def _chat_requests(server: MockServer) -> int:
    """The runs' requests. A buffering-cause retry (Accept-Encoding: identity, doctor.stream.
    buffer_cause) is not a run: a loaded machine can read an "ok" stream in one burst."""
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions")
               and r.accept_encoding != "identity")


def _documents(text: str) -> List[Dict[str, Any]]:
    """The JSON reports printed one after another (one per batch)."""
    decoder, at = json.JSONDecoder(), 0
    docs: List[Dict[str, Any]] = []
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return docs
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)


def bench_soak(runs: int = 200) -> Dict[str, Any]:
    """Run the soak (see the module docstring) and return its figures:

    runs, batches, seconds, failed_runs (runs whose report has an error), exit_code,
    fds / threads: {"first": min in the first 10%, "last": min in the last 10%, "growth": last - first},
    rss_kib: {"first": median, "last": median, "growth", "growth_pct"}, samples.
    """
    if not Path("/proc/self/fd").is_dir():
        raise RuntimeError("bench_soak needs Linux's /proc")
    if runs < 10:
        raise ValueError("at least 10 runs, so that 10% of them is a run")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
    env.update({"OPENAI_API_KEY": KEY, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)})
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(name, None)  # loopback only, never through a proxy
    samples: List[Tuple[int, int, int, int]] = []  # (chat requests so far, fds, threads, rss)
    with MockServer(MockOptions(scenario="ok")) as server, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", _DRIVER, server.base_url, *map(str, _batches(runs))],
                                 stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir())
        try:
            # Bounded: 200 runs take about 20 s on a quiet 2-core machine; 2 s a run is a hang.
            deadline = started + 60 + 2.0 * runs
            while child.poll() is None:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"the soak did not finish within {deadline - started:.0f} s")
                sample = _sample(child.pid)
                if sample is not None:
                    samples.append((_chat_requests(server), *sample))
                time.sleep(SAMPLE_S)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        reports, stderr = _documents(out.read()), err.read()
        sent = _chat_requests(server)
    runs_seen = [run for doc in reports for run in (doc.get("smoke") or {}).get("runs", [])]
    if sent != runs or len(runs_seen) != runs:
        raise RuntimeError(f"expected {runs} runs, the endpoint saw {sent} and the reports hold {len(runs_seen)}:\n{stderr[-2000:]}")
    return {
        "runs": runs,
        "batches": len(_batches(runs)),
        "seconds": round(seconds, 1),
        "exit_code": child.returncode,
        "failed_runs": sum(1 for run in runs_seen if run.get("error")),
        **_windows(samples, runs),
        "samples": len(samples),
    }


def _windows(samples: List[Tuple[int, int, int, int]], runs: int) -> Dict[str, Dict[str, float]]:
    """The first-10% and last-10% figures. The first window starts at the first request: before
    it the process is still importing, and that growth is start-up, not a leak."""
    tenth = max(1, runs // 10)
    first = [s for s in samples if 1 <= s[0] <= tenth]
    last = [s for s in samples if s[0] >= runs - tenth]
    if not first or not last:
        raise RuntimeError(f"too few samples to compare ({len(first)} in the first 10%, {len(last)} in the last)")
    figures: Dict[str, Dict[str, float]] = {}
    for index, name in ((1, "fds"), (2, "threads")):
        a, b = min(s[index] for s in first), min(s[index] for s in last)
        figures[name] = {"first": a, "last": b, "growth": b - a}
    rss_a, rss_b = statistics.median(s[3] for s in first), statistics.median(s[3] for s in last)
    figures["rss_kib"] = {"first": rss_a, "last": rss_b, "growth": rss_b - rss_a,
                          "growth_pct": round(100.0 * (rss_b - rss_a) / rss_a, 1)}
    return figures


def main(argv: List[str]) -> int:
    runs = int(argv[0]) if argv else 200
    figures = bench_soak(runs)
    print(f"soak: {figures['runs']} runs in {figures['batches']} batch(es) of `smoke`, one process, {figures['seconds']} s, "
          f"{figures['failed_runs']} failed, exit {figures['exit_code']}, {figures['samples']} samples")
    for name in ("fds", "threads", "rss_kib"):
        f = figures[name]
        extra = f" ({f['growth_pct']:+.1f}%)" if "growth_pct" in f else ""
        print(f"  {name:8} first 10%: {f['first']:>8}   last 10%: {f['last']:>8}   growth: {f['growth']:+}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
