"""chat-doctor's performance figures, each as a ratio to a reference measured in the same run.

    .venv/bin/python scripts/bench.py            # everything
    .venv/bin/python scripts/bench.py startup    # only the start-up figure

startup: cold wall time of `chat-doctor check --offline` (a fresh process each time, the
         interpreter probe included) against `python -m requests.help`, the stdlib-plus-
         requests environment dump every Python user knows. Budget: 2.5x.
pythons: wall time of `chat-doctor pythons --json` (a fresh process: discovery, the probes
         eight at a time, the table) against the slowest single probe of the same
         interpreters and against all of them one after another, in this process. Budget:
         half the serial time (each probe is CPU-bound start-up, so on a 2-core machine the
         slowest probe alone is out of reach once there are more probes than cores).
ttft:    accuracy of the reported time to first token against injected delays, against a
         raw-socket client (the floor) and a naive first-chunk timer; per-chunk overhead
         (scripts/bench_ttft.py).

Figures are medians of interleaved runs, so a busy machine slows both sides alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_BUDGET = 2.5
PYTHONS_BUDGET = 0.5  # of the probes run in series


def _wall(cmd: Sequence[str], env: Dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - t0


def _ensure_requests() -> None:
    try:
        import requests  # noqa: F401  # only whether it imports
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "requests"], check=True)


def bench_startup(runs: int = 15) -> Dict[str, float]:
    _ensure_requests()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both sides may use cached bytecode, as users do
    env["NO_COLOR"] = "1"
    candidates: Dict[str, List[str]] = {
        "python -m requests.help": [sys.executable, "-m", "requests.help"],
        "chat-doctor check --offline": [str(BIN / "chat-doctor"), "check", "--offline"],
        "chat-doctor --version": [str(BIN / "chat-doctor"), "--version"],
    }
    for cmd in candidates.values():  # warm-up: write bytecode, fill the OS page cache
        _wall(cmd, env)
    samples: Dict[str, List[float]] = {name: [] for name in candidates}
    for _ in range(runs):
        for name, cmd in candidates.items():  # interleaved, so drift hits all alike
            samples[name].append(_wall(cmd, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def report_startup() -> bool:
    medians = bench_startup()
    reference = medians["python -m requests.help"]
    print("startup (median wall time of a fresh process, interleaved runs)")
    print(f"  {'command':32} {'ms':>8} {'ratio':>7}")
    for name, seconds in medians.items():
        print(f"  {name:32} {seconds * 1000:8.0f} {seconds / reference:6.2f}x")
    ratio = medians["chat-doctor check --offline"] / reference
    within = ratio <= STARTUP_BUDGET
    print(f"  check --offline is {ratio:.2f}x requests.help (budget {STARTUP_BUDGET}x): {'ok' if within else 'OVER BUDGET'}")
    return within


def bench_pythons(runs: int = 5) -> Dict[str, float]:
    """Medians of: the whole command, its slowest single probe, and all probes run serially."""
    import json

    from doctor.probe.discovery import discover
    from doctor.probe.facts import ProbeFailed
    from doctor.probe.interpreters import run_probe
    from doctor.probe.tool_dirs import places_for

    env = dict(os.environ, NO_COLOR="1")
    cmd = [str(BIN / "chat-doctor"), "pythons", "--json"]
    candidates = discover(places_for(env, Path.home())).candidates
    _wall(cmd, env)  # warm-up
    samples: Dict[str, List[float]] = {"pythons": [], "slowest probe": [], "probes in series": []}
    for _ in range(runs):  # interleaved, so drift hits all alike
        samples["pythons"].append(_wall(cmd, env))
        probes = []
        for candidate in candidates:
            t0 = time.perf_counter()
            try:
                run_probe(candidate.path, env, 10.0)
            except ProbeFailed:
                pass
            probes.append(time.perf_counter() - t0)
        samples["slowest probe"].append(max(probes, default=0.0))
        samples["probes in series"].append(sum(probes))
    found = json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env, check=False).stdout or "{}")
    medians = {name: statistics.median(values) for name, values in samples.items()}
    medians["interpreters"] = float(len(found.get("interpreters", [])))
    medians["candidates"] = float(len(candidates))
    return medians


def report_pythons() -> bool:
    medians = bench_pythons()
    reference = medians["slowest probe"] or 1e-9
    print(f"pythons ({medians['candidates']:.0f} candidates, {medians['interpreters']:.0f} rows; medians of interleaved runs)")
    print(f"  {'measure':32} {'ms':>8} {'ratio':>7}")
    for name in ("pythons", "slowest probe", "probes in series"):
        print(f"  {name:32} {medians[name] * 1000:8.0f} {medians[name] / reference:6.2f}x")
    ratio = medians["pythons"] / (medians["probes in series"] or 1e-9)
    within = ratio <= PYTHONS_BUDGET
    print(f"  pythons is {medians['pythons'] / reference:.2f}x its slowest probe and {ratio:.2f}x the probes in series "
          f"(budget {PYTHONS_BUDGET}x): {'ok' if within else 'OVER BUDGET'}")
    return within


def report_ttft() -> bool:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import bench_ttft
    except ImportError:
        print("ttft: scripts/bench_ttft.py not found")
        return False
    return bool(bench_ttft.main())


SECTIONS: Dict[str, Callable[[], bool]] = {"startup": report_startup, "pythons": report_pythons, "ttft": report_ttft}


def main(argv: Sequence[str]) -> int:
    chosen = list(argv) or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    results = []
    for name in chosen:
        results.append(SECTIONS[name]())
        print()
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
