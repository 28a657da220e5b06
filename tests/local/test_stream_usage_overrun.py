"""A reply only a little past the token limit, which only the server's own usage proves
(`max_tokens_ignored`, `data.limit_evidence: "usage"`), through the installed CLI on the Responses
API: a loopback server that streams 20 short deltas and reports `output_tokens: 30` in
`response.completed` whatever `max_output_tokens` said, as LiteLLM 1.108.7's mock replies do on chat
(tests/machine/test_real_server.py; its Responses stream of a mock reply fails, so it cannot show
this). 20 deltas are under chat-doctor's read bound for 16 (2 x 16 + 16): the read bound alone
would let it pass. The events are the mock's own builders (doctor/mock/responses_wire.py).
"""

from __future__ import annotations

import json
import socket
from typing import Any, Dict, List

from doctor.mock import responses_wire as rw
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.raw_server import RawServer

DELTAS = 20
REPORTED = 30
LIMIT = 16


def _events(max_output_tokens: int) -> List[Dict[str, Any]]:
    meta = rw.ResponseMeta.new("gpt-4o-mini", max_output_tokens, obfuscation=False)
    text = "ab " * DELTAS
    opened = rw.response_object(meta, "in_progress", [])
    done = rw.response_object(meta, "completed", [rw.message_item(meta, text, "completed")], rw.usage(9, REPORTED))
    return [
        rw.lifecycle_event("response.created", opened), rw.lifecycle_event("response.in_progress", opened),
        rw.output_item_event("response.output_item.added", rw.message_item(meta, None, "in_progress")),
        rw.content_part_event("response.content_part.added", meta, ""),
        *(rw.text_delta_event(meta, "ab ") for _ in range(DELTAS)),
        rw.text_done_event(meta, text), rw.content_part_event("response.content_part.done", meta, text),
        rw.output_item_event("response.output_item.done", rw.message_item(meta, text, "completed")),
        rw.lifecycle_event("response.completed", done),
    ]


def _read_body(conn: socket.socket, head: bytes) -> Dict[str, Any]:
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    body = head.split(b"\r\n\r\n", 1)[1]
    while len(body) < length:
        more = conn.recv(65536)
        if not more:
            break
        body += more
    return json.loads(body[:length])


def _responses(_server: RawServer, conn: socket.socket) -> None:
    head = b""
    while b"\r\n\r\n" not in head:
        more = conn.recv(65536)
        if not more:
            return
        head += more
    request = _read_body(conn, head)
    events = _events(request.get("max_output_tokens") or 0)
    body = b"".join(rw.sse_event(dict(event, sequence_number=n)) for n, event in enumerate(events))
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body)


def smoke(server: RawServer) -> Run:
    run = run_subprocess(["smoke", "--json", "--api", "responses", "--max-tokens", str(LIMIT), "--model", "gpt-4o-mini",
                          "--base-url", server.url + "/v1", "--timeout", "10"],
                         env={"OPENAI_API_KEY": CANARY_KEY}, timeout=120)
    assert_no_key(run)
    return run


def test_a_short_overrun_on_the_responses_api_is_proved_by_its_output_tokens() -> None:
    with RawServer(_responses, read_first=False) as server:
        run = smoke(server)
    result = run.check("stream.responses")
    assert (run.exit_code, result["status"], result["code"]) == (0, "warn", "max_tokens_ignored"), run.output
    assert result["summary"] == (f"the server ignored the token limit: the server's usage reports {REPORTED} "
                                 f"output tokens for max_output_tokens {LIMIT}"), result
    assert result["data"]["limit"] == {"kind": "tokens", "bound": LIMIT, "observed": REPORTED, "unit": "tokens"}
    assert (result["data"]["limit_field"], result["data"]["limit_evidence"]) == ("max_output_tokens", "usage")
    one = run.json["smoke_responses"]["runs"][0]
    # Read to the end (no bound stopped it): every delta, and the usage the terminal event reported.
    assert (one["overrun"], one["completion_tokens"], one["content_chunks"]) == (None, REPORTED, DELTAS), one
