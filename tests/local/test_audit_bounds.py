"""Audit of issue 8, "every value read from a server is validated; a bad shape is a diagnosis":
event-stream chunks that the SDK's JSON parser itself refuses (nested deeper than it goes, a
number longer than int() converts) are `stream_malformed`, not "the connection was cut".
Through the installed CLI against a raw loopback server.
"""

from __future__ import annotations

import socket
import sys

import pytest

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
