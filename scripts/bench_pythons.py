"""`chat-doctor pythons` against its slowest single probe (scripts/bench.py pythons).

The whole command (a fresh process: discovery, one probe per distinct interpreter, the table)
against the slowest single probe of the same interpreters and all of them one after another,
run in this process and interleaved with the command. Budget: 1.5x the slowest probe.

The candidates are the command's own: discovered in the working directory the command runs in,
so pyenv shims are read as it reads them (one that resolves is its interpreter, probed once;
one the selected version lacks is not probed at all), not run through pyenv's bash.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bench_common import Row, bench_env, installed_venv, ratio_row

PYTHONS_BUDGET = 1.5


def _probe_times(env: Dict[str, str], cpu: Optional[List[float]] = None) -> List[float]:
    """Wall time of each candidate's probe, one after another; with `cpu`, their CPU times too
    (user + system of the probe's whole process tree: a pyenv shim's bash included)."""
    from doctor.probe.discovery import discover
    from doctor.probe.facts import ProbeFailed
    from doctor.probe.interpreters import run_probe
    from doctor.probe.tool_dirs import places_for

    times = []
    for candidate in discover(places_for(env, Path.home(), cwd=Path.cwd())).candidates:
        t0, c0 = time.perf_counter(), _children_cpu()
        try:
            run_probe(candidate.path, env, 10.0)
        except ProbeFailed:
            pass
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(_children_cpu() - c0)
    return times


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall_and_cpu(cmd: List[str], env: Dict[str, str]) -> Tuple[float, float]:
    """Seconds from launch to exit of a fresh `cmd`, and the CPU its process tree used (its own
    and its probes', as they ran in it: wait4 counts the children it waited for)."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(cmd, stdout=devnull, stderr=devnull, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0  # reaped here: Popen must not wait for it again
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def bench_pythons(runs: int = 5) -> List[Row]:
    with installed_venv() as bin_dir:  # as a user has it, like the start-up rows (no editable finder)
        return _bench_pythons([str(bin_dir / "chat-doctor"), "pythons", "--json"], runs)


def _bench_pythons(cmd: List[str], runs: int) -> List[Row]:
    env = bench_env()
    _wall_and_cpu(cmd, env)  # warm-up
    whole, slowest, serial, floor, spread, command_cpu = [], [], [], [], [], []
    cores = os.cpu_count() or 1
    for _ in range(runs):  # interleaved
        took, used = _wall_and_cpu(cmd, env)
        whole.append(took)
        command_cpu.append(used / cores)
        cpu: List[float] = []
        probes = _probe_times(env, cpu)
        slowest.append(max(probes, default=0.0))
        serial.append(sum(probes))
        # No schedule beats this: all the probes' CPU spread over every core.
        spread.append(sum(cpu) / cores)
        floor.append(max(max(probes, default=0.0), spread[-1]))
    found = json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env, check=False).stdout or "{}")
    count = f"{len(found.get('interpreters', []))} rows, {len(_probe_times(env))} candidates"
    return [
        ratio_row("pythons", f"pythons ({count})", whole, "slowest probe", slowest, budget=PYTHONS_BUDGET),
        ratio_row("pythons", "pythons", whole, "probes in series", serial),
        ratio_row("pythons", f"floor: max(slowest, probes' CPU / {cores} cores)", floor, "slowest probe", slowest),
        ratio_row("pythons", f"probes' CPU / {cores} cores", spread, "slowest probe", slowest),
        # The command's whole tree (its own start-up, typer, the table, and its probes as they ran
        # at once): what its wall time cannot go below on this many cores.
        ratio_row("pythons", f"pythons' own + probes' CPU / {cores} cores", command_cpu, "slowest probe", slowest),
    ]
