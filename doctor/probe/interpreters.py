"""Choosing the target interpreter and running the stdlib-only probe inside it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from doctor.knowledge.pythons import PROBE_MIN_PYTHON
from doctor.probe.child_io import (  # noqa: F401  # re-exported: doctor.stream.target_process imports them from here
    PROBE_OUTPUT_CAP,
    CappedReader,
    PipeDrain,
    feed_at_once,
    feed_stdin,
    kill_group,
    output_excerpt,
)
from doctor.probe.target_select import (  # noqa: F401  # re-exported: where callers have always found them
    SELECTED_BY_FLAG,
    SELECTED_BY_SELF,
    SELECTED_BY_VENV,
    select_target,
)
from doctor.settings import Settings, UsageError

if TYPE_CHECKING:
    import subprocess

    from doctor.probe.facts import InterpreterFacts

# --- running the probe inside the target ----------------------------------------------

# The answer line starts with this mark; it is assembled at run time so that a target that
# merely echoes its arguments or its input (e.g. /bin/cat) cannot fake an answer.
_MARK_PARTS = ("@@chat-doctor", "-probe@@")
_MARK = "".join(_MARK_PARTS)

# Runs first, in any Python from 2.7 on: a too-old interpreter answers with its version
# instead of failing on the probe's syntax; a supported one reads the probe from stdin.
BOOTSTRAP = r"""
import sys
mark = %r + %r
if sys.version_info < %r:
    import json, platform
    try:
        import ssl
        lib = ssl.OPENSSL_VERSION
    except Exception:
        lib = None
    answer = {"schema": 1, "too_old": True, "python_version": platform.python_version(),
              "version_info": list(sys.version_info[:3]),
              "implementation": platform.python_implementation(),
              "executable": sys.executable, "ssl_version": lib}
    sys.stdout.write("\n" + mark + json.dumps(answer) + "\n")
else:
    namespace = {"__name__": "chat_doctor_probe"}
    exec(compile(sys.stdin.read(), "<chat-doctor probe>", "exec"), namespace)
    namespace["main"](mark)
""" % (*_MARK_PARTS, PROBE_MIN_PYTHON)  # noqa: UP031  # Python source for 2.7: %r keeps its braces plain

# Below this a healthy but cold interpreter (first start after boot, antivirus, network
# home directories) may not answer in time; above it, a hung target delays the report.
PROBE_TIMEOUT_MIN_S = 2.0
PROBE_TIMEOUT_MAX_S = 60.0


def probe_timeout(timeout_s: float) -> float:
    """`--timeout`, bounded so a short network timeout doesn't fail a slow-starting Python."""
    return min(PROBE_TIMEOUT_MAX_S, max(PROBE_TIMEOUT_MIN_S, timeout_s))


def probe_source() -> str:
    # Read beside this module: importlib.resources would import zipfile (~20 ms) before the
    # probe can start (see `prestart`); it stays the way for an install that is not files.
    try:
        return Path(__file__).with_name("target_probe.py").read_text(encoding="ascii")
    except OSError:
        from importlib.resources import files

        return files("doctor.probe").joinpath("target_probe.py").read_text(encoding="ascii")


_SOURCE: list[bytes] = []  # probe_source() encoded, read once per process (`pythons` sends it ten times and more)


def _source_bytes() -> bytes:
    if not _SOURCE:
        _SOURCE.append(probe_source().encode("ascii"))
    return _SOURCE[0]


# Probes launched by `prestart`, keyed by interpreter and environment; taken by run_probe.
_PRESTARTED: dict[tuple, _RunningProbe] = {}


def _prestart_key(python: str, child_env: dict[str, str]) -> tuple:
    return (python, tuple(sorted(child_env.items())))


def prestart(argv: Sequence[str]) -> None:
    """For `chat-doctor check` (and `pythons`: its first probes), launch the probe before the CLI
    framework is even imported.

    Loading typer, pydantic and rich costs a few hundred milliseconds; the probe runs in
    another process meanwhile, so `check --offline` takes about the longer of the two, not
    the sum. The target is chosen exactly as `select_target` will choose it; if anything is
    unclear (a bad --python, --help), nothing is started and the normal path runs. A probe
    that ends up unused is killed at exit.
    """
    import atexit

    args = list(argv[1:])
    if args[:1] == ["pythons"] and not any(a in ("-h", "--help") for a in args):
        from doctor.probe.pythons_prestart import first_candidates  # its first wave of probes, likewise

        pythons_env = target_env(None)
        for python in first_candidates(pythons_env):
            _prestart_one(python, pythons_env, atexit)
    if not args or args[0] != "check" or any(a in ("-h", "--help") for a in args):
        return
    flag = None
    for i, arg in enumerate(args):
        if arg == "--python" and i + 1 < len(args):
            flag = args[i + 1]
        elif arg.startswith("--python="):
            flag = arg.split("=", 1)[1]
    try:
        target = select_target(Settings(python=flag))
    except (UsageError, OSError, ValueError):
        return
    _prestart_one(target.python, target_env(None), atexit)


def _prestart_one(python: str, child_env: dict[str, str], atexit: Any) -> None:
    running = _RunningProbe.start(python, child_env)
    _PRESTARTED[_prestart_key(python, child_env)] = running
    atexit.register(running.abandon)


def is_prestarted(python: str, env: dict[str, str] | None) -> bool:
    """Whether `prestart` launched a probe of `python` in this environment that nobody took yet."""
    return _prestart_key(python, target_env(env)) in _PRESTARTED


def run_probe(python: str, env: dict[str, str] | None, timeout_s: float) -> InterpreterFacts:
    """Run the stdlib-only probe inside `python` and return its facts.

    Raises ProbeFailed (never anything else) when the target is not a Python, crashes,
    hangs past `timeout_s` or prints something that is not a probe answer. A probe that
    `prestart` already launched for the same interpreter and environment is reused.
    """
    child_env = target_env(env)
    running = _PRESTARTED.pop(_prestart_key(python, child_env), None) or _RunningProbe.start(python, child_env)
    return running.finish(probe_timeout(timeout_s))


def target_env(env: dict[str, str] | None) -> dict[str, str]:
    child_env = dict(env if env is not None else os.environ)
    # A macOS framework launcher variable from chat-doctor's own venv would make the
    # target believe it is that venv's interpreter.
    child_env.pop("__PYVENV_LAUNCHER__", None)
    return child_env


class _RunningProbe:
    """The probe process inside the target, from launch to its parsed answer.

    How the target is run, deliberately:
    - plain `python -c BOOTSTRAP`, *not* `-I` or `-E`: isolated mode would drop the user
      site-packages (where macOS CLT Python keeps urllib3: ~/Library/Python/3.9) and
      PYTHONPATH/PYTHONWARNINGS, which are exactly what the user's app sees;
    - with the user's environment (`env`, from Settings) so SSL_CERT_FILE and friends are
      judged as the app would see them;
    - in an empty temporary directory: with `-c`, sys.path[0] is the current directory,
      and a stray urllib3.py/ssl.py there would shadow the real modules (an app started
      as a script has its own directory there instead, not ours);
    - in its own process group, killed whole on timeout, so a wrapper script's children
      do not outlive the check;
    - the probe source is written to stdin as soon as the process starts (at once: it fits
      in the pipe; a thread feeds what does not), so the target works while chat-doctor is
      still starting up (see `prestart`);
    - its stdout and stderr are drained at once by one thread, keeping at most
      PROBE_OUTPUT_CAP bytes of each: past that the group is killed and the probe fails.
    """

    def __init__(self, python: str, proc: subprocess.Popen[bytes] | None, empty_dir: Any, started: float,
                 feeder: Any, error: str | None, pipes: PipeDrain | None = None) -> None:
        self.python, self.proc, self.empty_dir, self.started = python, proc, empty_dir, started
        self.feeder, self.error, self.pipes = feeder, error, pipes

    @classmethod
    def start(cls, python: str, child_env: dict[str, str]) -> _RunningProbe:
        import subprocess
        import tempfile
        import time

        empty_dir = tempfile.TemporaryDirectory(prefix="chat-doctor-probe-")
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(
                [python, "-c", BOOTSTRAP],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=empty_dir.name,
                env=child_env,
                start_new_session=True,
            )
        except OSError as exc:
            empty_dir.cleanup()
            return cls(python, None, None, started, None, f"{python} could not be started: {exc.strerror or exc}")
        feeder = feed_at_once(proc, _source_bytes())
        return cls(python, proc, empty_dir, started, feeder, None, PipeDrain(proc))

    def finish(self, limit: float) -> InterpreterFacts:
        import signal
        import subprocess
        import time

        from doctor.probe.facts import ProbeFailed

        python, proc, pipes = self.python, self.proc, self.pipes
        if proc is None or pipes is None:
            raise ProbeFailed(self.error or f"{python} could not be started")
        deadline = self.started + limit
        try:
            if self.feeder is not None:
                self.feeder.join(timeout=_left(deadline, time))
            pipes.thread.join(timeout=_left(deadline, time))
            if pipes.overflowed:
                kill_group(proc, signal)
                raise ProbeFailed(
                    f"{python} printed more than {PROBE_OUTPUT_CAP // 1024 // 1024} MiB on {pipes.overflowed} "
                    "(killed): the output was too large for a probe answer; it is not a Python or it loops"
                )
            try:
                if pipes.thread.is_alive():
                    raise subprocess.TimeoutExpired(python, limit)
                proc.wait(timeout=max(0.1, _left(deadline, time)))
            except subprocess.TimeoutExpired:
                kill_group(proc, signal)
                raise ProbeFailed(f"{python} did not answer within {limit:g} s (killed); it hangs or is not a Python") from None
            wall_ms = (time.perf_counter() - self.started) * 1000
        finally:
            self.empty_dir.cleanup()
        raw_out, raw_err = pipes.data("stdout"), pipes.data("stderr")
        return _parse_answer(python, proc, raw_out, raw_err, wall_ms)

    def abandon(self) -> None:
        """Kill a prestarted probe nobody asked for (e.g. the command failed on a usage error)."""
        import signal

        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.proc, signal)
        if self.empty_dir is not None:
            self.empty_dir.cleanup()


def _left(deadline: float, time: Any) -> float:
    return max(0.0, deadline - time.perf_counter())


def _parse_answer(python: str, proc: Any, raw_out: bytes, raw_err: bytes, wall_ms: float) -> InterpreterFacts:
    import json

    from doctor.probe.facts import InterpreterFacts, ProbeFailed

    out = raw_out.decode("utf-8", "replace")
    err = raw_err.decode("utf-8", "replace")
    answer_line = next((line for line in out.splitlines() if line.startswith(_MARK)), None)
    if answer_line is None:
        excerpt = output_excerpt(err) or output_excerpt(out)
        if proc.returncode not in (0, None):
            how = f"was killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exited with status {proc.returncode}"
            raise ProbeFailed(f"{python} {how} before answering" + (f": {excerpt}" if excerpt else ""), output=excerpt)
        if not out.strip() and not err.strip():
            raise ProbeFailed(f"{python} exited without printing anything: it is not a Python interpreter")
        raise ProbeFailed(f"{python} printed no probe answer (is it a Python?): {excerpt}", output=excerpt)
    try:
        answer = json.loads(answer_line[len(_MARK):])
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        raise ProbeFailed(f"{python} printed a garbled probe answer", output=output_excerpt(answer_line)) from None
    return InterpreterFacts.from_probe(answer, wall_ms=round(wall_ms, 1))


