"""Audit of issue 8, "every value read from a server is validated; a bad shape is a diagnosis":
event-stream chunks that the SDK's JSON parser itself refuses (nested deeper than it goes, a
number longer than int() converts) are `stream_malformed`, not "the connection was cut".
Through the installed CLI against a raw loopback server.
"""

from __future__ import annotations

import json
import socket
import sys

import pytest

from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import CANARY_KEY, assert_no_key, run_subprocess
from tests.support.raw_server import RawServer

_HEAD = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
         b"connection: close\r\n\r\n")


def _chunk(delta_extra: str = "", created: str = "1") -> bytes:
    body = ('{"id":"c","object":"chat.completion.chunk","created":' + created + ',"model":"gpt-4o-mini",'
            '"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"' + delta_extra + '},'
            '"finish_reason":"stop"}]}')
    return b"data: " + body.encode() + b"\n\n"


def _read_request(conn: socket.socket) -> None:
    """The whole request, body included: closing with bytes unread would reset the connection
    under the client while it still reads the answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)


def _streaming(event: bytes):  # type: ignore[no-untyped-def]  # a RawServer handler
    def handle(server: RawServer, conn: socket.socket) -> None:  # noqa: ARG001  # a handler's shape
        _read_request(conn)
        conn.sendall(_HEAD + event + b"data: [DONE]\n\n")
    return handle


CASES = {
    # 100,000 nested lists: json.loads raises RecursionError inside the SDK.
    "nested_too_deep": (_chunk(',"x":' + "[" * 100_000 + "]" * 100_000), "recursion"),
    # 5,000 digits: past int()'s default limit (Python 3.11+), json.loads raises ValueError.
    "number_too_long": (_chunk(created="9" * 5000), "digits"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_chunk_the_json_parser_refuses_is_a_malformed_stream(case: str) -> None:
    event, says = CASES[case]
    if case == "number_too_long" and sys.version_info < (3, 11):
        pytest.skip("int() has no digit limit before Python 3.11 (and 3.10.7 backports)")
    with RawServer(_streaming(event), read_first=False) as server:
        run = run_subprocess(["smoke", "--json", "--timeout", "5", "--base-url", server.url + "/v1"],
                             env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    result = next(c for c in run.json["checks"] if c["id"] == "stream.chat")
    assert (result["status"], result["code"], run.exit_code) == ("fail", "stream_malformed", 1), result
    assert says in result["summary"].lower(), result["summary"]
    assert "Traceback" not in run.stderr


# --- bullets first proved in-process (CliRunner), here through the installed script ---------------


def _smoke(server: MockServer, *args: str, **env: str):  # type: ignore[no-untyped-def]  # -> (Run, stream.chat)
    run = run_subprocess(["smoke", "--json", "--timeout", "5", *args],
                         env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url, **env})
    assert_no_key(run)
    return run, next(c for c in run.json["checks"] if c["id"] == "stream.chat")


@pytest.mark.parametrize("scenario, words", [("odd_usage", "usage.completion_tokens is 'many' (a string)"),
                                             ("odd_content", "content is 5 (a number)")])
def test_values_of_the_wrong_type_are_stream_malformed(scenario: str, words: str) -> None:
    with MockServer(MockOptions(scenario=scenario)) as server:
        run, result = _smoke(server)
    assert (result["code"], run.exit_code) == ("stream_malformed", 1), result
    assert words in result["summary"]


def test_a_compatible_server_gets_max_tokens_and_one_that_ignores_limits_is_cut() -> None:
    with MockServer(MockOptions(scenario="max_tokens_only")) as server:
        run, result = _smoke(server, "--max-tokens", "5")
        body = next(r.body for r in server.requests if r.path.endswith("/chat/completions"))
    assert (result["status"], run.exit_code) == ("ok", 0), result
    assert body["max_tokens"] == 5 and "max_completion_tokens" not in body
    with MockServer(MockOptions(scenario="no_limits", token_interval_ms=1)) as server:
        run, result = _smoke(server, "--max-tokens", "8")
    assert (result["code"], result["status"], run.exit_code) == ("max_tokens_ignored", "warn", 0), result
    assert run.json["smoke"]["runs"][0]["ttft_ms"] is not None  # the run's timings are kept


def test_a_socks_proxy_without_socks_support_is_named_and_no_reinstall_advice() -> None:
    try:
        import socksio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("socksio is installed here")
    with MockServer(MockOptions()) as server:
        run, result = _smoke(server, ALL_PROXY="socks5://127.0.0.1:1")
    assert (result["code"], run.exit_code) == ("proxy_socks_unsupported", 1), result
    assert "reinstall" not in json.dumps(result).lower()


def test_a_compatible_endpoint_s_server_error_names_no_openai_status_page() -> None:
    with MockServer(MockOptions(scenario="server500")) as server:
        run, result = _smoke(server)
    assert (result["code"], run.exit_code) == ("server_error", 1), result
    assert "status.openai.com" not in json.dumps(result["fixes"])
    assert "error code: None" not in " ".join(result["details"])


def test_slow_is_a_late_but_real_stream() -> None:
    with MockServer(MockOptions(scenario="slow", slow_delay_ms=300)) as server:
        run, result = _smoke(server, "-q")
    assert result["status"] == "ok", result  # not stream_buffered
    (first,) = run.json["smoke"]["runs"]
    assert first["headers_ms"] >= 280 and first["buffering"] == "streamed"
