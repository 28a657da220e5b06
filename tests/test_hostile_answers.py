"""Answers no API should give, through the real CLI against real loopback servers: every one is a
diagnosis (`not_openai_api`, `read_timeout`, `response_too_long`, ...), never `check_crashed`,
and a server that keeps sending, or sends too slowly, is stopped by the step's own bounds in
about `--timeout` (never by the per-check deadline's `check_timeout`)."""

from __future__ import annotations

import socket
import time
from typing import Dict

import pytest

from tests.helpers import CANARY_KEY, Run, run_cli
from tests.raw_server import RawServer, answering, byte_by_byte, http_answer

pytestmark = pytest.mark.timeout(60)

TIMEOUT_S = 1.5


def check(server: RawServer, *extra: str, timeout: float = TIMEOUT_S) -> Run:
    return run_cli(["check", "--json", "--base-url", server.url + "/v1", "--timeout", f"{timeout:g}", *extra],
                   env={"OPENAI_API_KEY": CANARY_KEY})


def timed_auth(server: RawServer) -> Dict[str, object]:
    started = time.monotonic()
    run = check(server)
    auth = dict(run.check("api.auth"), wall_s=time.monotonic() - started, exit_code=run.exit_code)
    assert CANARY_KEY[-24:] not in run.output
    return auth


# --------------------------------------------------------------------------------------------
# bodies of the wrong shape
# --------------------------------------------------------------------------------------------

DEEP = b"[" * 200_000 + b"]" * 200_000
HOSTILE_MODEL_LISTS = {
    "nested 200,000 deep": DEEP,
    "object nested 200,000 deep": b'{"data": ' + b'{"a": ' * 200_000 + b"1" + b"}" * 200_001,
    "data is a number": b'{"data": 5}',
    "entries of every type": b'{"data": [1, null, {"id": 7}]}',
    "a number too long for int()": b'{"object": "list", "data": [{"id": "m", "created": ' + b"7" * 100_000 + b"}]}",
    "invalid UTF-8": b'{"object": "list", "data": [{"id": "gpt-\xff\xfe"}]}',
}


@pytest.mark.parametrize("body", list(HOSTILE_MODEL_LISTS.values()), ids=list(HOSTILE_MODEL_LISTS))
def test_a_models_answer_of_the_wrong_shape_is_not_openai_api(body: bytes) -> None:
    with RawServer(answering(body)) as server:
        run = check(server)
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("fail", "not_openai_api"), auth
    assert run.exit_code == 1
    assert all(c["code"] != "check_crashed" for c in run.json["checks"])


def test_a_model_list_with_odd_optional_fields_is_still_a_list() -> None:
    body = b'{"data": [{"id": "gpt-4o-mini", "owned_by": [[["x"]]], "created": "yesterday"}]}'
    with RawServer(answering(body)) as server:
        run = check(server, "--model", "gpt-4o-mini")
    assert (run.check("api.auth")["status"], run.check("api.model")["status"]) == ("ok", "ok")


HOSTILE_ERRORS = {
    "message nested": b'{"error": {"message": ' + b"[" * 990 + b"]" * 990 + b', "code": ' + b"{\"a\":" * 900 + b"1" + b"}" * 900 + b"}}",
    "nested 200,000 deep": DEEP,
    "invalid UTF-8": b'{"error": {"message": "bad key \xff", "code": "invalid_api_key"}}',
}


@pytest.mark.parametrize("body", list(HOSTILE_ERRORS.values()), ids=list(HOSTILE_ERRORS))
def test_a_refusal_with_a_hostile_body_is_still_judged_by_its_status(body: bytes) -> None:
    with RawServer(answering(body, "401 Unauthorized")) as server:
        run = check(server)
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("fail", "invalid_api_key"), auth


# --------------------------------------------------------------------------------------------
# time and size bounds of GET /models
# --------------------------------------------------------------------------------------------


def _trickled_head(server: RawServer, conn: socket.socket) -> None:
    server.trickle(conn, byte_by_byte(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 500), 0.2)


def _trickled_headers(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    server.trickle(conn, (b"X-%d: a\r\n" % i for i in range(10_000)), 0.2)


def _trickled_body(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    server.trickle(conn, (b" " for _ in range(100_000)), 0.2)


@pytest.mark.parametrize("handler", [_trickled_head, _trickled_headers, _trickled_body],
                         ids=["head byte by byte", "a header line every 0.2 s", "body byte by byte"])
def test_a_trickling_answer_is_a_read_timeout_within_the_timeout(handler) -> None:  # type: ignore[no-untyped-def]
    with RawServer(handler) as server:
        auth = timed_auth(server)
    assert (auth["status"], auth["code"]) == ("fail", "read_timeout"), auth
    assert "did not arrive whole within 1.5 s" in auth["summary"]
    assert auth["exit_code"] == 1
    # Per-read timeouts alone never end these (a byte every 0.2 s); the step's deadline does.
    assert auth["duration_ms"] / 1000 < TIMEOUT_S + 1.0, auth
    assert auth["wall_s"] < TIMEOUT_S + 4, auth


def _endless_body(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
    chunk = b'{"id": "m"},' * 5000
    while server.running:
        conn.sendall(chunk)


def _endless_headers(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    i = 0
    while server.running:
        conn.sendall(b"X-%d: a\r\n" % i)
        i += 1


@pytest.mark.parametrize("handler", [_endless_body, _endless_headers], ids=["body", "headers"])
def test_an_answer_without_end_is_response_too_long(handler) -> None:  # type: ignore[no-untyped-def]
    with RawServer(handler) as server:
        auth = timed_auth(server)
    assert (auth["status"], auth["code"]) == ("fail", "response_too_long"), auth
    assert auth["fixes"] and auth["exit_code"] == 1
    assert auth["duration_ms"] / 1000 < TIMEOUT_S + 1.0, auth
