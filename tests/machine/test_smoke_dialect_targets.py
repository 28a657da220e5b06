"""The ladder and the dialect when the smoke test runs inside a real target interpreter
(`smoke --python TARGET`, the target runner on Python 3.9 with openai 1.x and on 3.8, the oldest
the runner supports): WireWatch runs there, stdlib only, and says what in-process says.
"""

from __future__ import annotations

import pytest

from doctor.stream import dialect as d
from tests.support.helpers import CANARY_KEY, assert_no_key, run_cli
from tests.support.mock_helpers import running
from tests.support.venvs import make_venv, pyenv_python, venv_python

LADDER = ("headers_ms", "first_byte_ms", "first_chunk_ms", "first_token_any_ms", "ttft_ms", "last_token_ms", "total_ms")
TARGETS = {"3.9": "openai==1.109.1", "3.8": "openai==1.55.3"}


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(TARGETS))
@pytest.mark.parametrize("scenario, family, usage_field", [
    ("dialect_azure", d.AZURE, "a usage chunk"), ("dialect_ollama", d.OLLAMA, "a usage chunk"),
    ("dialect_llamacpp", d.LLAMA_CPP, "the last chunk"),
])
def test_the_target_runner_reads_the_dialect_and_the_ladder(version: str, scenario: str, family: str, usage_field: str) -> None:
    python = pyenv_python(version)  # first: without the interpreter, skip before building anything
    target = str(venv_python(make_venv(python, [TARGETS[version]])))
    with running(scenario) as server:
        run = run_cli(["smoke", "--python", target, "--json", "--timeout", "5", "--base-url", server.base_url],
                      env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    document = run.json["smoke"]
    assert (run.exit_code, document["ran_in"], document["python"]) == (0, "target", target), run.check("stream.chat")
    assert document["python_version"].startswith(version + ".")
    dialect = document["dialect"]
    assert (dialect["family"], dialect["usage"]) == (family, usage_field), dialect
    rungs = [document["runs"][0][key] for key in LADDER]
    assert None not in rungs and rungs == sorted(rungs)
