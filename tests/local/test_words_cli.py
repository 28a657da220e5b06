"""Summaries are shortened between words: never mid-word, never mid-URL."""

from __future__ import annotations

import json
import socket

from tests.support.helpers import CANARY_KEY, run_cli
from tests.support.raw_server import RawServer

URL = "https://platform.openai.com/account/api-keys"


def test_a_long_server_message_is_cut_between_words_in_the_summary() -> None:
    message = ("Incorrect API key provided. " + "This server explains at great length why, " * 3
               + f"and then points at {URL} for help.")
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}})

    def answer(server: RawServer, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nconnection: close\r\n"
                     + f"content-length: {len(body)}\r\n\r\n".encode() + body.encode())

    with RawServer(answer) as server:
        run = run_cli(["check", "--json", "--timeout", "3"],
                      env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.url + "/v1"})
    auth = run.check("api.auth")
    assert auth["code"] == "invalid_api_key"
    summary = auth["summary"]
    shown = summary.split(": ", 1)[1].removesuffix(" …")
    assert message.startswith(shown) and message[len(shown)] == " ", summary
    assert "https://platform.openai" not in summary or URL in summary
    assert summary.endswith(" …")
