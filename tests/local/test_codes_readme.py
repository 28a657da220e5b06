"""One source for where each code appears: the registry's (check, status) pairs are what
`diagnose()` enforces and what the README's codes table shows."""

from __future__ import annotations

import re

import pytest

from doctor.knowledge.diagnoses import lookup
from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import CANARY_KEY, REPO, run_cli

pytestmark = pytest.mark.timeout(60)

README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_where(code: str) -> str:
    """The "check: status" cell of the code's row in the README."""
    row = next(line for line in README.splitlines() if line.startswith(f"| `{code}` |"))
    return row.split(" | ")[1]


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
