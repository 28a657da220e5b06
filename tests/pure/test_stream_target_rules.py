"""Where the smoke test runs (doctor.stream.target_smoke.where_to_run), the target runner's answer
as stream traces (outcome), and stream.chat's verdicts on them: a broken target SDK
(stream_sdk_broken, with commands for the target), a runner that did not finish
(smoke_runner_failed), and the line and data naming the interpreter and SDK that ran it.
"""

from __future__ import annotations

import shlex
from typing import Optional, Tuple

import pytest

from doctor.checks import stream_chat
from doctor.model import CheckResult, Status
from doctor.probe.facts import InterpreterFacts
from doctor.stream import figures
from doctor.stream import trace as t
from doctor.stream.target_events import TargetRun, TargetSetup
from doctor.stream.target_launch import LaunchResult
from doctor.stream.target_smoke import outcome, where_to_run
from tests.support.facts import make_facts

OWN, OWN_PREFIX = "/opt/chat-doctor/bin/python", "/opt/chat-doctor"
APP = "/home/me/app env/.venv/bin/python"  # a space: the fixes must quote it
PROXIES = "Client.__init__() got an unexpected keyword argument 'proxies'"


def facts(version: str = "3.11.7", openai: Optional[str] = "1.109.1", **options: str) -> InterpreterFacts:
    dists = [("openai", openai, [])] if openai else []
    return make_facts(version, dists=dists, executable=options.get("executable", APP),
                      prefix=options.get("prefix", "/home/me/app env/.venv"))


# --- where it runs ----------------------------------------------------------------------------


def test_a_target_with_python_3_8_and_openai_1_runs_it() -> None:
    where = where_to_run(APP, facts("3.8.18", "1.0.0"), None, OWN, OWN_PREFIX)
    assert (where.in_target, where.fallback, where.openai) == (True, None, "1.0.0")


@pytest.mark.parametrize(
    "version, openai, words",
    [
        ("3.7.16", "1.109.1", f"{APP} is Python 3.7.16, older than the 3.8 the smoke test needs there"),
        ("3.12.1", None, f"openai is not installed in {APP}"),
        ("3.11.7", "0.28.1", f"{APP} has openai 0.28.1, older than the 1.0"),
    ],
)
def test_a_target_that_cannot_run_it_falls_back_and_says_why(version: str, openai: Optional[str], words: str) -> None:
    where = where_to_run(APP, facts(version, openai), None, OWN, OWN_PREFIX)
    assert not where.in_target and where.fallback is not None
    assert words in where.fallback and f"chat-doctor's own interpreter ({OWN})" in where.fallback


def test_a_target_that_could_not_be_probed_falls_back_and_says_why() -> None:
    where = where_to_run(APP, None, "the target printed garbage", OWN, OWN_PREFIX)
    assert not where.in_target
    assert where.fallback == (f"{APP} could not be inspected (the target printed garbage): the smoke test ran in "
                              f"chat-doctor's own interpreter ({OWN}), not the target")


@pytest.mark.parametrize("python, probed", [(OWN, None), ("/opt/chat-doctor/bin/python3", facts(executable=OWN, prefix=OWN_PREFIX))])
def test_chat_doctors_own_interpreter_as_the_target_runs_it_in_process_with_no_note(python: str,
                                                                                   probed: Optional[InterpreterFacts]) -> None:
    assert where_to_run(python, probed, None, OWN, OWN_PREFIX) == where_to_run(OWN, None, None, OWN, OWN_PREFIX)
    assert where_to_run(python, probed, None, OWN, OWN_PREFIX).fallback is None


# --- the runner's answer ------------------------------------------------------------------------

SETUP = TargetSetup(python_version="3.11.7", executable=APP, openai="1.30.0", http="httpx 0.28.1")


def setup_failed(exception: str, message: str) -> LaunchResult:
    failure = t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, message=message, exception=exception)
    return LaunchResult(APP, setup=SETUP, problem="setup_failed", failure=failure)


def judged(result: LaunchResult, installed: Optional[str] = "1.30.0") -> Tuple[figures.SmokeSummary, CheckResult]:
    got = outcome(result, "gpt-4o-mini", 64, "openai", installed)
    ran = figures.RanWith(python=result.python, python_version=got.python_version, http=got.http)
    summary = figures.summarise(got.traces, model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk=got.sdk, ran=ran)
    return summary, stream_chat.judge(stream_chat.StreamChatFacts(smoke=summary, beside=(), python=APP))


def test_the_proxies_type_error_is_a_broken_sdk_with_the_upgrade_and_the_pin() -> None:
    summary, result = judged(setup_failed("TypeError", PROXIES))
    assert (result.code, result.status) == ("stream_sdk_broken", Status.FAIL)
    assert result.summary == f"the target's openai SDK cannot build a client: TypeError: {PROXIES}"
    assert [fix.command for fix in result.fixes] == [
        f"{shlex.quote(APP)} -m pip install -U 'openai>=1.55.3'", f"{shlex.quote(APP)} -m pip install 'httpx<0.28'"]
    assert f"ran in the target, {APP} (Python 3.11.7): openai 1.30.0 with httpx 0.28.1" in result.details
    assert summary.to_dict()["sdk"] == "openai 1.30.0" and summary.to_dict()["http"] == "httpx 0.28.1"


def test_an_sdk_that_cannot_be_imported_though_installed_is_broken_not_absent() -> None:
    error = t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, exception="ModuleNotFoundError",
                            message="No module named 'httpx'")
    setup = TargetSetup(python_version="3.11.7", executable=APP)
    result = LaunchResult(APP, setup=setup, problem="no_openai", import_error=error, fallback="ran in chat-doctor's own")
    _, verdict = judged(result, installed="1.55.3")
    assert (verdict.code, verdict.status) == ("stream_sdk_broken", Status.FAIL)
    assert [fix.command for fix in verdict.fixes] == [f"{shlex.quote(APP)} -m pip install --force-reinstall openai==1.55.3"]
    # Not installed at all (the probe saw no openai): the launcher's fall-back stands.
    assert outcome(result, "m", 64, "openai", None).fallback == "ran in chat-doctor's own"


@pytest.mark.parametrize("exception, message, code", [
    ("OpenAIError", "The api_key client option must be set", "stream_client_setup"),  # configuration, as in-process
    ("ImportError", "Using SOCKS proxy, but the 'socksio' package is not installed.", "proxy_socks_unsupported"),
])
def test_a_client_the_configuration_prevents_reads_as_in_process(exception: str, message: str, code: str) -> None:
    _, result = judged(setup_failed(exception, message))
    assert (result.code, result.status) == (code, Status.FAIL)


def test_a_runner_that_did_not_finish_is_smoke_runner_failed_after_the_runs_it_completed() -> None:
    done = t.StreamTrace(model="gpt-4o-mini", sdk="openai 1.30.0", status=200, content_type="text/event-stream",
                         headers_ms=10.0, end_ms=50.0, finish_reason="stop",
                         chunks=(t.Chunk(20.0, 20.1, t.CONTENT, 5),))
    failure = t.StreamFailure(kind=t.ERR_RUNNER, phase=t.PHASE_STREAM, exception="runner",
                              message=f"the smoke test in {APP} was killed by signal 9 before it finished")
    result = LaunchResult(APP, setup=SETUP, runs=(TargetRun(trace=done),), problem="crashed", failure=failure)
    summary, verdict = judged(result)
    assert (verdict.code, verdict.status) == ("smoke_runner_failed", Status.FAIL)
    assert verdict.summary == f"run 2/2: the smoke test in {APP} was killed by signal 9 before it finished"
    assert len(summary.traces) == 2 and summary.metrics[0].problem is None


def test_a_finished_run_names_the_target_in_the_data_and_the_details() -> None:
    done = t.StreamTrace(model="gpt-4o-mini", sdk="openai 1.30.0", status=200, content_type="text/event-stream",
                         headers_ms=10.0, end_ms=50.0, finish_reason="stop", completion_tokens=1, chunks=(t.Chunk(20.0, 20.1, t.CONTENT, 5),))
    summary, verdict = judged(LaunchResult(APP, setup=SETUP, runs=(TargetRun(trace=done),)))
    assert verdict.status is Status.OK
    assert (verdict.data["python"], verdict.data["http"], verdict.data["ran_in"]) == (APP, "httpx 0.28.1", "target")
    document = summary.to_dict()
    assert (document["python"], document["python_version"], document["ran_in"], document["fallback"]) == (
        APP, "3.11.7", "target", None)


def test_a_fallback_says_so_in_the_details_and_the_data() -> None:
    note = f"openai is not installed in {APP}: the smoke test ran in chat-doctor's own interpreter ({OWN}) instead"
    ran = figures.RanWith(python=OWN, python_version="3.12.1", http="httpx2 2.16.2", fallback=note)
    done = t.StreamTrace(model="gpt-4o-mini", sdk="openai 3.57.0", status=200, content_type="text/event-stream",
                         headers_ms=10.0, end_ms=50.0, finish_reason="stop", chunks=(t.Chunk(20.0, 20.1, t.CONTENT, 5),))
    summary = figures.summarise([done], model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk="openai 3.57.0",
                                notes=(note,), ran=ran)
    verdict = stream_chat.judge(stream_chat.StreamChatFacts(smoke=summary, beside=(), python=OWN))
    assert note in verdict.details
    assert f"ran in chat-doctor's own interpreter, {OWN} (Python 3.12.1): openai 3.57.0 with httpx2 2.16.2" in verdict.details
    assert verdict.data["ran_in"] == "chat-doctor" and summary.to_dict()["fallback"] == note
