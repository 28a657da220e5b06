"""What every figure of scripts/bench.py shares: the row it becomes, interleaved sampling, the table.

A figure is a ratio to a reference measured in the same run: the machines that run this are
shared and noisy, so the two sides are sampled alternately (A, B, A, B, ...) and compared by
their medians; min..max is the spread of the pairwise ratios (A_i / B_i), so a reader sees how
much the load moved them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHAT_DOCTOR = str(BIN / "chat-doctor")
KEY = "sk-bench-0000000000000000"  # what the local endpoint accepts; not a secret


@dataclass(frozen=True)
class Row:
    """One line of the table. `ratio` is value / reference; low..high the spread (of the pairwise
    ratios when there is a reference, of the values otherwise); `ok` None: no budget."""

    group: str
    what: str
    value: float
    unit: str
    reference_label: str = ""
    reference: Optional[float] = None
    ratio: Optional[float] = None
    low: Optional[float] = None
    high: Optional[float] = None
    budget: str = ""
    ok: Optional[bool] = None
    spread: str = "value"  # "ratio": low..high are pairwise ratios; "value": the values' range


def bench_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # every side may use cached bytecode, as users do
    env.update(NO_COLOR="1", **extra)
    return env


def wall(cmd: Sequence[str], env: Mapping[str, str]) -> float:
    """Seconds from launch to exit of a fresh process."""
    t0 = time.perf_counter()
    subprocess.run(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(env), check=False)
    return time.perf_counter() - t0


# Linux keeps a process's peak RSS across execve, so a command started straight from this
# process (tens of MB once the SDK is loaded) would report this process's peak. A small launcher
# (`python -S`, a few MB: the floor, shown by the `python -c pass` row) forks the command afresh
# and reports the wait4 peak of its tree: the command's own and its waited-for children's.
_LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[1], sys.argv[1:])\n"
    "_, _, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write('peak_kib=%d\\n' % usage.ru_maxrss)\n"
)


def peak_rss_mb(cmd: Sequence[str], env: Mapping[str, str]) -> float:
    """Peak resident set of the largest process of `cmd`'s tree, in MB (Linux reports KiB)."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=dict(env), check=False, text=True)
    line = [text for text in done.stderr.splitlines() if text.startswith("peak_kib=")]
    return int(line[-1].split("=", 1)[1]) / 1024.0 if line else float("nan")


@contextmanager
def installed_venv() -> Iterator[Path]:
    """A throwaway venv with chat-doctor installed from a wheel of this tree; yields its bin/.

    What a user runs (scripts/bench_startup.py, scripts/bench_network.py): a development venv's
    editable install adds an import finder (~20 ms) to every start that no installed copy has."""
    with tempfile.TemporaryDirectory(prefix="chat-doctor-bench-") as tmp:
        venv, wheels = Path(tmp) / "venv", Path(tmp) / "wheels"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", *map(str, wheels.glob("*.whl"))],
                       check=True)
        # Only now: pip must not see this venv's (editable) chat-doctor through the .pth and skip the wheel.
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        (Path(purelib) / "_bench_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        yield venv / "bin"


def interleaved(commands: Mapping[str, Sequence[str]], runs: int, env: Mapping[str, str]) -> Dict[str, List[float]]:
    """Wall times of each command, `runs` rounds of one run each, after one warm-up round (it
    writes bytecode and fills the page cache, for every side alike)."""
    for cmd in commands.values():
        wall(cmd, env)
    samples: Dict[str, List[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(wall(cmd, env))
    return samples


def ratio_row(group: str, what: str, values: Sequence[float], reference_label: str, references: Sequence[float], *,
              unit: str = "ms", scale: float = 1000.0, budget: Optional[float] = None, goal: Optional[float] = None) -> Row:
    """A figure as median(values) / median(references); `budget` the largest ratio that passes."""
    value, reference = statistics.median(values), statistics.median(references)
    pairs = [v / r for v, r in zip(values, references) if r > 0]
    ratio = value / reference if reference > 0 else float("inf")
    text = "" if budget is None else f"<= {budget:g}x" + (f" (goal {goal:g}x)" if goal is not None else "")
    return Row(group, what, value * scale, unit, reference_label, reference * scale, ratio,
               min(pairs, default=None), max(pairs, default=None), text, None if budget is None else ratio <= budget,
               spread="ratio")


def value_row(group: str, what: str, values: Sequence[float], *, unit: str, reference_label: str = "",
              reference: Optional[float] = None, budget: Optional[float] = None, budget_text: str = "") -> Row:
    """A figure judged by its own median (an error in ms, a size); `budget` its largest passing value."""
    value = statistics.median(values)
    ratio = value / reference if reference else None
    text = budget_text or ("" if budget is None else f"<= {budget:g} {unit}")
    return Row(group, what, value, unit, reference_label, reference, ratio, min(values), max(values), text,
               None if budget is None else value <= budget)


def _number(value: Optional[float], unit: str = "") -> str:
    if value is None:
        return "-"
    digits = 0 if abs(value) >= 100 or (unit in ("ms", "MB") and abs(value) >= 10) else 1
    return f"{value:.{digits}f}{' ' + unit if unit else ''}"


def render(rows: Sequence[Row]) -> str:
    """The table: what, value, reference, ratio, min..max, budget, result."""
    head = ("figure", "value", "reference", "ratio", "min..max", "budget", "result")
    lines = []
    for row in rows:
        spread = "-" if row.low is None or row.high is None else (
            f"{row.low:.2f}..{row.high:.2f}x" if row.spread == "ratio"
            else f"{_number(row.low)}..{_number(row.high)}")
        reference = f"{row.reference_label} {_number(row.reference, row.unit)}".strip() if row.reference_label else "-"
        lines.append((f"{row.group}: {row.what}", _number(row.value, row.unit), reference,
                      "-" if row.ratio is None else f"{row.ratio:.2f}x", spread, row.budget or "-",
                      "-" if row.ok is None else ("pass" if row.ok else "MISS")))
    widths = [max(len(str(line[i])) for line in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(str(cell).ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [head, *lines]]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def machine() -> Dict[str, object]:
    return {"python": sys.version.split()[0], "cpus": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "platform": sys.platform}


def as_json(rows: Sequence[Row]) -> str:
    return json.dumps({"machine": machine(), "rows": [asdict(r) for r in rows],
                       "missed": [f"{r.group}: {r.what}" for r in rows if r.ok is False]}, indent=2)
