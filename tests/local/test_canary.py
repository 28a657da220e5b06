"""The API key never appears in any output: not whole, not as a long fragment.

A canary key (and the mistaken forms people really have: whitespace, quotes, `Bearer `, smart
quotes) is put where the SDK reads keys, or only in `.env`, or in Azure's variable, and every
command's stdout, stderr and JSON is searched for it and for any 12-character piece of it,
in human and JSON modes, with and without `-v`. Proxy passwords get the same treatment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import pytest

from tests.support.helpers import CANARY_KEY, Run, run_cli, run_subprocess

FRAGMENT = 12  # any run this long of the key is a leak (doctor.redact.RUN); key_shape() shows 8 + 4 apart

VARIANTS: Dict[str, str] = {
    "plain": CANARY_KEY,
    "trailing-newline": CANARY_KEY + "\n",
    "crlf": CANARY_KEY + "\r\n",
    "leading-space": " " + CANARY_KEY,
    "quoted": f'"{CANARY_KEY}"',
    "single-quoted": f"'{CANARY_KEY}'",
    "bearer": f"Bearer {CANARY_KEY}",
    "smart-quotes": f"“{CANARY_KEY}”",
    "inner-newline": CANARY_KEY[:40] + "\n" + CANARY_KEY[40:],
}

MODES: Dict[str, List[str]] = {
    "human": [],
    "human-verbose": ["-v"],
    "json": ["--json"],
    "json-verbose": ["--json", "-v"],
}


def _fragments(secret: str, size: int = FRAGMENT) -> set:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_no_leak(run: Run, secrets: Iterable[str] = (CANARY_KEY,)) -> None:
    """Neither a secret nor any `FRAGMENT`-long piece of it appears in stdout or stderr."""
    text = run.stdout + "\n" + run.stderr
    for secret in secrets:
        assert secret not in text
        pieces = _fragments(secret)
        # Slide over the output once; set lookups keep this linear.
        leaked = {text[i : i + FRAGMENT] for i in range(max(0, len(text) - FRAGMENT + 1))} & pieces
        assert not leaked, f"{len(leaked)} fragment(s) of the secret leaked, e.g. {sorted(leaked)[0][:4]}…"


def _run(args: Sequence[str], env: Dict[str, Optional[str]]) -> Run:
    run = run_cli(args, env=env)
    assert run.exit_code in (0, 1, 3, 4), run.output  # a report, not a crash or a usage error
    return run


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_check_offline_never_shows_the_key(variant: str) -> None:
    env = {"OPENAI_API_KEY": VARIANTS[variant]}
    for mode, flags in MODES.items():
        run = _run(["check", "--offline", *flags], env)
        assert_no_leak(run)
        if mode.startswith("json"):
            result = run.check("config.api_key")
            assert result["data"]["length"] == len(VARIANTS[variant])  # it did look at the key
        else:
            assert "config.api_key" in run.stdout


def test_key_only_in_dotenv_is_never_shown(tmp_path: Path) -> None:
    # Not in the environment, so the runner's Redactor does not know it: nothing may echo it.
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={CANARY_KEY}\nOTHER='{CANARY_KEY} '\n")
    for flags in MODES.values():
        run = _run(["check", "--offline", *flags], {})
        assert_no_leak(run)
    assert run.check("config.api_key")["code"] == "api_key_in_dotenv_only"


@pytest.mark.parametrize("variant", ["plain", "trailing-newline", "smart-quotes"])
def test_azure_key_and_token_are_never_shown(variant: str) -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/",
        "AZURE_OPENAI_API_KEY": VARIANTS[variant],
        "OPENAI_API_VERSION": "2024-10-21",
    }
    for flags in (["-v"], ["--json", "-v"]):
        assert_no_leak(_run(["check", "--offline", *flags], env))
    token_env = {**env, "AZURE_OPENAI_AD_TOKEN": VARIANTS[variant]}
    assert_no_leak(_run(["check", "--offline", "--json", "-v"], token_env))


def test_proxy_passwords_are_never_shown() -> None:
    password = "Pr0xyPassw0rd-" + CANARY_KEY[20:40]
    env = {
        "OPENAI_API_KEY": CANARY_KEY,
        "HTTPS_PROXY": f"http://alice:{password}@proxy.corp:3128",
        "http_proxy": f"alice:{password}@plain.corp:8080",  # no scheme: httpx adds http://
        "ALL_PROXY": f"socks4://bob:{password}@socks.corp:1080",  # invalid: reported, still masked
        "NO_PROXY": "localhost",
    }
    for flags in MODES.values():
        run = _run(["check", "--offline", *flags], env)
        assert_no_leak(run, secrets=(CANARY_KEY, password))
    assert "***@proxy.corp:3128" in run.stdout


@pytest.mark.parametrize("variant", ["trailing-newline", "bearer"])
def test_the_installed_script_never_shows_the_key(variant: str) -> None:
    for flags in ([], ["--json", "-v"]):
        run = run_subprocess(["check", "--offline", *flags], env={"OPENAI_API_KEY": VARIANTS[variant]})
        assert run.exit_code == 1  # config.api_key fails for both variants
        assert_no_leak(run)


ONLINE_COMMANDS = (
    ["check", "-v"],
    ["check", "--json", "-v"],
    ["smoke", "-v"],
    ["check", "--smoke", "--json", "-v"],
)


@pytest.mark.parametrize("variant", ["plain", "trailing-newline", "quoted", "smart-quotes", "bearer"])
def test_online_commands_against_a_local_server_never_show_the_key(variant: str) -> None:
    """The network, API and streaming checks send the key to a real local endpoint and read
    its answers (and the SDK's errors, which quote the header: "Illegal header value b'Bearer sk-...")."""
    from tests.support.mock_helpers import running

    with running("ok") as server:
        env = {"OPENAI_API_KEY": VARIANTS[variant], "OPENAI_BASE_URL": server.base_url}
        for command in ONLINE_COMMANDS:
            assert_no_leak(_run([*command, "--timeout", "5"], env))
