"""Helpers for talking to the local endpoint (doctor.mock) at the wire level, with timestamps.

`raw_exchange` sends one request on a fresh socket and parses the response by hand, recording
when the head and each HTTP chunk arrived, whether the body ended with the last chunk, and
whether the server closed early or went silent. Other test modules may import these.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import CANARY_KEY

TEST_KEY = "sk-test-0123456789abcdef"
CHAT_PATH = "/v1/chat/completions"


@contextlib.contextmanager
def running(scenario: str = "ok", **options: Any) -> Iterator[MockServer]:
    """A started MockServer on 127.0.0.1:<free port>, stopped afterwards."""
    with MockServer(MockOptions(scenario=scenario, **options)) as server:
        yield server


def env_for(server: MockServer, key: str = CANARY_KEY) -> Dict[str, str]:
    """The SDK's variables pointing at `server`, with the canary key."""
    return {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": key}


def chat_body(stream: bool = False, model: str = "gpt-4o-mini", **extra: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "Say hello"}]}
    if stream:
        body["stream"] = True
    body.update(extra)
    return body


@dataclass
class RawResponse:
    status: int = 0
    headers: Dict[str, str] = field(default_factory=dict)  # lowercased names, last value wins
    head_at: float = 0.0  # seconds from request sent to the head being parsed
    body: bytes = b""  # for Content-Length bodies
    chunks: List[Tuple[float, bytes]] = field(default_factory=list)  # (seconds, payload)
    complete: bool = False  # a Content-Length body read whole, or the last chunk (0) arrived
    closed_early: bool = False  # EOF or reset before the body was complete
    timed_out: bool = False  # no byte for `read_timeout` seconds

    @property
    def events(self) -> List[str]:
        """One string per HTTP chunk: the SSE event text without its trailing blank line."""
        return [payload.decode("utf-8").rstrip("\n") for _, payload in self.chunks]

    @property
    def data(self) -> List[str]:
        """The `data:` values, comments left out."""
        return [e[len("data: "):] for e in self.events if e.startswith("data: ")]

    def json_chunks(self) -> List[Dict[str, Any]]:
        return [json.loads(d) for d in self.data if d != "[DONE]"]

    def json(self) -> Any:
        return json.loads(self.body)


def open_socket(server: MockServer, tls: Optional[ssl.SSLContext] = None, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
    return sock


def raw_exchange(
    server: MockServer,
    method: str,
    path: str,
    body: Any = None,
    key: Optional[str] = TEST_KEY,
    headers: Optional[Mapping[str, str]] = None,
    tls: Optional[ssl.SSLContext] = None,
    read_timeout: float = 5.0,
) -> RawResponse:
    sock = open_socket(server, tls, timeout=read_timeout)
    try:
        start = send_request(sock, method, path, body, key, headers)
        return read_response(sock.makefile("rb"), start)
    finally:
        sock.close()


def send_request(
    sock: socket.socket,
    method: str,
    path: str,
    body: Any = None,
    key: Optional[str] = TEST_KEY,
    headers: Optional[Mapping[str, str]] = None,
) -> float:
    payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
    return time.perf_counter()


def read_response(rfile: Any, start: float) -> RawResponse:
    response = RawResponse()
    try:
        _read_head(rfile, response, start)
        if response.headers.get("transfer-encoding") == "chunked":
            _read_chunks(rfile, response, start)
        else:
            length = int(response.headers.get("content-length", "0"))
            response.body = rfile.read(length)
            response.complete = len(response.body) == length
            response.closed_early = not response.complete
    except socket.timeout:
        response.timed_out = True
    except (ConnectionError, ssl.SSLError):
        response.closed_early = True
    return response


def _read_head(rfile: Any, response: RawResponse, start: float) -> None:
    status_line = rfile.readline()
    if not status_line:
        raise ConnectionError("no response")
    response.status = int(status_line.split()[1])
    while True:
        line = rfile.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        response.headers[name.strip().lower()] = value.strip()
    response.head_at = time.perf_counter() - start


def _read_chunks(rfile: Any, response: RawResponse, start: float) -> None:
    while True:
        size_line = rfile.readline()
        if not size_line:
            response.closed_early = True
            return
        size = int(size_line.strip(), 16)
        if size == 0:
            rfile.readline()
            response.complete = True
            return
        payload = rfile.read(size)
        rfile.readline()
        response.chunks.append((time.perf_counter() - start, payload))
