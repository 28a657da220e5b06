"""doctor.fix.plan: from the checks' real verdicts on facts fixtures to steps (argument lists)
and the findings left alone, with why."""

from __future__ import annotations

import shlex
from typing import Sequence

from doctor.checks.packages_openai import OpenaiCheckFacts, judge_openai
from doctor.checks.python_urllib3 import Urllib3CheckFacts, judge_urllib3
from doctor.fix.plan import FixPlan, PlanInput, TargetFacts, build_plan
from doctor.knowledge.diagnoses import diagnose
from doctor.model import CheckResult, Fix
from doctor.probe.facts import InterpreterFacts
from tests.support.facts import LIBRESSL, OPENSSL_3, OPENSSL_102, make_facts

VENV = "/home/me/app/.venv/bin/python"
IN_VENV = TargetFacts(VENV, in_venv=True)


def plan_for(probe: InterpreterFacts, *extra: CheckResult, target: TargetFacts = IN_VENV, pin: bool = False) -> FixPlan:
    python = target.python
    results = (judge_urllib3(Urllib3CheckFacts(probe, python)), judge_openai(OpenaiCheckFacts(probe, python)), *extra)
    return build_plan(PlanInput(results, probe, target, pin))


def argvs(plan: FixPlan) -> Sequence[tuple]:
    return [step.argv for step in plan.steps]


OPENAI_OK = [("openai", "1.109.1", ["httpx<1,>=0.23.0"]), ("httpx", "0.28.1", [])]


def test_old_openssl_with_urllib3_2_gets_the_pin_as_an_argument_list() -> None:
    plan = plan_for(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=OPENAI_OK))
    assert argvs(plan) == [(VENV, "-m", "pip", "install", "urllib3<2")]
    (step,) = plan.steps
    assert (step.check_id, step.code) == ("python.urllib3", "urllib3_ssl_import_error")
    assert shlex.split(step.command) == list(step.argv) and "'urllib3<2'" in step.command


def test_nothing_to_do_on_a_good_environment() -> None:
    plan = plan_for(make_facts("3.12.1", OPENSSL_3, "2.6.3", dists=OPENAI_OK))
    assert plan.steps == () and plan.unfixable == () and plan.refusal is None


def test_missing_openai_is_installed_and_the_cap_is_named() -> None:
    plan = plan_for(make_facts("3.9.18", OPENSSL_3))
    assert argvs(plan) == [(VENV, "-m", "pip", "install", "openai")]
    assert "openai 2.48.0 on Python 3.9" in plan.steps[0].why


def test_python_36_gets_no_openai_install() -> None:
    plan = plan_for(make_facts("3.6.15", OPENSSL_3))
    assert plan.steps == ()
    assert [u.code for u in plan.unfixable] == ["openai_missing"]


def test_the_known_broken_pair_upgrades_openai_within_its_major() -> None:
    probe = make_facts("3.12.1", OPENSSL_3, dists=[("openai", "1.55.2", ["httpx<1,>=0.23.0"]), ("httpx", "0.28.1", [])])
    assert argvs(plan_for(probe)) == [(VENV, "-m", "pip", "install", "openai>=1.55.3,<2")]


def test_the_known_broken_pair_on_a_python_capped_below_the_fix_pins_httpx_back() -> None:
    probe = make_facts("3.7.16", OPENSSL_3, dists=[("openai", "1.50.0", ["httpx<1,>=0.23.0"]), ("httpx", "0.28.1", [])])
    assert argvs(plan_for(probe)) == [(VENV, "-m", "pip", "install", "httpx<0.28")]


def test_unmet_requirements_reinstall_the_same_openai() -> None:
    probe = make_facts("3.12.1", OPENSSL_3, dists=[("openai", "1.109.1", ["httpx<1,>=0.23.0", "jiter<1,>=0.4.0"]),
                                                  ("httpx", "0.28.1", [])])
    assert argvs(plan_for(probe)) == [(VENV, "-m", "pip", "install", "openai==1.109.1")]


def test_legacy_openai_is_left_to_the_user_with_the_migration() -> None:
    plan = plan_for(make_facts("3.12.1", OPENSSL_3, dists=[("openai", "0.28.1", [])]))
    assert plan.steps == ()
    (legacy,) = plan.unfixable
    assert legacy.code == "openai_legacy" and "migrate" in legacy.why
    assert any(fix.command == "openai migrate" for fix in legacy.todo)


def test_libressl_warning_is_explained_not_pinned_unless_asked() -> None:
    probe = make_facts("3.9.18", LIBRESSL, "2.6.3", dists=OPENAI_OK, platform="darwin")
    plan = plan_for(probe)
    assert plan.steps == ()
    (warning,) = plan.unfixable
    assert warning.code == "urllib3_ssl_warning" and "--pin-urllib3" in warning.why
    assert any(fix.command and "--pin-urllib3" in fix.command for fix in warning.todo)
    assert argvs(plan_for(probe, pin=True)) == [(VENV, "-m", "pip", "install", "urllib3<2")]


def test_a_pin_that_breaks_a_package_is_refused_naming_it() -> None:
    probe = make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=[*OPENAI_OK, ("needs-v2", "1.0", ["urllib3>=2"])])
    plan = plan_for(probe)
    assert plan.steps == ()
    (refused,) = plan.unfixable
    assert refused.code == "urllib3_ssl_import_error" and "needs-v2 (needs urllib3>=2)" in refused.why


def test_key_url_and_network_findings_are_never_fixed_and_say_what_to_do() -> None:
    key = diagnose("config.api_key", "api_key_missing", "no key", fixes=[Fix("Set OPENAI_API_KEY", "export OPENAI_API_KEY=...")])
    tcp = diagnose("net.tcp", "connection_refused", "refused")
    plan = plan_for(make_facts("3.12.1", OPENSSL_3, "2.6.3", dists=OPENAI_OK), key, tcp)
    assert plan.steps == ()
    assert [(u.check_id, u.code) for u in plan.unfixable] == [("config.api_key", "api_key_missing"),
                                                             ("net.tcp", "connection_refused")]
    assert all("never changes your key" in u.why for u in plan.unfixable)
    assert plan.unfixable[0].todo == (Fix("Set OPENAI_API_KEY", "export OPENAI_API_KEY=..."),)
    assert plan.unfixable[1].todo and plan.unfixable[1].todo[0].text  # the registered fix text


def test_an_externally_managed_interpreter_is_refused_with_venv_commands() -> None:
    target = TargetFacts("/usr/bin/python3", externally_managed="/usr/lib/python3.12/EXTERNALLY-MANAGED")
    plan = plan_for(make_facts("3.12.1", OPENSSL_3), target=target)
    assert plan.steps == ()
    assert plan.refusal is not None and "PEP 668" in plan.refusal
    assert any(fix.command and "/usr/bin/python3 -m venv .venv" in fix.command for fix in plan.refusal_fixes)
    assert [u.code for u in plan.unfixable] == ["openai_missing"]


def test_the_macos_system_python_is_refused_but_a_venv_made_from_it_is_not() -> None:
    system = make_facts("3.9.6", LIBRESSL, "2.0.2", platform="darwin", dists=OPENAI_OK,
                        prefix="/Library/Developer/CommandLineTools/Library/Frameworks/Python3.framework/Versions/3.9")
    system = _with_base(system, system.prefix)
    plan = plan_for(system, target=TargetFacts("/usr/bin/python3"))
    assert plan.steps == () and plan.refusal is not None and "macOS system Python" in plan.refusal
    assert not any("/usr/bin/python3 -m venv" in (f.command or "") for f in plan.refusal_fixes)  # LibreSSL: not that one
    assert any("uv python install" in (f.command or "") for f in plan.refusal_fixes)
    venv = _with_base(make_facts("3.9.6", LIBRESSL, "2.0.2", platform="darwin", dists=OPENAI_OK, is_venv=True,
                                 prefix="/Users/me/app/.venv"), system.prefix)
    assert [s.argv[-1] for s in plan_for(venv).steps] == ["urllib3>=2.0.3"]  # its own site-packages: fixed


def test_a_target_that_cannot_be_asked_changes_nothing() -> None:
    plan = plan_for(make_facts("3.12.1", OPENSSL_3), target=TargetFacts(VENV, error="timed out"))
    assert plan.steps == () and plan.refusal is not None and "timed out" in plan.refusal


def test_no_pip_gets_ensurepip_first() -> None:
    plan = plan_for(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=OPENAI_OK), target=TargetFacts(VENV, in_venv=True, has_pip=False))
    assert argvs(plan) == [(VENV, "-m", "ensurepip"), (VENV, "-m", "pip", "install", "urllib3<2")]


def _with_base(facts: InterpreterFacts, base: str) -> InterpreterFacts:
    import dataclasses

    return dataclasses.replace(facts, base_prefix=base)


PIP_ERROR = ("ImportError: urllib3 v2 only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with "
             "'OpenSSL 1.0.2k-fips  26 Jan 2017'. See: https://github.com/urllib3/urllib3/issues/2168")
WHEEL = "/opt/python/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl"


def test_a_pip_that_vendors_urllib3_2_on_old_openssl_is_repaired_first_with_the_bundled_wheel() -> None:
    target = TargetFacts(VENV, in_venv=True, pip_error=PIP_ERROR, bundled_pip=WHEEL)
    plan = plan_for(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=OPENAI_OK), target=target)
    assert argvs(plan) == [(VENV, WHEEL + "/pip", "install", "pip<26.1"), (VENV, "-m", "pip", "install", "urllib3<2")]
    assert "vendor urllib3 2" in plan.steps[0].why


def test_a_broken_pip_without_a_bundled_wheel_changes_nothing_and_says_why() -> None:
    target = TargetFacts(VENV, in_venv=True, pip_error=PIP_ERROR)
    plan = plan_for(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=OPENAI_OK), target=target)
    assert plan.steps == ()
    (blocked,) = plan.unfixable
    assert blocked.code == "urllib3_ssl_import_error" and "ensurepip" in blocked.why
    assert blocked.summary.startswith("import urllib3 2.6.3 fails")  # the finding's own summary


def test_refused_findings_keep_their_summary_and_point_at_the_refusal_said_once() -> None:
    target = TargetFacts("/usr/bin/python3", externally_managed="/usr/lib/python3.12/EXTERNALLY-MANAGED")
    plan = plan_for(make_facts("3.12.1", OPENSSL_3), target=target)
    (refused,) = plan.unfixable
    assert refused.summary.startswith("openai is not installed") and refused.todo == () and "Refused" in refused.why
    assert [f.command for f in plan.refusal_fixes if f.command] == [
        "/usr/bin/python3 -m venv .venv && .venv/bin/python -m pip install openai && chat-doctor fix --python .venv/bin/python"]
