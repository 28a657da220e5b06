"""Running commands in the target: argument lists (never a shell), bounded in time and memory.

Each command runs in its own process group, so a timeout or Ctrl-C stops it and everything it
started (pip's build backends) at once. Its output is drained as it comes, only the last
`keep` bytes are kept, and it is scrubbed before anyone sees it: the target's environment
holds the API key, and a package's build may echo it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence

from doctor.fix.plan import Step

# A pip install on a slow machine and a cold cache; past this a step is stopped and failed.
STEP_TIMEOUT_S = 900.0
# The tail of a step's output kept for the report (pip's error is at the end).
KEEP_BYTES = 16 * 1024
# What a step shows of its output when it fails.
TAIL_LINES = 12

# pip asks nothing and says nothing about itself: the fix's output is about the fix.
# PYTHONWARNINGS=ignore: a user's `error` filter (kept for their app and for the re-check) would
# make pip's own warnings fatal: pip 26.1+'s vendored urllib3 on LibreSSL, and the bundled pip
# 23.2.1 that repairs it on its pkg_resources DeprecationWarning (tests/machine/test_fix_cli.py).
_PIP_ENV = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONWARNINGS": "ignore"}


@dataclass(frozen=True)
class Ran:
    """How one command ended."""

    returncode: Optional[int]  # None: it did not start, or was stopped at the timeout
    output: str  # the last KEEP_BYTES of stdout and stderr together, scrubbed
    seconds: float
    timed_out: bool = False
    error: Optional[str] = None  # why it could not start

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = TAIL_LINES) -> List[str]:
        return [line for line in self.output.splitlines() if line.strip()][-lines:]


@dataclass(frozen=True)
class StepOutcome:
    step: Step
    ran: Ran

    def to_dict(self) -> Dict[str, Any]:
        return {**self.step.to_dict(), "exit_code": self.ran.returncode, "ok": self.ran.ok,
                "timed_out": self.ran.timed_out, "seconds": round(self.ran.seconds, 2),
                "error": self.ran.error, "output_tail": self.ran.tail()}


def run_bounded(argv: Sequence[str], env: Mapping[str, str], timeout_s: float, scrub: Callable[[str], str],
                keep: int = KEEP_BYTES) -> Ran:
    """Run `argv` (no shell) with `env`; stop its process group past `timeout_s`."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=dict(env), start_new_session=True)
    except OSError as exc:
        return Ran(None, "", time.monotonic() - started, error=scrub(f"{type(exc).__name__}: {exc}"))
    tail: Deque[bytes] = deque()
    reader = threading.Thread(target=_drain, args=(proc, tail, keep), name="fix step output", daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.wait()
    finally:
        if proc.poll() is None:  # Ctrl-C (KeyboardInterrupt) while it ran: stop it, then re-raise
            _kill_group(proc)
            proc.wait()
    reader.join(timeout=5)
    output = scrub(b"".join(tail).decode("utf-8", "replace"))
    return Ran(None if timed_out else proc.returncode, output, time.monotonic() - started, timed_out=timed_out)


def _drain(proc: subprocess.Popen[bytes], tail: Deque[bytes], keep: int) -> None:
    size = 0
    stream = proc.stdout
    if stream is None:
        return
    try:
        while True:
            chunk = stream.read1(64 * 1024) if hasattr(stream, "read1") else stream.read(64 * 1024)
            if not chunk:
                return
            tail.append(chunk)
            size += len(chunk)
            while size > keep and len(tail) > 1:
                size -= len(tail.popleft())
            if size > keep:  # one chunk larger than what is kept: keep its end
                tail[0] = tail[0][-keep:]
                size = len(tail[0])
    except (OSError, ValueError):
        return
    finally:
        stream.close()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def step_env(env: Mapping[str, str]) -> Dict[str, str]:
    """The user's environment (their index, proxy and certificate settings are what pip must
    use), pip quietened; VIRTUAL_ENV dropped so it cannot point pip at another environment."""
    result = {k: v for k, v in env.items() if k not in ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__")}
    result.update(_PIP_ENV)
    return result


def apply_steps(steps: Sequence[Step], env: Mapping[str, str], scrub: Callable[[str], str],
                on_start: Callable[[int, Step], None] = lambda _i, _s: None,
                on_done: Callable[[int, StepOutcome], None] = lambda _i, _o: None,
                timeout_s: float = STEP_TIMEOUT_S) -> List[StepOutcome]:
    """Run the steps in order; stop at the first that fails (a later one may rely on it)."""
    outcomes: List[StepOutcome] = []
    child_env = step_env(env)
    for index, step in enumerate(steps, 1):
        on_start(index, step)
        outcome = StepOutcome(step, run_bounded(step.argv, child_env, timeout_s, scrub))
        outcomes.append(outcome)
        on_done(index, outcome)
        if not outcome.ran.ok:
            break
    return outcomes
