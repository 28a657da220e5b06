"""`stream.chat`: the streamed chat smoke test (`smoke`, `check --smoke`).

Gathering: the `smoke` fact (doctor.checks.smoke_fact, registered here in FACTS) runs the
streamed request(s) inside the target interpreter when it can (else in chat-doctor's own, and
says so) along the route and with the trust the checks decided, and returns a `SmokeSummary`
(doctor.stream.figures); the session puts its `to_dict()` into the report as the `smoke` object.
Streamed text goes to `ctx.live` (set by the presenter: stdout, stderr under --json, or
nowhere): the check itself never prints.

Judging (pure, doctor.checks.smoke_judging, which stream.responses shares): the first failed
run's problem (doctor.stream.problems), else the TTFT threshold, else an ignored token limit,
else buffering (with its cause, doctor.stream.buffer_cause), then a filtered reply or a missing
usage chunk (warnings, doctor.stream.integrity), else ok. Details always carry the timings (shown with -v or on
a problem). The words are in doctor.knowledge.wording.stream. It runs under `--api chat` (the
default) and `--api both` (doctor.session selects it).

The check starts only once every check printed before it has finished (`after_earlier`): their
result lines then never land in the middle of the streamed reply, and their network probes do
not compete with the timed request on a small machine.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from doctor.model import CheckResult
from doctor.runner import Check, Context, FactProvider, lazy_provider

if TYPE_CHECKING:
    from doctor.knowledge.pip_vendor import PipRefusal
    from doctor.stream.buffer_cause import BufferCause
    from doctor.stream.figures import SmokeSummary

ID = "stream.chat"
TITLE = "streamed chat"

# Every check the smoke test must be able to rely on; checks not in this run are ignored.
NEEDS = ("config.api_key", "config.base_url")


@dataclass(frozen=True)
class StreamChatFacts:
    smoke: SmokeSummary
    # The other checks of this run: a fix points at their results rather than at a command
    # the user is already running.
    beside: Tuple[str, ...]
    python: str  # the interpreter the smoke test ran in (the target, or chat-doctor's own): where fixes install
    buffer_cause: Optional[BufferCause] = None  # where the buffering is, after a buffered verdict only
    net_ms: Tuple[Tuple[str, float], ...] = ()  # DNS/TCP/TLS of the net checks of this run, for the -v ladder
    pip: Optional[PipRefusal] = None  # why `python`'s own pip cannot start (its fixes' pip commands)
    socks_unset: Tuple[str, ...] = ()  # the variables holding a SOCKS proxy: pip runs without them


def gather(ctx: Context) -> StreamChatFacts:
    beside = tuple(check_id for check_id in ctx.check_ids() if check_id != ID)
    smoke = ctx.fact("smoke")
    cause = ctx.fact("buffer_cause") if smoke.buffered else None
    from doctor.checks.smoke_fact import target_pip
    from doctor.net.proxy_env import socks_variables

    return StreamChatFacts(smoke=smoke, beside=beside, python=smoke.ran.python or sys.executable, buffer_cause=cause,
                           net_ms=_net_timings(ctx, beside), pip=target_pip(ctx, smoke.ran),
                           socks_unset=tuple(socks_variables(ctx.settings.env)))


def _net_timings(ctx: Context, beside: Tuple[str, ...]) -> Tuple[Tuple[str, float], ...]:
    """The phase times net.tcp and net.tls measured, when they ran (they finished: after_earlier)."""
    found: Dict[str, float] = {}
    for check_id in ("net.tcp", "net.tls"):
        result = ctx.result(check_id) if check_id in beside else None
        timings = result.data.get("timings_ms") if result is not None else None
        if isinstance(timings, dict):
            found.update((k, float(v)) for k, v in timings.items() if isinstance(v, (int, float)))
    return tuple(found.items())


# ============================================================================================
# Judging (pure): doctor.checks.smoke_judging, shared with stream.responses
# ============================================================================================


def judge(facts: StreamChatFacts) -> CheckResult:
    # Imported here: `check --offline` loads this module for its CHECKS only (start-up, bench.py).
    from doctor.checks.smoke_judging import verdict
    from doctor.stream import integrity

    found = integrity.warning_finding(facts.smoke.traces)  # a filtered reply, or no usage chunk
    return verdict(ID, facts.smoke, facts.python, facts.beside, warnings=(found,) if found else (),
                   buffer_cause=facts.buffer_cause, data={"net_ms": dict(facts.net_ms)}, pip=facts.pip,
                   socks_unset=facts.socks_unset)


def __getattr__(name: str) -> Any:
    # check_data (the -v table's data) is read by tests beside the judge; loaded when asked for.
    if name == "check_data":
        from doctor.checks.smoke_judging import check_data

        return check_data
    raise AttributeError(name)


CHECKS: Tuple[Check, ...] = (
    Check(ID, TITLE, gather, judge, needs=NEEDS, network=True, after_earlier=True),
)
FACTS: Dict[str, FactProvider] = {"smoke": lazy_provider("doctor.checks.smoke_fact", "gather_smoke"),
                                  "buffer_cause": lazy_provider("doctor.checks.smoke_fact", "gather_buffer_cause")}
