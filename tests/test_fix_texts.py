"""Honest words: fix texts that fit the endpoint and the command, causes that are real."""

from __future__ import annotations

import pytest

from tests.helpers import CANARY_KEY, run_cli

pytestmark = pytest.mark.timeout(60)


def test_api_key_whitespace_names_real_causes_not_command_substitution() -> None:
    run = run_cli(["check", "--offline", "--json"], env={"OPENAI_API_KEY": "sk-proj-" + "x1" * 20 + "\n"})
    result = run.check("config.api_key")
    assert result["code"] == "api_key_whitespace"
    text = " ".join(result["details"])
    assert "$(cat" not in text  # command substitution strips trailing newlines: it is no cause
    assert "Windows line endings" in text and "pasted" in text
