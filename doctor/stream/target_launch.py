"""Running the streamed smoke test inside the TARGET interpreter (doctor/stream/target_runner.py).

`run_in_target(python, job, ...)` starts `python -c BOOTSTRAP` the way the interpreter probe is
started (doctor.probe.interpreters: the user's environment, an empty working directory, its own
process group, stdout and stderr drained by capped readers that kill the group on a flood), feeds
it the job and the runner's sources on stdin, reads its events as they arrive (so the reply
prints live) and kills it at the deadline. The key travels only in the environment variable
KEY_VARIABLE; the proxy (the route fact's) and the CA material (the trust fact's) travel in the
job, so the target's client is built from what was checked, with trust_env off, as in-process.

The answer is a `LaunchResult`: which interpreter and SDK ran, the runs as StreamTraces, or why
it could not run: `fallback` (Python < 3.8, no openai, openai < 1.0: run the in-process path and
say so) or `failure` (the client could not be built; the runner crashed, hung, flooded its
output or printed garbage). Everything from the runner has passed the run's Redactor.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Callable, Dict, Mapping, Optional, Tuple

from doctor.knowledge.wording import target_run as say
from doctor.redact import Redactor
from doctor.stream import budget
from doctor.stream import trace as t
from doctor.stream.target_events import Collector, RunPrinter, TargetRun, TargetSetup, setup_failure
from doctor.stream.target_process import RunnerProcess
from doctor.stream.target_runner import sources

if TYPE_CHECKING:
    from doctor.net.trust import TrustSpec

KEY_VARIABLE = "CHAT_DOCTOR_RUNNER_KEY"
API_CHAT = "chat"
API_RESPONSES = "responses"
# Interpreter start, `import openai` (hundreds of ms on a cold disk) and the warm-up, before the
# first request's own budget begins: as doctor.session's _SDK_SETUP_S.
STARTUP_S = 20.0
# What the runner may print (doctor.stream.target_runner's events): per attempt, a line of at most
# this many bytes per chunk without its text, the text JSON-escaped (up to 6 bytes a character,
# one event may hold EVENT_BYTES of it), the read times; past the sum it is flooding.
CHUNK_LINE_BYTES = 512
OUTPUT_SLACK = 1024 * 1024
OUTPUT_CEILING = 512 * 1024 * 1024
STDERR_CAP = 1024 * 1024
WAIT_AFTER_DONE_S = 2.0  # a runner that said `done` and does not exit is killed after this

@dataclass(frozen=True)
class RunnerJob:
    """What to ask, and how, as stream.chat decides it (StreamRequest + ClientConfig's fields)."""

    base_url: str
    model: str
    prompt: str
    max_tokens: int
    timeout_s: float
    runs: int = 1
    api: str = API_CHAT
    limit_field: Optional[str] = None  # None: max_completion_tokens (doctor.stream.sdk.limit_field_for)
    include_usage: bool = True
    kind: str = "openai"  # "openai", "azure", "compatible"
    api_version: Optional[str] = None
    deployment: Optional[str] = None
    organization: Optional[str] = None
    project: Optional[str] = None
    ad_token: bool = False  # the key is an Entra ID token (AZURE_OPENAI_AD_TOKEN)
    allow_http: bool = False  # the key may go over plain http (the key-travel rule said so)
    warm_up: bool = True
    extra_headers: Optional[Dict[str, str]] = None  # sent with each request (doctor.stream.buffer_cause)

    def bounds(self) -> dict:
        """doctor.stream.budget's numbers for this job, enforced inside the runner."""
        b = budget.Budget(self.timeout_s, self.max_tokens)
        return {"timeout_s": b.timeout_s, "read_timeout_s": b.read_timeout_s, "headers_s": b.headers_s,
                "stall_s": b.stall_s, "run_s": b.run_s,
                "event_bytes": budget.EVENT_BYTES, "reply_bytes": budget.REPLY_BYTES, "total_bytes": budget.TOTAL_BYTES,
                "events": b.event_bound, "tokens": b.token_bound, "chars": b.char_bound, "attempts": budget.MAX_ATTEMPTS}


@dataclass(frozen=True)
class LaunchResult:
    python: str  # the interpreter asked to run it
    setup: Optional[TargetSetup] = None  # None: it never said (too old, not a Python, crashed first)
    warmup_ms: Optional[float] = None
    runs: Tuple[TargetRun, ...] = ()
    fallback: Optional[str] = None  # why the in-process path must run instead (say it in the report)
    failure: Optional[t.StreamFailure] = None  # why it did not finish (with the runs it did)
    problem: Optional[str] = None  # PROBLEMS: what kind of trouble, for tests and the integration
    # no_openai: what `import openai` raised. Whether that is a fallback (not installed) or a broken
    # SDK (installed, but it cannot be imported) is the integration's call: it knows the probe's answer.
    import_error: Optional[t.StreamFailure] = None
    stderr: str = ""  # an excerpt of the runner's stderr, redacted

    @property
    def traces(self) -> Tuple[t.StreamTrace, ...]:
        return tuple(run.trace for run in self.runs)


PROBLEMS = ("too_old_python", "no_openai", "old_openai", "setup_failed", "withheld", "not_started", "hung",
            "flooded", "crashed", "garbage", "internal_error")


def deadline_s(job: RunnerJob) -> float:
    """The session's smoke bound for this job, plus the target's start-up."""
    return STARTUP_S + budget.smoke_bound_s(job.timeout_s, job.max_tokens, job.runs)


def output_cap(job: RunnerJob) -> int:
    b = job.bounds()
    attempt = (b["events"] * CHUNK_LINE_BYTES + 6 * (b["chars"] + budget.EVENT_BYTES) + 16 * 1024 + OUTPUT_SLACK)
    return min(OUTPUT_CEILING, OUTPUT_SLACK + max(1, job.runs) * budget.MAX_ATTEMPTS * attempt)


def max_lines(job: RunnerJob) -> int:
    """Events the runner can write: per attempt its chunks and a dozen others, plus setup and done."""
    return 64 + max(1, job.runs) * budget.MAX_ATTEMPTS * (job.bounds()["events"] + 16)


def payload(job: RunnerJob, proxy_url: Optional[str], trust: Optional[TrustSpec]) -> bytes:
    fields = asdict(job)
    fields.update(bounds=job.bounds(), key_variable=KEY_VARIABLE, proxy_url=proxy_url or None,
                  trust=None if trust is None else {"cafile": trust.cafile, "capath": trust.capath,
                                                    "os_store": trust.os_store, "strict": trust.strict})
    return json.dumps({"job": fields, "sources": sources()}).encode("utf-8")


def run_in_target(
    python: str,
    job: RunnerJob,
    *,
    env: Mapping[str, str],
    key: Optional[str],
    redactor: Redactor,
    proxy_url: Optional[str] = None,
    trust: Optional[TrustSpec] = None,
    deadline: Optional[float] = None,
    printer: Optional[Callable[[int], RunPrinter]] = None,
) -> LaunchResult:
    """Run `job` in `python` (see the module docstring); never raises for what the target does."""
    limit_s = deadline if deadline is not None else deadline_s(job)
    collector = Collector(job.model, job.max_tokens, job.kind, redactor, printer, key)
    started = time.monotonic()
    process = RunnerProcess.start(python, env, key, KEY_VARIABLE, payload(job, proxy_url, trust), output_cap(job), STDERR_CAP,
                                  max_lines(job))
    if process.error is not None:
        return LaunchResult(python, problem="not_started", failure=_trouble(redactor.text(say.not_started(python, process.error))))
    ended = process.pump(collector.line, lambda: collector.done, started + limit_s, WAIT_AFTER_DONE_S)
    collector.finish()
    stderr = redactor.text(process.stderr_excerpt())
    return _result(python, collector, process, ended, limit_s, stderr, redactor)


def _result(python: str, collector: Collector, process: RunnerProcess, ended: str, limit_s: float, stderr: str,
            redactor: Redactor) -> LaunchResult:
    """What happened, first reason first: a fallback, a setup failure, then how the process ended."""
    own = sys.executable
    base = LaunchResult(python, setup=collector.setup, warmup_ms=collector.warmup_ms, runs=tuple(collector.runs), stderr=stderr)

    def trouble(problem: str, message: str) -> LaunchResult:
        return replace(base, problem=problem, failure=_trouble(redactor.text(message), bool(base.runs)))

    if collector.too_old is not None:
        return LaunchResult(python, problem="too_old_python",
                            fallback=say.fallback_too_old_python(python, str(collector.too_old.get("python")), own))
    failed = collector.setup_failed
    if failed is not None:
        reason, exception, message = failed.get("reason"), str(failed.get("exception")), str(failed.get("message") or "")
        if reason == "no_openai":
            return replace(base, problem="no_openai", import_error=setup_failure(failed),
                           fallback=say.fallback_no_openai(python, exception, redactor.text(message)[:300], own))
        if reason == "openai_too_old":
            return replace(base, problem="old_openai", fallback=say.fallback_old_openai(python, message, own))
        if reason == "withheld":
            return replace(base, problem="withheld", failure=t.StreamFailure(
                kind=t.ERR_WITHHELD, phase=t.PHASE_SETUP, message=say.withheld(), exception="withheld"))
        return replace(base, problem="setup_failed", failure=setup_failure(failed))
    if ended == "flooded":
        if process.flooded_stream == "lines":
            return trouble("flooded", say.flooded_lines(python, process.flood_cap))
        return trouble("flooded", say.flooded(python, process.flooded_stream, process.flood_cap))
    if ended == "hung":
        return trouble("hung", say.hung(python, limit_s))
    if collector.internal_error is not None:
        error = collector.internal_error
        return trouble("internal_error", say.internal_error(python, str(error.get("exception")), str(error.get("message"))))
    if not collector.done:
        if collector.events == 0 and process.returncode == 0:
            return trouble("garbage", say.garbage(python, collector.garbage or stderr))
        return trouble("crashed", say.crashed(python, process.returncode or 0, stderr or collector.garbage or ""))
    return base


def _trouble(message: str, ran: bool = False) -> t.StreamFailure:
    """A runner that did not finish, as a failure the stream analysis reports like any other."""
    from doctor.words import shorten

    return t.StreamFailure(kind=t.ERR_RUNNER, phase=t.PHASE_STREAM if ran else t.PHASE_SETUP,
                           message=shorten(message, 400), exception="runner")
