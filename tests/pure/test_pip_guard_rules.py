"""The pip guard (doctor.knowledge.wording.pip_repair.guarded) on the fixes outside python.urllib3 and
packages.openai that print a pip command for the target: python.certs (certifi), config.proxy
(socksio) and the smoke test's stream.chat / stream.responses (SOCKS extra, openai upgrades and
reinstalls). Each fix gets the repair when the probe's pip facts say the target's pip is refused
(pip 26.3 on OpenSSL 1.0.2k; LibreSSL under PYTHONWARNINGS=error), and stays as it was otherwise
(pip 26.0.1; a smoke test that ran in chat-doctor's own interpreter). Facts fixtures only."""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any, Dict, List, Optional

import pytest

from doctor.checks import smoke_fact, stream_chat, stream_responses
from doctor.checks.config_proxy import ProxyFacts
from doctor.checks.config_proxy import gather as gather_proxy
from doctor.checks.config_proxy import judge as judge_proxy
from doctor.checks.python_certs import CertsCheckFacts, judge_certs
from doctor.endpoint import EndpointConfig, endpoint_kind
from doctor.knowledge.pip_vendor import PipRefusal, pip_refusal
from doctor.model import CheckResult, Fix, Status
from doctor.net.proxies import STACK_HTTPX2, resolve_proxy
from doctor.probe.facts import CertifiFacts, InterpreterFacts, PathFacts
from doctor.probe.pip_facts import PipFacts
from doctor.runner import Context
from doctor.settings import Settings
from doctor.stream import figures
from doctor.stream import trace as t
from doctor.stream.responses_events import ResponsesSmoke
from doctor.stream.target_events import TargetSetup
from doctor.stream.target_launch import LaunchResult
from doctor.stream.target_smoke import outcome
from tests.support.facts import LIBRESSL, OPENSSL_102, make_facts
from tests.support.helpers import plan_for

PY = "/srv/my app/.venv/bin/python"  # a space: every command must quote it
QPY = shlex.quote(PY)
WHEEL = "/opt/py/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl"
REPAIR = f'PYTHONWARNINGS=ignore {QPY} {WHEEL}/pip install "pip<26.1"'
PIP_26_3 = PipFacts("26.3", "/srv/my app/.venv/lib/python3.11/site-packages/pip", "2.8.0", WHEEL)
PIP_26_0 = PipFacts("26.0.1", "/srv/my app/.venv/lib/python3.11/site-packages/pip", "1.26.20", WHEEL)
ERRORS = {"urllib3 v2.0": "error", "urllib3 v2": "error"}  # PYTHONWARNINGS=error
NOTE = "this Python's pip 26.3 cannot install anything"


def probe(pip: PipFacts, ssl: tuple = OPENSSL_102, **kw: Any) -> InterpreterFacts:
    return replace(make_facts("3.11.7", ssl, None, is_venv=True, prefix="/srv/my app/.venv", **kw), pip=pip)


def refused(pip: PipFacts = PIP_26_3) -> Optional[PipRefusal]:
    return pip_refusal(probe(pip))


def commands(result: CheckResult) -> List[str]:
    return [f.command for f in result.fixes if f.command]


def noted(result: CheckResult) -> bool:
    return any(d.strip().startswith(NOTE) for d in result.details)


# --- python.certs ---------------------------------------------------------------------------------

REQUESTS = [("requests", "2.32.5", ["certifi>=2017.4.17"])]
EMPTY_CERTIFI = CertifiFacts(True, "2026.10.19", "/srv/my app/.venv/lib/python3.11/site-packages/certifi/cacert.pem",
                             PathFacts(exists=True, is_file=True, readable=True, cert_count=0))


@pytest.mark.parametrize("certifi, pip_command", [
    (None, f"{QPY} -m pip install certifi"),  # missing though requests needs it
    (EMPTY_CERTIFI, f"{QPY} -m pip install --force-reinstall certifi"),  # installed, but its bundle is empty
])
def test_certs_certifi_fixes_restore_a_working_pip_first(certifi: Optional[CertifiFacts], pip_command: str) -> None:
    broken = judge_certs(CertsCheckFacts(probe(PIP_26_3, dists=REQUESTS, certifi=certifi), PY))
    assert (broken.code, broken.status) == ("certifi_unusable", Status.FAIL)
    assert commands(broken) == [f"{REPAIR} && {pip_command}"]
    assert shlex.split(commands(broken)[0])[:5] == ["PYTHONWARNINGS=ignore", PY, WHEEL + "/pip", "install", "pip<26.1"]
    assert noted(broken)
    fine = judge_certs(CertsCheckFacts(probe(PIP_26_0, dists=REQUESTS, certifi=certifi), PY))
    assert commands(fine) == [pip_command] and not noted(fine)


def test_certs_under_warnings_as_errors_on_libressl_runs_pip_with_its_warnings_ignored() -> None:
    result = judge_certs(CertsCheckFacts(probe(PIP_26_3, LIBRESSL, dists=REQUESTS, actions=ERRORS), PY))
    assert commands(result) == [f"PYTHONWARNINGS=ignore {QPY} -m pip install certifi"]


# --- config.proxy -----------------------------------------------------------------------------------

OPENAI = "https://api.openai.com/v1"
SOCKS = {"ALL_PROXY": "socks5h://socks.corp.invalid:1080"}


def socks_result(pip: Optional[PipRefusal]) -> CheckResult:
    endpoint = EndpointConfig(base_url=OPENAI, source="default", kind=endpoint_kind(OPENAI, source="default"))
    return judge_proxy(ProxyFacts(resolve_proxy(OPENAI, SOCKS, stack=STACK_HTTPX2), endpoint, platform="linux",
                                  installed={"openai": "3.57.0", "httpx2": "2.16.2"}, python=PY, pip=pip))


def test_proxy_socksio_install_restores_a_working_pip_first_without_the_socks_proxy_too() -> None:
    unguarded = f"env -u ALL_PROXY -u all_proxy {QPY} -m pip install socksio"
    assert commands(socks_result(None)) == [unguarded]
    result = socks_result(refused())
    assert result.code == "proxy_socks_unsupported"
    # The repair is a pip install too: it must not meet the SOCKS proxy pip cannot use either.
    assert commands(result) == [f"env -u ALL_PROXY -u all_proxy {REPAIR} && {unguarded}"]
    assert shlex.split(commands(result)[0])[:9] == ["env", "-u", "ALL_PROXY", "-u", "all_proxy", "PYTHONWARNINGS=ignore",
                                                    PY, WHEEL + "/pip", "install"]
    assert noted(result)
    assert commands(socks_result(refused(PIP_26_0))) == [unguarded]


def test_proxy_gather_reads_the_pip_facts_from_the_same_probe() -> None:
    def target(_ctx: Context) -> InterpreterFacts:
        return probe(PIP_26_3, dists=[("openai", "3.57.0", [])])

    facts = gather_proxy(Context(plan_for(Settings(env=SOCKS, cwd=None)), {"interpreter": target}))
    assert facts.pip is not None and facts.pip.repair_wheel == WHEEL


# --- stream.chat / stream.responses ---------------------------------------------------------------


def failed_setup(exception: str, message: str) -> figures.SmokeSummary:
    """The target runner's answer when the client could not be built, read as the launcher reads it."""
    failure = t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, message=message, exception=exception)
    setup = TargetSetup(python_version="3.11.7", executable=PY, openai="1.30.0", http="httpx 0.28.1")
    got = outcome(LaunchResult(PY, setup=setup, problem="setup_failed", failure=failure), "m", 64, "openai", "1.30.0")
    ran = figures.RanWith(python=PY, python_version=got.python_version, http=got.http)
    return figures.summarise(got.traces, model="m", base_url="http://127.0.0.1:1/v1", sdk=got.sdk, ran=ran)


def chat(summary: figures.SmokeSummary, pip: Optional[PipRefusal]) -> CheckResult:
    return stream_chat.judge(stream_chat.StreamChatFacts(smoke=summary, beside=(), python=PY, pip=pip))


@pytest.mark.parametrize("exception, message, code, pip_commands", [
    ("TypeError", "Client.__init__() got an unexpected keyword argument 'proxies'", "stream_sdk_broken",
     [f"{QPY} -m pip install -U 'openai>=1.55.3'", f"{QPY} -m pip install 'httpx<0.28'"]),
    ("ModuleNotFoundError", "No module named 'httpx'", "stream_sdk_broken",
     [f"{QPY} -m pip install --force-reinstall openai==1.30.0"]),
    ("ImportError", "Using SOCKS proxy, but the 'socksio' package is not installed.", "proxy_socks_unsupported",
     [f"{QPY} -m pip install 'httpx[socks]'"]),
])
def test_chat_smoke_fixes_restore_a_working_pip_first(exception: str, message: str, code: str,
                                                      pip_commands: List[str]) -> None:
    summary = failed_setup(exception, message)
    assert commands(chat(summary, None)) == pip_commands
    result = chat(summary, refused())
    assert (result.code, result.status) == (code, Status.FAIL)
    assert commands(result) == [f"{REPAIR} && {c}" for c in pip_commands]
    assert noted(result)
    assert commands(chat(summary, refused(PIP_26_0))) == pip_commands


def test_responses_upgrade_restores_a_working_pip_first() -> None:
    summary = failed_setup("AttributeError", "openai 1.30.0 has no client.responses (the Responses API needs openai >= 1.66)")

    def judged(pip: Optional[PipRefusal]) -> CheckResult:
        return stream_responses.judge(stream_responses.StreamResponsesFacts(
            smoke=ResponsesSmoke(summary=summary), beside=(), python=PY, both=False, pip=pip))

    upgrade, chat_only = f"{QPY} -m pip install -U 'openai>=1.66'", "chat-doctor smoke --api chat"
    assert judged(None).code == "stream_sdk_broken" and commands(judged(None)) == [upgrade, chat_only]
    assert commands(judged(refused())) == [f"{REPAIR} && {upgrade}", chat_only]  # no pip in the second: as it was


class _Peeking:
    """The one Context method target_pip uses: the interpreter fact if it was gathered."""

    def __init__(self, facts: Optional[InterpreterFacts]) -> None:
        self.facts = facts
        self.asked: Dict[str, int] = {}

    def peek(self, name: str) -> Optional[InterpreterFacts]:
        self.asked[name] = self.asked.get(name, 0) + 1
        return self.facts


def test_the_smoke_fixes_take_the_targets_pip_only_when_the_smoke_ran_in_the_target() -> None:
    target = _Peeking(probe(PIP_26_3))
    in_target = figures.RanWith(python=PY)
    assert smoke_fact.target_pip(target, in_target) is not None  # type: ignore[arg-type]  # duck-typed Context
    fallback = figures.RanWith(python="/opt/chat-doctor/bin/python", fallback="openai is not installed in the target")
    assert smoke_fact.target_pip(target, fallback) is None  # type: ignore[arg-type]  # chat-doctor's pip, not the target's
    assert smoke_fact.target_pip(_Peeking(None), in_target) is None  # type: ignore[arg-type]  # never probed: no guess
    assert smoke_fact.target_pip(_Peeking(probe(PIP_26_0)), in_target) is None  # type: ignore[arg-type]


def test_a_fix_running_another_interpreters_pip_is_left_alone() -> None:
    from doctor.knowledge.wording.pip_repair import guarded, notes

    other = [Fix("x", "/opt/chat-doctor/bin/python -m pip install 'httpx[socks]'"), Fix("y", f"{QPY} -m pip list")]
    assert guarded(other, PY, refused()) == other and notes(other, PY, refused()) == []
