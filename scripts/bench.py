"""chat-doctor's performance figures, one table, each a ratio to a reference measured in the same run.

    .venv/bin/python scripts/bench.py                  # every figure, one table (several minutes)
    .venv/bin/python scripts/bench.py startup pythons  # only these row groups
    .venv/bin/python scripts/bench.py --json           # the rows for machines
    .venv/bin/python scripts/bench.py --runs 5         # fewer samples per figure

Row groups (scripts/bench_<module>.py each):
  startup  check --offline vs python -m requests.help and python -c pass; --help and --version
           vs python -c "import typer", and what they import            (bench_startup)
  network  check against an endpoint whose /models answers 1 s late, vs that delay (bench_network)
  ttft     TTFT error at D = 50, 300, 1000 ms, chat completions and Responses, vs the raw-socket
           floor, beside a naive first-chunk timer                     (bench_stream, bench_ttft,
           bench_responses)
  chunks   per-chunk client cost on a fast stream vs a raw socket and the bare SDK (bench_stream)
  redact   the live reply's redaction of a key streamed back at it, per character, vs prose
                                                                        (bench_redact)
  pythons  pythons vs its slowest single probe                         (bench_pythons)
  memory   peak RSS of check --offline, check, smoke --runs 20          (bench_memory)
  soak     `smoke --runs 200` in one process: fds, threads and RSS, first vs last 10% (bench_soak.py)

Samples are interleaved (A, B, A, B, ...) and compared by medians, so a busy machine slows both
sides alike; min..max is the spread of the pairwise ratios. Exit 1 when a budget is missed
(for running by hand in CI; .ci/run does not run it), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench_* modules beside this one
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # doctor, when run from anywhere

from bench_common import Row, as_json, render  # after the path is set

Section = Callable[[Optional[int]], List[Row]]


def _startup(runs: Optional[int]) -> List[Row]:
    from bench_startup import bench_startup

    return bench_startup(runs or 15)


def _network(runs: Optional[int]) -> List[Row]:
    from bench_network import bench_network

    return bench_network(runs or 7)


def _ttft(runs: Optional[int]) -> List[Row]:
    from bench_stream import bench_ttft_rows

    return bench_ttft_rows(runs or 10)


def _chunks(runs: Optional[int]) -> List[Row]:
    from bench_stream import bench_chunk_rows

    return bench_chunk_rows(runs or 5)


def _pythons(runs: Optional[int]) -> List[Row]:
    from bench_pythons import bench_pythons

    return bench_pythons(runs or 5)


def _memory(runs: Optional[int]) -> List[Row]:
    from bench_memory import bench_memory

    return bench_memory(runs or 3)


def _redact(runs: Optional[int]) -> List[Row]:
    from bench_redact import bench_redact

    return bench_redact(runs or 3)


SOAK_RSS_GROWTH_MIB = 8.0  # as tests/machine/test_soak.py: a leaked client per run would be 10 MiB and more


def _soak(runs: Optional[int]) -> List[Row]:
    """`smoke` run 200 times in one process (scripts/bench_soak.py): open fds and threads must not
    grow between the first and the last 10% of the runs, resident memory by at most 8 MiB."""
    import bench_soak

    f = bench_soak.bench_soak(runs if runs and runs >= 10 else 200)  # --runs (samples) below 10 is no soak
    label = f"{f['runs']} runs, {f['seconds']:.0f} s"
    rows = [Row("soak", f"failed runs ({label})", float(f["failed_runs"]), "", budget="0", ok=f["failed_runs"] == 0)]
    for name, unit in (("fds", "fds"), ("threads", "threads")):
        one = f[name]
        rows.append(Row("soak", f"open {name}: last 10% vs first 10%", float(one["last"]), unit,
                        reference_label="first 10%", reference=float(one["first"]),
                        ratio=one["last"] / one["first"] if one["first"] else None, budget="no growth",
                        ok=one["growth"] <= 0))
    rss = f["rss_kib"]
    growth_mib = rss["growth"] / 1024
    rows.append(Row("soak", "RSS: last 10% vs first 10% (median)", round(rss["last"] / 1024, 1), "MB",
                    reference_label="first 10%", reference=rss["first"] / 1024,
                    ratio=rss["last"] / rss["first"], budget=f"growth <= {SOAK_RSS_GROWTH_MIB:.0f} MiB "
                    f"(was {growth_mib:+.1f})", ok=growth_mib <= SOAK_RSS_GROWTH_MIB))
    return rows


# The row groups in table order. A new figure is one entry here and one bench_<name>.py.
SECTIONS: Dict[str, Section] = {
    "startup": _startup,
    "network": _network,
    "ttft": _ttft,
    "chunks": _chunks,
    "redact": _redact,
    "pythons": _pythons,
    "memory": _memory,
    "soak": _soak,
}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"row groups: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of the table")
    parser.add_argument("--runs", type=int, default=None, help="samples per figure (default: each section's own)")
    args = parser.parse_args(list(argv))
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    rows: List[Row] = []
    for name in args.sections or list(SECTIONS):
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        rows.extend(SECTIONS[name](args.runs))
    print(as_json(rows) if args.json else render(rows))
    return 1 if any(row.ok is False for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
