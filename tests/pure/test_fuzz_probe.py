"""Property test of the probe's JSON reader (doctor.probe.facts.InterpreterFacts.from_probe): the
answer comes from whatever program `--python` names, so any JSON-like value, and the probe's own
format with junk anywhere in it, gives facts or ProbeFailed, never another exception."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import example, given

from doctor.probe.facts import InterpreterFacts, ProbeFailed
from tests.support.strategies import PROBE_ANSWERS, PROBE_TEMPLATE


def _with(path: str, value: Any) -> Any:
    answer = copy.deepcopy(PROBE_TEMPLATE)
    *parents, last = path.split(".")
    target = answer
    for key in parents:
        target = target[key]
    target[last] = value
    return answer


@given(PROBE_ANSWERS)
@example(PROBE_TEMPLATE)
# Found by this test: a whole number too large for a float (JSON has no limit) raised OverflowError.
@example(_with("probe_ms", 10**400))
@example(json.loads('{"too_old": false, "interpreter": {"version": "3.12.1"}, "probe_ms": ' + "9" * 400 + "}"))
def test_any_answer_gives_facts_or_probe_failed(answer: Any) -> None:
    try:
        facts = InterpreterFacts.from_probe(answer, wall_ms=1.0)
    except ProbeFailed as failed:
        assert failed.reason and isinstance(failed.reason, str)
        return
    assert isinstance(facts, InterpreterFacts) and facts.python_version
    assert facts.wall_ms == 1.0
    facts.minor  # noqa: B018  # the properties rules read must not fail either
    facts.ssl_version  # noqa: B018
    facts.distribution("openai")


def test_the_template_is_a_valid_answer() -> None:
    facts = InterpreterFacts.from_probe(PROBE_TEMPLATE)
    assert facts.python_version == "3.11.7" and facts.distribution("OpenAI") is not None
    assert facts.urllib3.warnings[0].name == "NotOpenSSLWarning"
