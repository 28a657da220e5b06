"""Fix commands are safe to paste whatever a server or the environment put into them.

A model id from a server's list, a base URL with `$(...)`, `&` or a password, a query string:
each fix is either a command that works when pasted whole (run here with bash, as printed), or
text without a command when a working command would have to print a secret.
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from tests.support.helpers import CANARY_KEY, assert_no_key, run_cli, run_subprocess
from tests.support.mock_helpers import env_for, running
from tests.support.raw_server import RawServer


def _commands(run_json: dict, check_id: str) -> list:
    result = next(r for r in run_json["checks"] if r["id"] == check_id)
    return [fix["command"] for fix in result["fixes"] if fix.get("command")]


def test_a_hostile_model_id_cannot_become_a_command() -> None:
    hostile = "gpt-4o-mini$(id)"  # close enough to the default model to be suggested
    body = json.dumps({"object": "list", "data": [{"id": hostile, "object": "model", "owned_by": "x"}]})

    def answer(server: RawServer, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
                     + f"content-length: {len(body)}\r\n\r\n".encode() + body.encode())

    with RawServer(answer) as server:
        run = run_cli(["check", "--json", "--timeout", "3", "--base-url", server.url + "/v1"],
                      env={"OPENAI_API_KEY": CANARY_KEY})
    commands = _commands(run.json, "api.model")
    assert any(hostile in c for c in commands), commands
    for command in commands:
        # What the shell makes of it, with chat-doctor replaced by printf: its words, nothing run.
        program, rest = command.split(" ", 1)
        assert program == "chat-doctor"
        words = subprocess.run(["bash", "-c", f"printf '%s\\n' {rest}"], capture_output=True, text=True,
                               timeout=10).stdout.splitlines()
        assert words[1] == "--model" and words[2] in (hostile, "gpt-4o-mini"), (command, words)


@pytest.mark.parametrize("url,expected", [
    ("http://127.0.0.1:8000/$(id)", "http://127.0.0.1:8000/$(id)/v1"),
    ("http://127.0.0.1:8000/v1/chat/completions", "http://127.0.0.1:8000/v1"),
])
def test_base_url_fixes_are_quoted_and_set_what_they_say(url: str, expected: str) -> None:
    for source, args, env in (("env", [], {"OPENAI_BASE_URL": url}), ("flag", ["--base-url", url], {})):
        run = run_cli(["check", "--offline", "--json", *args], env={"OPENAI_API_KEY": CANARY_KEY, **env})
        commands = _commands(run.json, "config.base_url")
        assert commands, (source, run.check("config.base_url"))
        command = commands[0]
        if source == "env":
            shown = subprocess.run(["bash", "-c", f"{command} && printf %s \"$OPENAI_BASE_URL\""],
                                   capture_output=True, text=True, timeout=10)
            assert shown.stdout == expected, (command, shown)
        else:  # chat-doctor's own flag: the URL is one quoted word
            assert command.startswith("chat-doctor check --base-url ")
            words = subprocess.run(["bash", "-c", f"printf '%s\\n' {command[len('chat-doctor check '):]}"],
                                   capture_output=True, text=True, timeout=10).stdout.splitlines()
            assert words == ["--base-url", expected], (command, words)


def test_a_query_in_the_base_url_is_a_finding_and_its_fix_drops_it() -> None:
    url = "http://127.0.0.1:8000/v1?a=1&b=2"
    run = run_cli(["check", "--offline", "--json"], env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": url})
    base = run.check("config.base_url")
    assert (base["status"], base["code"]) == ("fail", "base_url_invalid") and "query" in base["summary"]
    shown = subprocess.run(["bash", "-c", f"{_commands(run.json, 'config.base_url')[0]} && printf %s \"$OPENAI_BASE_URL\""],
                           capture_output=True, text=True, timeout=10)
    assert shown.stdout == "http://127.0.0.1:8000/v1"


def test_a_url_with_a_password_gets_no_command_that_would_print_it() -> None:
    password = "hunter2xyz"
    for args, env in ((["--base-url", f"http://alice:{password}@api.example.invalid/v1"], {}),
                      ([], {"OPENAI_BASE_URL": f"http://alice:{password}@api.example.invalid/v1"})):
        run = run_cli(["check", "--offline", "--json", *args], env={"OPENAI_API_KEY": CANARY_KEY, **env})
        text = run.stdout + run.stderr
        assert password not in text and "alice:" not in text
        assert "export --base-url" not in text
        fixes = run.check("config.base_url")["fixes"]
        https = next(f for f in fixes if f["text"].startswith("Use https://"))
        assert https["command"] is None and "https://***@api.example.invalid/v1" in https["text"]


def test_short_url_passwords_are_scrubbed_from_free_text_too() -> None:
    # A proxy password under 8 characters is still a password (the placeholder rule is for keys).
    password = "pa55wd"
    run = run_cli(["check", "--offline", "--json", "-v"],
                  env={"OPENAI_API_KEY": CANARY_KEY, "HTTPS_PROXY": f"http://bob:{password}@proxy.invalid:3128",
                       "HTTP_PROXY": f"http://bob:{password}:proxy.invalid:3128"})  # '@' forgotten
    assert password not in run.stdout + run.stderr


@pytest.mark.parametrize("env", [{}, {"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"},
                                 {"AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/", "OPENAI_API_VERSION": "2024-10-21"}])
def test_the_missing_key_fix_sets_the_key_when_pasted(env: dict) -> None:
    run = run_cli(["check", "--offline", "--json"], env=env)
    command = next(c for c in _commands(run.json, "config.api_key") if c.startswith("read "))
    variable = command.split()[2]
    assert command == f"read -rs {variable} && export {variable}"
    for shell in ("bash", "zsh"):
        try:
            done = subprocess.run([shell, "-c", f"{command} && printf %s \"${variable}\""], input="sk-typed-at-the-prompt\n",
                                  capture_output=True, text=True, timeout=10)
        except FileNotFoundError:
            continue  # zsh is not on every machine; bash always is here
        assert done.stdout == "sk-typed-at-the-prompt", (shell, done)


@pytest.mark.parametrize("model", ["gpt\x1b[2Jx", "gpt\u202ex\x85'\\"])
def test_a_model_name_with_control_characters_pastes_back_as_itself(model: str) -> None:
    """The console shows ESC as `\\x1b`: the fix quotes the name as bash's $'...', so the command
    as printed (not as the JSON holds it) names exactly the model when pasted."""
    with running("ok") as server:
        run = run_subprocess(["check", "--timeout", "5", "--model", model], env={**env_for(server), "COLUMNS": "200"})
    assert_no_key(run)
    assert "[model_unlisted]" in run.stdout, run.stdout[-2000:]
    printed = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("chat-doctor smoke --model")]
    assert len(printed) == 1 and printed[0].startswith("chat-doctor smoke --model $'"), printed
    for command in printed:
        rest = command.split(" ", 1)[1]  # chat-doctor replaced by printf: its words, nothing run
        words = subprocess.run(["bash", "-c", f"printf '%s\\0' {rest}"], capture_output=True, timeout=10,
                               check=False).stdout
        assert words.split(b"\0")[:2] == [b"smoke", b"--model"], (command, words)
        assert words.split(b"\0")[2] == model.encode("utf-8"), (command, words)
