"""The target's own pip as pure rules (doctor.knowledge.pip_vendor, wording/pip_repair): pip 26.1
and newer vendor urllib3 2, so on a TLS library urllib3 2 refuses the target's `python -m pip
install` fails before it starts; python.urllib3 and packages.openai then say so and prefix every
pip command for that interpreter with the repair (ensurepip's wheel installs pip<26.1). Facts
fixtures from tests/support/facts.py, the pip part set with dataclasses.replace."""

from __future__ import annotations

import copy
import shlex
from dataclasses import replace
from typing import List, Optional

import pytest

from doctor.checks.packages_openai import OpenaiCheckFacts, judge_openai
from doctor.checks.python_urllib3 import Urllib3CheckFacts, judge_urllib3
from doctor.knowledge.pip_vendor import pip_refusal
from doctor.knowledge.wording.pip_repair import guarded
from doctor.model import CheckResult, Fix, Status
from doctor.probe.facts import InterpreterFacts, ProbeFailed
from doctor.probe.pip_facts import PipFacts
from tests.support.facts import LIBRESSL, OPENSSL_3, OPENSSL_102, make_facts
from tests.support.strategies import PROBE_TEMPLATE

PY = "/srv/app/.venv/bin/python"
WHEEL = "/opt/py/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl"
REPAIR = f'PYTHONWARNINGS=ignore {PY} {WHEEL}/pip install "pip<26.1"'
PIP_26_3 = PipFacts("26.3", "/srv/app/.venv/lib/python3.11/site-packages/pip", "2.8.0", WHEEL)
PIP_26_0 = PipFacts("26.0.1", "/srv/app/.venv/lib/python3.11/site-packages/pip", "1.26.20", WHEEL)


def facts(pip: PipFacts, ssl: tuple = OPENSSL_102, urllib3: Optional[str] = "2.6.3", **kw: object) -> InterpreterFacts:
    return replace(make_facts("3.11.7", ssl, urllib3, is_venv=True, prefix="/srv/app/.venv", **kw), pip=pip)


def commands(result: CheckResult) -> List[str]:
    return [f.command for f in result.fixes if f.command]


def pin(result: CheckResult) -> str:
    (found,) = [c for c in commands(result) if '"urllib3<2"' in c]
    return found


def test_pip_26_3_on_openssl_102_cannot_start_and_the_pin_first_restores_a_pip_that_can() -> None:
    result = judge_urllib3(Urllib3CheckFacts(facts(PIP_26_3), PY))
    assert (result.status, result.code) == (Status.FAIL, "urllib3_ssl_import_error")
    assert pin(result) == f'{REPAIR} && {PY} -m pip install "urllib3<2"'
    assert shlex.split(pin(result))[:5] == ["PYTHONWARNINGS=ignore", PY, WHEEL + "/pip", "install", "pip<26.1"]  # one word each, as pasted
    note = next(d for d in result.details if d.startswith("this Python's pip 26.3 cannot install anything"))
    assert "urllib3 2.8.0" in note and "older than OpenSSL 1.1.1" in note and "pip-23.2.1-py3-none-any.whl" in note
    assert result.data["pip"] == {"version": "26.3", "vendored_urllib3": "2.8.0", "cannot_start": True,
                                  "repair_wheel": WHEEL}
    # The interpreter fixes run the new interpreter's pip (or only `pip list`, which still runs): untouched.
    assert sum(REPAIR in c for c in commands(result)) == 1
    assert any(f"{PY} -m pip list --not-required" in c and REPAIR not in c for c in commands(result))


def test_pip_26_0_keeps_the_fixes_as_they_were() -> None:
    result = judge_urllib3(Urllib3CheckFacts(facts(PIP_26_0), PY))
    assert result.code == "urllib3_ssl_import_error"
    assert pin(result) == f'{PY} -m pip install "urllib3<2"'
    assert not any("cannot install anything" in d for d in result.details)
    assert result.data["pip"]["cannot_start"] is False and result.data["pip"]["version"] == "26.0.1"


def test_urllib3_not_installed_yet_the_latent_failure_gets_the_repair_too() -> None:
    result = judge_urllib3(Urllib3CheckFacts(facts(PIP_26_3, urllib3=None), PY))
    assert (result.status, result.code) == (Status.WARN, "urllib3_ssl_import_error")
    assert pin(result).startswith(REPAIR + " && ")


def test_a_pip_whose_vendored_urllib3_was_not_read_is_judged_by_its_version() -> None:
    assert pip_refusal(facts(replace(PIP_26_3, version="26.1", vendored_urllib3=None))) is not None
    assert pip_refusal(facts(replace(PIP_26_0, vendored_urllib3=None))) is None
    assert pip_refusal(facts(PipFacts())) is None  # no pip at all: another finding, not this one


@pytest.mark.parametrize("ssl, actions, refused", [
    (OPENSSL_3, None, False),
    (LIBRESSL, None, False),  # pip's urllib3 2.8.0 only warns on LibreSSL: pip still runs
    (LIBRESSL, {"urllib3 v2.0": "error", "urllib3 v2": "error"}, True),  # PYTHONWARNINGS=error: it raises
])
def test_the_tls_library_and_the_warning_filters_decide(ssl: tuple, actions: Optional[dict], refused: bool) -> None:
    assert (pip_refusal(facts(PIP_26_3, ssl, actions=actions)) is not None) is refused


def test_libressl_under_warnings_as_errors_runs_pip_with_its_warnings_ignored_not_the_bundled_pip() -> None:
    errors = {"urllib3 v2.0": "error", "urllib3 v2": "error"}
    result = judge_urllib3(Urllib3CheckFacts(facts(PIP_26_3, LIBRESSL, urllib3="1.26.20", actions=errors), PY))
    assert result.status is Status.OK  # urllib3 1.26 itself is fine; the note says pip is not
    assert any("runs with PYTHONWARNINGS=ignore" in d for d in result.details)
    broken = judge_urllib3(Urllib3CheckFacts(facts(PIP_26_3, LIBRESSL, urllib3="2.6.3", actions=errors), PY))
    assert pin(broken) == f'PYTHONWARNINGS=ignore {PY} -m pip install "urllib3<2"'
    assert REPAIR not in " ".join(commands(broken))
    assert 'export PYTHONWARNINGS="ignore:urllib3 v2"' in commands(broken)  # the user's own silencing, unchanged


def test_without_a_bundled_wheel_older_than_26_1_the_commands_stay_and_the_details_say_why() -> None:
    for pip in (replace(PIP_26_3, bundled_wheel=None),
                replace(PIP_26_3, bundled_wheel=WHEEL.replace("23.2.1", "26.1"))):  # a bundled 26.1 is refused too
        result = judge_urllib3(Urllib3CheckFacts(facts(pip), PY))
        assert pin(result) == f'{PY} -m pip install "urllib3<2"'
        assert any("carries no pip wheel older than 26.1" in d for d in result.details)
        assert result.data["pip"] == {"version": "26.3", "vendored_urllib3": "2.8.0", "cannot_start": True,
                                      "repair_wheel": None}


def test_a_path_with_spaces_is_quoted_in_the_repair() -> None:
    spaced = "/Users/me/My Apps/.venv/bin/python"
    wheel = "/Library/Frameworks/Python 3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl"
    result = judge_urllib3(Urllib3CheckFacts(facts(replace(PIP_26_3, bundled_wheel=wheel)), spaced))
    assert shlex.split(pin(result)) == ["PYTHONWARNINGS=ignore", spaced, wheel + "/pip", "install", "pip<26.1", "&&",
                                        spaced, "-m", "pip", "install", "urllib3<2"]


def test_only_commands_that_run_this_interpreters_pip_are_guarded() -> None:
    refusal = pip_refusal(facts(PIP_26_3))
    fixes = [Fix("a", f"{PY} -m pip install -U openai"), Fix("b", f"{PY} -m pip --no-cache-dir uninstall -y x"),
             Fix("c", f"{PY} -m pip list --format=freeze | sed 's/==.*//' > x.txt"),
             Fix("d", "/other/bin/python -m pip install openai"), Fix("e", "openai migrate"), Fix("f")]
    out = guarded(fixes, PY, refusal)
    assert [f.command.startswith(REPAIR + " && ") if f.command else None for f in out] == \
        [True, True, False, False, False, None]
    assert out[0].text.startswith("a (after restoring a working pip first")
    assert guarded(fixes, PY, None) == fixes


def test_packages_openai_missing_and_its_other_pip_fixes_get_the_repair() -> None:
    missing = judge_openai(OpenaiCheckFacts(facts(PIP_26_3, urllib3=None), PY))
    assert missing.code == "openai_missing"
    assert commands(missing) == [f"{REPAIR} && {PY} -m pip install openai"]
    assert any("cannot install anything" in d for d in missing.details)
    assert missing.data["pip"]["cannot_start"] is True
    legacy = judge_openai(OpenaiCheckFacts(facts(PIP_26_3, dists=[("openai", "0.28.1", [])]), PY))
    assert legacy.code == "openai_legacy"
    assert commands(legacy) == [f"{REPAIR} && {PY} -m pip install -U openai", "openai migrate"]
    fine = judge_openai(OpenaiCheckFacts(facts(PIP_26_0, urllib3=None), PY))
    assert commands(fine) == [f"{PY} -m pip install openai"]


def test_the_probe_answer_carries_the_pip_section_and_a_wrong_shape_is_refused() -> None:
    answer = copy.deepcopy(PROBE_TEMPLATE)
    assert InterpreterFacts.from_probe(answer).pip == PipFacts()  # an older probe's answer: no pip section
    answer["pip"] = {"version": "26.3", "location": "/x/pip", "vendored_urllib3": "2.8.0", "bundled_wheel": WHEEL}
    assert InterpreterFacts.from_probe(answer).pip == PipFacts("26.3", "/x/pip", "2.8.0", WHEEL)
    answer["pip"] = {"error": "OSError: boom"}  # a section that raised in the probe
    assert InterpreterFacts.from_probe(answer).pip == PipFacts()
    answer["pip"] = {"version": 26}
    with pytest.raises(ProbeFailed, match=r"pip\.version"):
        InterpreterFacts.from_probe(answer)
