"""One source for where each code appears: the registry's (check, status) pairs are what
`diagnose()` enforces and what the README's codes table shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doctor.knowledge.diagnoses import diagnose, lookup
from doctor.mock.server import MockOptions, MockServer
from doctor.model import Status
from tests.support.helpers import CANARY_KEY, run_cli

pytestmark = pytest.mark.timeout(60)

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def readme_where(code: str) -> str:
    """The "check: status" cell of the code's row in the README."""
    row = next(line for line in README.splitlines() if line.startswith(f"| `{code}` |"))
    return row.split(" | ")[1]


def test_a_code_takes_its_status_from_the_registry_per_check() -> None:
    assert diagnose("api.auth", "rate_limited", "x").status is Status.WARN
    assert diagnose("stream.chat", "rate_limited", "x").status is Status.FAIL
    assert diagnose("config.base_url", "base_url_insecure", "x", status=Status.WARN).status is Status.WARN
    assert diagnose("net.dns", "offline", "x").status is Status.SKIP  # a code any check may give


def test_an_unregistered_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="not registered for net.tcp"):
        diagnose("net.tcp", "rate_limited", "x")
    with pytest.raises(ValueError, match="api.auth/fail"):
        diagnose("api.auth", "rate_limited", "x", status=Status.FAIL)


def test_readme_lists_every_registered_pair() -> None:
    for code in ("rate_limited", "model_not_found", "invalid_api_key", "overloaded", "not_openai_api",
                 "endpoint_redirects", "dns_failure", "base_url_insecure"):
        cell = readme_where(code)
        for check, status in lookup(code).where:
            assert re.search(rf"`{re.escape(check)}`[^;]* {status.value}\b", cell), (code, check, status, cell)


@pytest.mark.parametrize("scenario, code", [("rate429", "rate_limited"), ("auth401", "invalid_api_key"),
                                            ("overload503", "overloaded"), ("html", "not_openai_api")])
def test_what_the_cli_reports_is_what_the_readme_says(scenario: str, code: str) -> None:
    seen = set()
    with MockServer(MockOptions(scenario=scenario)) as server:
        env = {"OPENAI_API_KEY": CANARY_KEY}
        for args in (["check", "--json"], ["smoke", "--json", "-q"]):
            run = run_cli([*args, "--base-url", server.base_url, "--timeout", "3"], env=env)
            seen |= {(c["id"], c["status"]) for c in run.json["checks"] if c["code"] == code}
    assert ("stream.chat", "fail") in seen  # a refused stream fails, whatever api.auth says
    cell = readme_where(code)
    for check, status in seen:
        assert re.search(rf"`{re.escape(check)}`[^;]* {status}\b", cell), (check, status, cell)
