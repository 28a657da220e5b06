"""A small, real forward proxy on 127.0.0.1 for tests: CONNECT tunnels and absolute-form HTTP.

`ConnectProxy(auth=("user", "pass"))` answers 407 with a `Proxy-Authenticate` challenge until
the client sends matching Basic credentials. Every request is recorded (method, target,
whether credentials came) so tests can assert what went through the proxy.
"""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import threading
from dataclasses import dataclass
from typing import List, Optional, Tuple
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    target: str
    authorized: bool
    status: int


class ConnectProxy:
    def __init__(self, auth: Optional[Tuple[str, str]] = None) -> None:
        self.auth = auth
        self.requests: List[ProxiedRequest] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, with_auth: bool = False) -> str:
        userinfo = f"{self.auth[0]}:{self.auth[1]}@" if with_auth and self.auth else ""
        return f"http://{userinfo}127.0.0.1:{self.port}"

    def __enter__(self) -> "ConnectProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, method: str, target: str, authorized: bool, status: int) -> None:
        with self._lock:
            self.requests.append(ProxiedRequest(method, target, authorized, status))

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        authorized = self._authorized(headers.get("proxy-authorization"))
        if self.auth and not authorized:
            self._record(method, target, False, 407)
            client.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b"Proxy-Authenticate: Basic realm=\"chat-doctor-test\"\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            client.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                self._record(method, target, authorized, 502)
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                client.close()
                return
            self._record(method, target, authorized, 200)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:  # absolute-form request for an http:// origin
            parts = urlsplit(target)
            try:
                upstream = socket.create_connection((parts.hostname, parts.port or 80), timeout=5)
            except OSError:
                self._record(method, target, authorized, 502)
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                client.close()
                return
            self._record(method, target, authorized, 0)
            origin = parts.path + (f"?{parts.query}" if parts.query else "")
            kept = [line for line in lines[1:] if not line.lower().startswith(("proxy-", "connection:"))]
            request = "\r\n".join([f"{method} {origin} HTTP/1.1", *kept, "Connection: close"]) + "\r\n\r\n"
            upstream.sendall(request.encode("latin-1") + rest)
        _relay(client, upstream)

    def _authorized(self, header: Optional[str]) -> bool:
        if not self.auth or not header or not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1]).decode("utf-8")
        except ValueError:
            return False
        return decoded == f"{self.auth[0]}:{self.auth[1]}"


def _relay(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (b if sock is a else a).sendall(data)
    except OSError:
        return
    finally:
        a.close()
        b.close()
