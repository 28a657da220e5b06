"""`stream.responses`: the streamed smoke test over the Responses API (`smoke --api responses|both`).

Gathering: the `smoke_responses` fact (doctor.checks.smoke_fact, registered here in FACTS) runs
`client.responses.create(stream=True)` where the app runs (inside the target interpreter through
the runner, else in-process), the same way as stream.chat's requests, and returns a
`ResponsesSmoke` (doctor.stream.responses_events): the runs' summary, TTFT at the first
`response.output_text.delta`, `response.created` timed too, usage from the terminal event, and
per run its event types, sequence numbers and terminal event. The session puts its `to_dict()`
into the report as the `smoke_responses` object.

Judging (pure): the shared verdict over the runs (doctor.checks.smoke_judging), with each run's
problem read in this API's terms and its own warnings (doctor.stream.responses_verdicts): a
server without the API (404/405: a warning under `--api both`, where stream.chat stands beside
it, a failure under `--api responses`), a stream without a terminal event, a failed or error
event, then (warnings) a filtered answer, an otherwise incomplete one, sequence numbers that
skip, a terminal event without usage. A buffered stream's cause is searched as stream.chat's
(the `buffer_cause_responses` fact, retries over this API).

It starts once every earlier check finished (`after_earlier`): under `--api both`, after
stream.chat, so the two runs never compete for the endpoint or the screen.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from doctor.model import CheckResult
from doctor.runner import Check, Context, FactProvider, lazy_provider
from doctor.settings import API_BOTH, SmokeOptions

if TYPE_CHECKING:
    from doctor.knowledge.pip_vendor import PipRefusal
    from doctor.stream.buffer_cause import BufferCause
    from doctor.stream.problems import RunProblem
    from doctor.stream.responses_events import ResponsesSmoke

ID = "stream.responses"
TITLE = "streamed responses"

NEEDS = ("config.api_key", "config.base_url")  # as stream.chat's


@dataclass(frozen=True)
class StreamResponsesFacts:
    smoke: ResponsesSmoke
    beside: Tuple[str, ...]  # the other checks of this run (fixes point at their results)
    python: str  # the interpreter the smoke test ran in: where fixes install
    both: bool  # --api both: stream.chat ran beside it, so a server without this API only warns
    buffer_cause: Optional[BufferCause] = None  # where the buffering is, after a buffered verdict only
    pip: Optional[PipRefusal] = None  # why `python`'s own pip cannot start (its fixes' pip commands)
    socks_unset: Tuple[str, ...] = ()  # the variables holding a SOCKS proxy: pip runs without them


def gather(ctx: Context) -> StreamResponsesFacts:
    beside = tuple(check_id for check_id in ctx.check_ids() if check_id != ID)
    smoke = ctx.fact("smoke_responses")
    options = ctx.settings.smoke or SmokeOptions()
    cause = ctx.fact("buffer_cause_responses") if smoke.summary.buffered else None
    from doctor.checks.smoke_fact import target_pip
    from doctor.net.proxy_env import socks_variables

    return StreamResponsesFacts(smoke=smoke, beside=beside, python=smoke.summary.ran.python or sys.executable,
                                both=options.api == API_BOTH, buffer_cause=cause, pip=target_pip(ctx, smoke.summary.ran),
                                socks_unset=tuple(socks_variables(ctx.settings.env)))


# ============================================================================================
# Judging (pure)
# ============================================================================================


def judge(facts: StreamResponsesFacts) -> CheckResult:
    # Imported here: `check --offline` loads this module for its CHECKS only (start-up, bench.py).
    from doctor.checks.smoke_judging import verdict
    from doctor.stream.responses_events import ResponsesRun
    from doctor.stream.responses_verdicts import run_problem, run_warnings

    summary = facts.smoke.summary
    runs = facts.smoke.runs

    def extra(index: int) -> ResponsesRun:
        return runs[index] if index < len(runs) else ResponsesRun()

    def problem_of(index: int) -> Optional[RunProblem]:
        return run_problem(summary.traces[index], extra(index), summary.metrics[index].problem, facts.both)

    n = len(summary.traces)
    warnings = run_warnings(summary.traces, [extra(i) for i in range(n)])
    data = {"api": "responses", "terminal": [extra(i).terminal for i in range(n)],
            "created_ms": [extra(i).created_ms for i in range(n)]}
    return verdict(ID, summary, facts.python, facts.beside, problem_of=problem_of, warnings=warnings, data=data,
                   buffer_cause=facts.buffer_cause, pip=facts.pip, socks_unset=facts.socks_unset)


CHECKS: Tuple[Check, ...] = (
    Check(ID, TITLE, gather, judge, needs=NEEDS, network=True, after_earlier=True),
)
FACTS: Dict[str, FactProvider] = {
    "smoke_responses": lazy_provider("doctor.checks.smoke_fact", "gather_smoke_responses"),
    "buffer_cause_responses": lazy_provider("doctor.checks.smoke_fact", "gather_buffer_cause_responses"),
}
