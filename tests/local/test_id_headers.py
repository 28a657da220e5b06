"""OPENAI_ORG_ID / OPENAI_PROJECT_ID go out as headers beside the key: a broken value is a
config.api_key finding (api_header_invalid) with a fix that works when pasted, never a
misleading connection error after the key was sent."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.helpers import CANARY_KEY, run_subprocess
from tests.support.mock_helpers import running


@pytest.mark.parametrize("name,value,after_fix", [
    ("OPENAI_ORG_ID", "org-abc\r\nX-Evil: 1", "org-abc"),
    ("OPENAI_ORG_ID", "org-abc\n", "org-abc"),
    ("OPENAI_PROJECT_ID", "proj_abc\x1b[2J", "proj_abc[2J"),
    ("OPENAI_PROJECT_ID", "proj_ab\u00e9c", "proj_abc"),
])
def test_a_broken_id_header_fails_config_api_key_and_nothing_is_sent(name: str, value: str, after_fix: str) -> None:
    with running("ok") as server:
        run = run_subprocess(["check", "--json", "--timeout", "3"],
                             env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url, name: value})
        assert server.requests == []  # api.auth waited for config.api_key: no request went out
    result = run.check("config.api_key")
    assert (result["status"], result["code"], run.exit_code) == ("fail", "api_header_invalid", 1), result
    assert name in result["summary"]
    fixed = subprocess.run(["bash", "-c", f"{result['fixes'][0]['command']} && printf %s \"${name}\""],
                           env={name: value, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=10)
    assert fixed.stdout == after_fix, fixed


def test_ids_that_are_fine_pass() -> None:
    run = run_subprocess(["check", "--offline", "--json"],
                         env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_ORG_ID": "org-abc123", "OPENAI_PROJECT_ID": "proj_x1"})
    assert run.check("config.api_key")["status"] == "ok"
