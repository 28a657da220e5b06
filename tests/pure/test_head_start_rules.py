"""When GET /models may get a head start (doctor.checks.models_head_start): the gates, from settings.

The key leaves early only where the serial path would send it anyway and nothing decided
later (the interpreter probe, net.tls) could change that; every other case declines, and the
run then asks as it always did. Runs through the CLI are in tests/local/test_head_start_cli.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, Optional

import pytest

from doctor.checks import models_fact
from doctor.checks.models_fact import HeadStart, offer_head_start, provide_models
from doctor.checks.models_head_start import head_start_context, start
from doctor.checks.route import gather_route
from doctor.endpoint import resolve_endpoint
from doctor.runner import Context
from doctor.settings import Settings
from tests.support.helpers import CANARY_KEY, plan_for

LOCAL = "http://127.0.0.1:8000/v1"


def _context(tmp_path: Path, base_url: str = LOCAL, key: Optional[str] = CANARY_KEY, **env: str) -> Optional[Context]:
    environ: Dict[str, str] = dict(env)
    if key is not None:
        environ["OPENAI_API_KEY"] = key
    settings = Settings(env=environ, cwd=tmp_path, base_url=base_url)
    return head_start_context(settings, resolve_endpoint(settings))


def test_a_plain_http_route_to_this_machine_with_a_key_gets_a_head_start(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    assert ctx is not None
    route = ctx.fact("route")
    assert (route.scheme, route.host, route.port, route.proxy_host) == ("http", "127.0.0.1", 8000, None)


def test_https_waits_for_net_tls(tmp_path: Path) -> None:
    assert _context(tmp_path, "https://127.0.0.1:8443/v1") is None


def test_no_key_no_head_start(tmp_path: Path) -> None:
    assert _context(tmp_path, key=None) is None  # config.api_key fails: the serial path never asks


def test_a_config_check_that_fails_declines(tmp_path: Path) -> None:
    # Plain http to a host that is not this machine: config.base_url fails (base_url_insecure).
    assert _context(tmp_path, "http://api.example.invalid/v1") is None


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_a_proxy_setting_declines_because_its_stack_needs_the_probe(tmp_path: Path, variable: str) -> None:
    assert _context(tmp_path, **{variable: "http://127.0.0.1:3128"}) is None


@pytest.fixture
def asks_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's own request, replaced by a marker: which answer the provider returns is the rule here."""
    monkeypatch.setattr(models_fact, "gather_models", lambda _ctx: "asked itself")


def _route_ctx(settings: Settings) -> Context:
    return Context(plan_for(settings), {"route": gather_route})


@pytest.mark.usefixtures("asks_itself")
def test_offline_and_runs_without_api_auth_start_nothing(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": CANARY_KEY}
    for settings, groups in ((Settings(env=env, cwd=tmp_path, base_url=LOCAL, offline=True), ("config", "net", "api")),
                             (Settings(env=env, cwd=tmp_path, base_url=LOCAL), ("config", "net"))):
        marker = HeadStart(settings, resolve_endpoint(settings))
        offer_head_start(marker)
        start(settings, groups)
        marker.outcome.set_result(None)  # declined
        # The marker is still the one offered (start replaced nothing), and declined means: ask.
        assert provide_models(_route_ctx(settings)) == "asked itself"


@pytest.mark.usefixtures("asks_itself")
def test_a_head_start_for_other_settings_is_never_adopted(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": CANARY_KEY}
    mine, other = Settings(env=env, cwd=tmp_path, base_url=LOCAL), Settings(env=env, cwd=tmp_path, base_url=LOCAL)
    early = HeadStart(other, resolve_endpoint(other))
    early.outcome.set_result((_route_ctx(other).fact("route"), "the other run's answer"))
    offer_head_start(early)
    assert provide_models(_route_ctx(mine)) == "asked itself"  # equal settings, but not the same run


@pytest.mark.usefixtures("asks_itself")
def test_an_answer_sent_along_another_route_is_never_adopted(tmp_path: Path) -> None:
    settings = Settings(env={"OPENAI_API_KEY": CANARY_KEY}, cwd=tmp_path, base_url=LOCAL)
    early = HeadStart(settings, resolve_endpoint(settings))
    early.outcome.set_result((replace(_route_ctx(settings).fact("route"), port=1), "sent elsewhere"))
    offer_head_start(early)
    assert provide_models(_route_ctx(settings)) == "asked itself"


@pytest.mark.usefixtures("asks_itself")
def test_the_run_adopts_its_own_head_start_once(tmp_path: Path) -> None:
    settings = Settings(env={"OPENAI_API_KEY": CANARY_KEY}, cwd=tmp_path, base_url=LOCAL)
    early = HeadStart(settings, resolve_endpoint(settings))
    early.outcome.set_result((_route_ctx(settings).fact("route"), "the head start's answer"))
    offer_head_start(early)
    assert provide_models(_route_ctx(settings)) == "the head start's answer"
    assert provide_models(_route_ctx(settings)) == "asked itself"  # claimed once: a later run asks


@pytest.mark.usefixtures("asks_itself")
def test_a_head_start_that_raised_raises_in_the_run_as_its_own_request_would(tmp_path: Path) -> None:
    settings = Settings(env={"OPENAI_API_KEY": CANARY_KEY}, cwd=tmp_path, base_url=LOCAL)
    early = HeadStart(settings, resolve_endpoint(settings))
    early.outcome.set_exception(RuntimeError("exchange broke"))
    offer_head_start(early)
    with pytest.raises(RuntimeError, match="exchange broke"):
        provide_models(_route_ctx(settings))
