"""Where the key may travel, and what may reach the screen (issue: the key goes nowhere it shouldn't).

Every test runs the real CLI against real servers on loopback: the mock endpoint, a real
forward proxy (tests/support/connect_proxy.py), a TLS endpoint with real certificates, and small
hostile servers written here. "A host that is not this machine" is always a name under
`.invalid`, which never resolves.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List

import pytest

from doctor.mock.server import MockOptions, MockServer
from doctor.redact import RUN
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY, REPO, Run, run_cli, run_subprocess
from tests.support.tls_certs import TlsMaterial

ESCAPES = ("\x1b]0;pwned\x07", "\x1b[2J", "\x1b[31m", "\x9b31m", "\u202e")


def leaked_runs(text: str, secret: str = CANARY_KEY) -> List[str]:
    """Every RUN-character piece of `secret` found in `text`."""
    pieces = {secret[i : i + RUN] for i in range(len(secret) - RUN + 1)}
    return sorted({text[i : i + RUN] for i in range(max(0, len(text) - RUN + 1))} & pieces)


def assert_no_leak(run: Run, secret: str = CANARY_KEY) -> None:
    found = leaked_runs(run.stdout + "\n" + run.stderr, secret)
    assert not found, f"{len(found)} piece(s) of the key leaked, e.g. {found[0][:3]}…"


def assert_inert(run: Run) -> None:
    """No control character from a server reaches the output raw (only newlines)."""
    for stream in (run.stdout, run.stderr):
        raw = [ch for ch in stream if (ord(ch) < 32 and ch not in "\n") or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e"]
        assert not raw, f"raw control characters in the output: {sorted(set(map(repr, raw)))}"


# --------------------------------------------------------------------------------------------
# where the key travels
# --------------------------------------------------------------------------------------------

def _smoke(server: MockServer, *extra: str, **env: str) -> Run:
    return run_cli(["smoke", "--json", "--timeout", "3", *extra],
                   env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url, **env})


@pytest.mark.parametrize("variable,proxy", [
    ("HTTP_PROXY", "http://proxy.invalid:3128"),
    ("http_proxy", "http://proxy.invalid:3128"),
    ("ALL_PROXY", "socks5://proxy.invalid:1080"),
])
def test_the_smoke_test_never_sends_the_key_in_clear_through_a_remote_proxy(variable: str, proxy: str) -> None:
    with MockServer(MockOptions()) as server:
        for command in (["smoke", "--json"], ["check", "--smoke", "--json"]):
            run = run_cli([*command, "--timeout", "3"],
                          env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url, variable: proxy})
            stream = run.check("stream.chat")
            assert (stream["status"], stream["code"], run.exit_code) == ("fail", "key_withheld_insecure", 1), stream
            assert "proxy.invalid" in stream["summary"]
            assert run.json["smoke"]["runs"][0]["connection"] is None  # not even the proxy was dialled
            assert_no_leak(run)
        assert server.requests == [], "something reached the endpoint"
        # --allow-insecure is the explicit acceptance; then the SDK really tries the proxy.
        allowed = _smoke(server, "--allow-insecure", **{variable: proxy})
        assert allowed.check("stream.chat")["code"] != "key_withheld_insecure"


def test_a_name_that_starts_with_127_is_another_machine() -> None:
    run = run_cli(["check", "--smoke", "--json", "--timeout", "2"],
                  env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": "http://127.0.0.1.attacker.invalid:8000/v1"})
    base = run.check("config.base_url")
    assert (base["status"], base["code"]) == ("fail", "base_url_insecure")
    assert run.check("stream.chat")["status"] == "skip"
    assert run.check("api.auth")["status"] in ("skip",)
    assert_no_leak(run)


def test_the_smoke_test_takes_its_proxy_from_the_checked_settings() -> None:
    """What is checked is what is sent: a loopback proxy named in the settings carries the
    request; exempting the endpoint with NO_PROXY sends it direct, as the checks said."""
    with MockServer(MockOptions()) as server, ConnectProxy() as proxy:
        through = _smoke(server, HTTP_PROXY=proxy.url())
        assert through.check("stream.chat")["status"] == "ok", through.check("stream.chat")
        assert any(r.target.endswith("/v1/chat/completions") for r in proxy.requests), proxy.requests
        seen = len(proxy.requests)
        direct = _smoke(server, HTTP_PROXY=proxy.url(), NO_PROXY="127.0.0.1")
        assert direct.check("stream.chat")["status"] == "ok"
        assert len(proxy.requests) == seen


def test_the_smoke_test_trusts_what_net_tls_trusted(tmp_path: Path) -> None:
    certs = TlsMaterial(tmp_path / "tls")
    options = MockOptions(certfile=certs.good.certfile, keyfile=certs.good.keyfile)
    with MockServer(options) as server:
        trusted = _smoke(server, SSL_CERT_FILE=certs.ca_file)
        assert trusted.check("stream.chat")["status"] == "ok", trusted.check("stream.chat")
        untrusted = _smoke(server, SSL_CERT_FILE=certs.other_ca_file)
        assert untrusted.check("stream.chat")["code"] == "stream_connection_failed"


def test_demo_ignores_proxies_of_the_process_without_editing_its_environment() -> None:
    # The demo endpoint is in the process; a dead proxy in the environment must not matter,
    # and the SDK client no longer reads os.environ for it to be so.
    dead = {"HTTP_PROXY": "http://proxy.invalid:3128", "https_proxy": "http://proxy.invalid:3128"}
    run = run_subprocess(["demo", "--json"], env=dead)
    assert run.exit_code == 0, run.output
    assert run.check("stream.chat")["status"] == "ok"
    source = (REPO / "doctor" / "commands" / "demo.py").read_text()
    assert "os.environ[" not in source


# --------------------------------------------------------------------------------------------
# what reaches the screen
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [[], ["--json"], ["-v"]])
def test_a_server_streaming_the_key_back_never_gets_it_printed(flags: List[str]) -> None:
    with MockServer(MockOptions(scenario="echo_key")) as server:
        run = run_subprocess(["smoke", "--timeout", "5", *flags],
                             env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url})
    assert_no_leak(run)  # first: a failing assertion below must not print the key
    assert run.exit_code == 0, run.output
    shown = run.stderr if "--json" in flags else run.stdout
    assert "reply: Your key: sk-proj-…" in shown  # the reply streamed, scrubbed


def test_a_key_in_the_base_url_is_masked_everywhere() -> None:
    with MockServer(MockOptions(scenario="anymodel")) as server:
        url = f"{server.base_url}?api-key={CANARY_KEY}"
        for flags in ([], ["-v"], ["--json"], ["--json", "-v"]):
            run = run_cli(["check", "--smoke", "--timeout", "3", "--base-url", url, *flags],
                          env={"OPENAI_API_KEY": "sk-proj-other-key-0123456789abcdefghij"})
            assert_no_leak(run)
            if "--json" in flags:
                assert run.json["endpoint"]["base_url"] == f"{server.base_url}?api-key=***"
            else:
                assert f"{server.base_url}?api-key=***" in run.stdout


def test_a_fifteen_character_middle_piece_glued_to_text_is_scrubbed() -> None:
    piece = CANARY_KEY[40:55]
    echo = _Echo401(f"key=c4n4ry{piece}xq9 is not valid")
    with echo:
        run = run_cli(["check", "--json", "--timeout", "3"],
                      env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": echo.base_url})
    assert_no_leak(run)
    auth = run.check("api.auth")
    assert auth["code"] == "invalid_api_key"
    assert "c4n4ry[redacted]xq9" in json.dumps(auth)


@pytest.mark.parametrize("key", ["local", "http", "ollama", "EMPTY"])
def test_a_placeholder_key_is_shown_as_itself_and_mangles_nothing(key: str) -> None:
    with MockServer(MockOptions(scenario="anymodel")) as server:
        base_url = server.base_url.replace("127.0.0.1", "localhost")
        run = run_cli(["check", "--smoke", "--timeout", "3"], env={"OPENAI_API_KEY": key, "OPENAI_BASE_URL": base_url})
    assert run.exit_code == 0, run.output
    assert f'"{key}" ({len(key)} chars, a placeholder)' in run.stdout
    assert base_url in run.stdout  # "localhost" and "http" intact
    assert "(5 chars)host" not in run.stdout and "[redacted]" not in run.stdout


@pytest.mark.parametrize("control", ["\x01", "\x7f", "\x1b", "\x1b[2J"])
def test_a_key_with_control_characters_fails_config_api_key(control: str) -> None:
    key = CANARY_KEY[:30] + control + CANARY_KEY[30:]
    run = run_subprocess(["check", "--offline"], env={"OPENAI_API_KEY": key})
    assert_no_leak(run)
    assert run.exit_code == 1
    assert "[api_key_control_characters]" in run.stdout
    assert "tr -cd" in run.stdout
    assert_inert(run)


class _Echo401:
    """A tiny hostile API: `/models` answers 401 with `message` in OpenAI's error shape."""

    def __init__(self, message: str, status: int = 401) -> None:
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}})
        payload = body.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  # http.server's name
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "_Echo401":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hostile_401() -> Iterator[_Echo401]:
    with _Echo401("Incorrect API key \x1b]0;pwned\x07 provided \x1b[2J\x1b[31m red \x9b31m \u202eevil") as server:
        yield server


@pytest.mark.parametrize("flags", [[], ["-v"], ["--json"]])
def test_server_text_cannot_drive_the_terminal(hostile_401: _Echo401, flags: List[str]) -> None:
    for env in ({}, {"NO_COLOR": "1"}):
        run = run_subprocess(["check", "--timeout", "3", *flags],
                             env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": hostile_401.base_url, **env})
        assert_inert(run)
        if "--json" in flags:
            message = json.dumps(run.json)
            assert "\\u001b]0;pwned\\u0007" in message  # kept, JSON-escaped
        else:
            assert "\\x1b]0;pwned\\x07" in run.stdout  # shown escaped


def test_streamed_tokens_and_echoed_model_names_are_inert() -> None:
    hostile_reply = "Hi \x1b]0;pwned\x07there \x1b[2Jfriend \x1b[31mred\x1b[0m \rover \u202eevil"
    with MockServer(MockOptions(reply=hostile_reply)) as server:
        for flags in ([], ["--json"]):
            run = run_subprocess(["smoke", "--timeout", "5", *flags],
                                 env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url})
            assert_inert(run)
            shown = run.stderr if flags else run.stdout
            assert "\\x1b]0;pwned\\x07there" in shown
    with MockServer(MockOptions(scenario="model404")) as server:
        run = run_subprocess(["check", "--smoke", "--timeout", "5", "--model", "gpt\x1b[2J-evil"],
                             env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url})
        assert_inert(run)
        assert "gpt\\x1b[2J-evil" in run.stdout


@pytest.mark.parametrize("between", ["\u200b", "\x00", "\u2060"])
def test_a_key_interleaved_with_invisible_characters_is_scrubbed(between: str) -> None:
    # On screen the invisible characters vanish and the key reads whole: runs are matched with
    # them skipped, and what remains is shown escaped.
    reply = "leaked: " + between.join(CANARY_KEY) + " done"
    with MockServer(MockOptions(reply=reply)) as server:
        run = run_subprocess(["smoke", "--timeout", "5"],
                             env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url})
    visible = Run(run.exit_code, *(s.replace(between, "").replace(repr(between)[1:-1], "") for s in (run.stdout, run.stderr)))
    assert_no_leak(visible)
    assert "leaked: [redacted]" in run.stdout
