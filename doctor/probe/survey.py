"""Probing many interpreters at once: the stdlib probe (doctor.probe.interpreters.run_probe)
inside each candidate, in a bounded pool of threads, all within one deadline.

A candidate that hangs, crashes or answers garbage is a `Probed` with the reason, never an
exception. The deadline is shared: every probe gets what is left of it when its turn comes, so
however many candidates hang the survey ends within the probe timeout (plus at most the
probe's 2 s floor for a probe started just before the end), not one timeout per row.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

from doctor.probe.discovery import Candidate, probe_order
from doctor.probe.facts import InterpreterFacts, ProbeFailed

# Each probe is a short-lived process, its time mostly the interpreter's start-up (part CPU,
# part waiting on exec and the disk). A typical machine has 10-20 candidates (pyenv's Pythons,
# the system's; pyenv shims are read, not probed, unless only running them tells): in one wave
# of 16 the slowest never waits for a free worker, where waves of 8 left a tail (scripts/bench.py
# pythons: 4.6 s against 5.7 s, 19 candidates on 2 cores). The first wave is usually started
# before typer loads (doctor.probe.pythons_prestart). MAX_CANDIDATES and this cap bound a long PATH.
MAX_WORKERS = 16


@dataclass(frozen=True)
class Probed:
    """One candidate after its probe: the facts, or why there are none."""

    candidate: Candidate
    facts: Optional[InterpreterFacts] = None
    failure: Optional[str] = None  # one sentence: ProbeFailed.reason, or why it was not probed
    output: str = ""  # an excerpt of what a failed target printed
    real_executable: str = ""  # the resolved sys.executable it reported (the second dedup's key)


def survey(candidates: Sequence[Candidate], env: Mapping[str, str], limit_s: float,
           workers: int = MAX_WORKERS) -> Tuple[Probed, ...]:
    """Probe every candidate (results in the candidates' order) within `limit_s` seconds in all."""
    deadline = time.monotonic() + limit_s
    child_env = dict(env)
    if not candidates:
        return ()
    from doctor.probe.interpreters import is_prestarted

    if all(is_prestarted(candidate.path, child_env) for candidate in candidates):
        # All running already (doctor.probe.pythons_prestart, the usual case): taking the answers
        # is waiting, in order, no worker needed (nor concurrent.futures, which imports logging).
        # Each started before now, so each probe's own deadline (its start + limit_s) is earlier
        # than the survey's, however long the ones before it took.
        return tuple(_probe_one(candidate, child_env, None, limit_s) for candidate in candidates)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(candidates))),
                            thread_name_prefix="chat-doctor-survey") as pool:
        # Submitted slowest-looking first (doctor.probe.discovery.probe_order), answered in order.
        futures = {candidate: pool.submit(_probe_one, candidate, child_env, deadline, limit_s)
                   for candidate in probe_order(tuple(candidates))}
        return tuple(futures[candidate].result() for candidate in candidates)


def _probe_one(candidate: Candidate, env: dict, deadline: Optional[float], limit_s: float) -> Probed:
    """One candidate's probe within what is left of `deadline`; None: a prestarted probe, whose
    own deadline (its start + limit_s) is the bound."""
    from doctor.probe.interpreters import run_probe

    left = limit_s if deadline is None else deadline - time.monotonic()
    if left <= 0:
        return Probed(candidate, failure=f"not probed: the survey's {limit_s:g} s ran out before its turn")
    try:
        facts = run_probe(candidate.path, env, left)
    except ProbeFailed as exc:
        return Probed(candidate, failure=exc.reason, output=exc.output)
    except Exception as exc:  # noqa: BLE001  # run_probe promises ProbeFailed only; a bug here is one row, not a crash
        return Probed(candidate, failure=f"the probe broke: {type(exc).__name__}: {exc}")
    real = os.path.realpath(facts.executable) if facts.executable else os.path.realpath(candidate.path)
    return Probed(candidate, facts=facts, real_executable=real)
