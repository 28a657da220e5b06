"""A loopback TCP server whose every connection is handled by a plain function: for answers no
well-behaved HTTP server would send (a head one byte at a time, a body without end, JSON nested
200,000 deep, a proxy that trickles its answer to CONNECT).

    with RawServer(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\\r\\n...")) as server:
        run_cli(["check", "--base-url", server.url + "/v1"])

The handler gets the accepted socket after the client's first bytes were read (the request
head, or a TLS ClientHello); `server.stop()` (or leaving the block) makes trickling handlers end:
they should loop on `server.running`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Callable, Iterable, Iterator, List, Optional

import pytest

Handler = Callable[["RawServer", socket.socket], None]


class RawServer:
    def __init__(self, handler: Handler, *, read_first: bool = True) -> None:
        self.handler = handler
        self.read_first = read_first
        self.running = True
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: List[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True, name="raw server")

    def __enter__(self) -> "RawServer":
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.running = False
        self._accepter.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True, name="raw connection")
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if self.read_first:
                conn.recv(65536)
            self.handler(self, conn)
        except OSError:  # the client went away: what the bounds are for
            pass
        finally:
            conn.close()

    def trickle(self, conn: socket.socket, data: Iterable[bytes], every_s: float) -> None:
        """Send `data` piece by piece, `every_s` apart, while the server runs."""
        for piece in data:
            if not self.running:
                return
            conn.sendall(piece)
            time.sleep(every_s)


def http_answer(body: bytes, status: str = "200 OK", content_type: str = "application/json",
                extra: Optional[List[str]] = None) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
            "Connection: close", *(extra or [])]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def answering(body: bytes, status: str = "200 OK") -> Handler:
    """A handler that sends one whole answer with `body`."""
    def handle(server: RawServer, conn: socket.socket) -> None:
        conn.sendall(http_answer(body, status))
    return handle


def byte_by_byte(data: bytes) -> Iterable[bytes]:
    return (data[i:i + 1] for i in range(len(data)))


@contextlib.contextmanager
def never_accepting() -> Iterator[int]:
    """A port whose accept queue is full: the kernel drops further SYNs, so connect() hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers: List[socket.socket] = []
    try:
        for _ in range(16):
            client = socket.socket()
            client.settimeout(0.2)
            try:
                client.connect(("127.0.0.1", port))
            except OSError:
                client.close()
                break
            fillers.append(client)
        else:
            pytest.skip("could not fill the accept queue on this kernel")
        yield port
    finally:
        for client in fillers:
            client.close()
        server.close()
