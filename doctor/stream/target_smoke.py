"""Where the smoke test runs, and the target runner's answer as the smoke fact's pieces. Pure.

The streamed request runs where the app runs: inside the target interpreter when the probe says it
can (Python >= 3.8 and openai >= 1.0: doctor.stream.target_launch's runner), in-process when the
target is chat-doctor's own interpreter (the same SDK, without a second start), and otherwise in
chat-doctor's own interpreter with the reason (`Where.fallback`, a note of the report). The
launcher's `LaunchResult` becomes stream traces the analysis reads like in-process ones: a client
the target's SDK cannot build is a broken SDK (stream_sdk_broken, not a fall-back), a runner that
did not finish a failure of kind ERR_RUNNER (smoke_runner_failed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional, Tuple

from doctor.knowledge.wording import target_run as say
from doctor.stream import trace as t

if TYPE_CHECKING:
    from doctor.probe.facts import InterpreterFacts
    from doctor.stream.target_launch import LaunchResult

# What a client that cannot be built raised when the SDK itself is at fault, not the configuration
# (a missing key is an OpenAIError, an Azure endpoint without api-version a ValueError): httpx 0.28's
# TypeError on `proxies`, a dependency missing or broken.
SDK_FAULTS = ("TypeError", "ImportError", "ModuleNotFoundError", "AttributeError", "NameError", "SyntaxError")


@dataclass(frozen=True)
class Where:
    """Where the smoke test runs: in the target through the runner, or in-process (`fallback`: why
    not in the target; None: chat-doctor's own interpreter is the target)."""

    in_target: bool
    fallback: Optional[str] = None
    openai: Optional[str] = None  # the target's openai release as installed (its metadata)


def where_to_run(python: str, facts: Optional[InterpreterFacts], probe_error: Optional[str], own: str,
                 own_prefix: str) -> Where:
    """Decide from the probe's answer (`facts`, or why there is none) and chat-doctor's own interpreter."""
    from packaging.version import InvalidVersion, Version

    if python == own:
        return Where(in_target=False)
    if facts is None:
        return Where(in_target=False, fallback=say.fallback_not_probed(python, probe_error or "no answer", own))
    if facts.prefix == own_prefix and facts.executable and os.path.realpath(facts.executable) == os.path.realpath(own):
        return Where(in_target=False)  # another path to this very interpreter
    if facts.too_old or facts.minor < say.RUNNER_MIN_PYTHON:
        return Where(in_target=False, fallback=say.fallback_too_old_python(python, facts.python_version, own))
    dist = facts.distribution("openai")
    if dist is None:
        return Where(in_target=False, fallback=say.fallback_not_installed(python, own))
    try:
        too_old = Version(dist.version).major < say.RUNNER_MIN_OPENAI
    except InvalidVersion:
        too_old = False  # the runner reads the imported module's own version and says
    if too_old:
        return Where(in_target=False, fallback=say.fallback_old_openai(python, dist.version, own))
    return Where(in_target=True, openai=dist.version)


@dataclass(frozen=True)
class TargetOutcome:
    """The runner's answer in the smoke fact's terms (`fallback` set: run in-process instead)."""

    traces: Tuple[t.StreamTrace, ...] = ()
    sdk: str = "openai (unknown)"
    http: Optional[str] = None
    python_version: Optional[str] = None
    warmup_ms: Optional[float] = None
    fallback: Optional[str] = None


def outcome(result: LaunchResult, model: str, max_tokens: int, kind: str, installed: Optional[str]) -> TargetOutcome:
    """Read the launcher's `result`; `installed` is the probe's openai release (an SDK that is
    installed but cannot be imported is broken, not absent)."""
    setup = result.setup
    sdk = setup.sdk if setup is not None and setup.openai else (f"openai {installed}" if installed else "openai (unknown)")
    base = TargetOutcome(sdk=sdk, http=setup.http if setup is not None else None,
                         python_version=setup.python_version if setup is not None else None, warmup_ms=result.warmup_ms)
    if result.problem == "no_openai" and installed and result.import_error is not None:
        return replace(base, traces=(_failed(model, sdk, max_tokens, kind, broken(result.import_error)),))
    if result.fallback is not None:
        return replace(base, fallback=result.fallback)
    traces = result.traces
    failure = result.failure
    if failure is not None:
        if result.problem == "setup_failed":
            failure = broken(failure)
        traces = (*traces, _failed(model, sdk, max_tokens, kind, failure))
    return replace(base, traces=tuple(traces))


def broken(failure: t.StreamFailure) -> t.StreamFailure:
    """A client the target could not build: the SDK's own fault (SDK_FAULTS) is ERR_SDK_BROKEN; the
    rest (no key, SOCKS without socksio) stays a setup failure, read as in-process."""
    if failure.exception in SDK_FAULTS and "socks" not in failure.message.lower():
        return replace(failure, kind=t.ERR_SDK_BROKEN, phase=t.PHASE_SETUP)
    return failure


def _failed(model: str, sdk: str, max_tokens: int, kind: str, failure: t.StreamFailure) -> t.StreamTrace:
    return t.StreamTrace(model=model, sdk=sdk, failure=failure, max_tokens=max_tokens, endpoint_kind=kind)
