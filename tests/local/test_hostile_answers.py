"""Answers no API should give, through the real CLI against real loopback servers: every one is a
diagnosis (`not_openai_api`, `read_timeout`, `response_too_long`, ...), never `check_crashed`,
and a server that keeps sending, or sends too slowly, is stopped by the step's own bounds in
about `--timeout` (never by the per-check deadline's `check_timeout`)."""

from __future__ import annotations

import socket
import time
from typing import Dict

import pytest

from tests.support.helpers import CANARY_KEY, Run, run_cli
from tests.support.raw_server import RawServer, answering, byte_by_byte

pytestmark = pytest.mark.timeout(60)

TIMEOUT_S = 1.5
# What a bounded step may take beyond --timeout on a loaded machine (trust loading, threads).
# Unbounded, each trickle here would run for minutes: the pytest timeout would end it first.
SLACK_S = 2.0


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
    assert auth["duration_ms"] / 1000 < TIMEOUT_S + SLACK_S, auth
    assert auth["wall_s"] < TIMEOUT_S + 2 * SLACK_S, auth


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
    assert auth["duration_ms"] / 1000 < TIMEOUT_S + SLACK_S, auth


# --------------------------------------------------------------------------------------------
# net.tls: a handshake that trickles; net.tcp: a proxy's answer to CONNECT
# --------------------------------------------------------------------------------------------


def test_a_trickling_tls_handshake_ends_within_the_timeout() -> None:
    # A TLS record header announcing 16 KB, then one byte of it every 0.2 s: OpenSSL keeps
    # waiting for the record, and a per-read timeout alone would never fire.
    def handle(server: RawServer, conn: socket.socket) -> None:
        conn.sendall(b"\x16\x03\x03\x40\x00")
        server.trickle(conn, (b"\x02" for _ in range(16_384)), 0.2)

    with RawServer(handle) as server:
        run = run_cli(["check", "--json", "--timeout", f"{TIMEOUT_S:g}", "--base-url", f"https://127.0.0.1:{server.port}/v1"],
                      env={"OPENAI_API_KEY": CANARY_KEY})
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("fail", "tls_handshake_failed"), tls
    assert "in time" in tls["summary"] or "timed out" in tls["summary"], tls["summary"]
    assert tls["duration_ms"] / 1000 < TIMEOUT_S + SLACK_S, tls
    assert run.exit_code == 1


def _tunnel_run(handler) -> Dict[str, Dict[str, object]]:  # type: ignore[no-untyped-def]
    with RawServer(handler) as proxy:
        run = run_cli(["check", "--json", "--timeout", f"{TIMEOUT_S:g}", "--base-url", "https://api.example.invalid/v1"],
                      env={"OPENAI_API_KEY": CANARY_KEY, "HTTPS_PROXY": proxy.url})
    assert run.exit_code == 1
    return {c["id"]: c for c in run.json["checks"]}


def _connect_trickled(server: RawServer, conn: socket.socket) -> None:
    server.trickle(conn, byte_by_byte(b"HTTP/1.1 200 Connection established\r\nX-Pad: " + b"a" * 5000), 0.2)


def _connect_endless(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n")
    while server.running:
        conn.sendall(b"X-Pad: a\r\n" * 100)


def _connect_cut(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n")


def _connect_odd_digits(server: RawServer, conn: socket.socket) -> None:
    conn.sendall("HTTP/1.1 ²00 OK\r\n\r\n".encode("latin-1"))  # str.isdigit() says yes, int() says no


@pytest.mark.parametrize(("handler", "words"), [
    (_connect_trickled, "did not answer CONNECT within 1.5 s"),
    (_connect_endless, "went past 64 KB without ending"),
    (_connect_cut, "closed the connection in the middle of its answer"),
    (_connect_odd_digits, "is not HTTP"),
], ids=["trickled", "endless", "cut mid-head", "not ASCII digits"])
def test_a_proxy_answering_connect_badly_is_proxy_unreachable(handler, words: str) -> None:  # type: ignore[no-untyped-def]
    tcp = _tunnel_run(handler)["net.tcp"]
    assert (tcp["status"], tcp["code"]) == ("fail", "proxy_unreachable"), tcp
    assert words in tcp["summary"], tcp["summary"]
    assert tcp["duration_ms"] / 1000 < TIMEOUT_S + SLACK_S, tcp


@pytest.mark.parametrize("handler", [_connect_trickled, _connect_endless], ids=["trickled", "endless"])
def test_the_api_request_through_a_trickling_proxy_is_bounded_too(handler) -> None:  # type: ignore[no-untyped-def]
    # api.auth tunnels with urllib3 (http.client's CONNECT code), not with doctor.net.tunnel;
    # net.tcp fails first in a real run, so the exchange is driven here on its own.
    from doctor.net.http import exchange

    with RawServer(handler) as proxy:
        started = time.monotonic()
        answer = exchange("GET", "https://api.example.invalid/v1/models", headers={}, timeout_s=TIMEOUT_S,
                          proxy_url=proxy.url)
        took = time.monotonic() - started
    assert answer.status is None and answer.failure is not None
    assert answer.failure.phase == "proxy", answer.failure
    assert took < TIMEOUT_S + SLACK_S, (took, answer.failure)
