"""The remaining diagnosis codes through the real CLI, each against a real local peer.

(Most codes are covered next to their checks; these are the ones whose situation needs a
peer of its own: a server that hangs up, a proxy that refuses the tunnel, a SOCKS proxy, a
route the kernel refuses, a stream with no content, an SDK that cannot start.)
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from typing import Iterator

import pytest

from doctor.mock.server import MockOptions, MockServer
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY, Run, run_cli


@pytest.fixture
def hang_up_server() -> Iterator[int]:
    """Accepts, reads the request, and closes without a word (a crashed upstream, a firewall)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            client.settimeout(2)
            try:
                client.recv(65536)
            except OSError:
                pass
            client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()


def _check(*args: str, **env: str) -> Run:
    return run_cli(["check", "--json", "--timeout", "2", *args], env={"OPENAI_API_KEY": CANARY_KEY, **env})


def test_connection_closed_without_an_answer(hang_up_server: int) -> None:
    run = _check("--base-url", f"http://127.0.0.1:{hang_up_server}/v1")
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"], run.exit_code) == ("fail", "connection_closed", 1), auth


def test_proxy_refusing_the_tunnel() -> None:
    with socket.socket() as closed:  # a port nobody listens on: the proxy's CONNECT gets 502
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with ConnectProxy() as proxy:
        run = _check("--base-url", f"https://localhost:{port}/v1", HTTPS_PROXY=proxy.url())
    tcp = run.check("net.tcp")
    assert (tcp["status"], tcp["code"], run.exit_code) == ("fail", "proxy_tunnel_refused", 1), tcp
    assert "502" in tcp["summary"] + " ".join(tcp["details"])


def test_route_the_kernel_refuses() -> None:
    # TCP to a multicast address fails at once with ENETUNREACH on every Linux host.
    run = _check("--base-url", "https://224.0.0.1:9/v1")
    tcp = run.check("net.tcp")
    assert (tcp["status"], tcp["code"], run.exit_code) == ("fail", "connect_failed", 1), tcp


def _smoke(server: MockServer, **env: str) -> Run:
    return run_cli(["smoke", "--json", "--quiet", "--timeout", "5", "--base-url", server.base_url],
                   env={"OPENAI_API_KEY": CANARY_KEY, **env})


def test_stream_that_finishes_with_no_content() -> None:
    with MockServer(MockOptions(reply="")) as server:
        run = _smoke(server)
    chat = run.check("stream.chat")
    assert (chat["status"], chat["code"], run.exit_code) == ("fail", "stream_empty", 1), chat


def test_client_that_cannot_be_created(tmp_path) -> None:
    # The SDK's HTTP client loads SSL_CERT_FILE when it is built, even for http:// URLs.
    with MockServer(MockOptions()) as server:
        run = _smoke(server, SSL_CERT_FILE=str(tmp_path / "missing.pem"))
    chat = run.check("stream.chat")
    assert (chat["status"], chat["code"], run.exit_code) == ("fail", "stream_client_setup", 1), chat


def test_sdk_that_cannot_be_imported() -> None:
    # A broken install: `import openai` fails in chat-doctor's own interpreter.
    boot = "import sys; sys.modules['openai'] = None; from doctor.cli import main; main()"
    with MockServer(MockOptions()) as server:
        proc = subprocess.run(
            [sys.executable, "-c", boot, "smoke", "--json", "--quiet", "--base-url", server.base_url],
            capture_output=True, text=True, timeout=60, env={"OPENAI_API_KEY": CANARY_KEY, "PATH": "/usr/bin:/bin"},
        )
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    chat = run.check("stream.chat")
    assert (chat["status"], chat["code"], run.exit_code) == ("fail", "stream_sdk_unavailable", 1), chat
    assert CANARY_KEY not in run.output
