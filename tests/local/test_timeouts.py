"""`--timeout` bounds every network step: silent addresses, silent servers, silent TLS peers,
silent proxies and a hung resolver all finish within the timeout plus a little, and nothing
is retried behind the user's back."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Iterator, List

import pytest

from doctor.mock.server import MockOptions, MockServer
from doctor.net import resolve as resolve_module
from tests.support.helpers import CANARY_KEY, Run, run_cli, run_subprocess
from tests.support.raw_server import never_accepting

pytestmark = pytest.mark.timeout(60)

BOUND_S = 4.0  # "--timeout 1 finishes within about 2 s", asserted generously


def check(base_url: str, *extra: str, env: dict = None, subprocess: bool = False) -> "tuple[Run, float]":
    args = ["check", "--json", "--base-url", base_url, "--timeout", "1", *extra]
    full_env = {"OPENAI_API_KEY": CANARY_KEY, **(env or {})}
    started = time.monotonic()
    run = run_subprocess(args, env=full_env) if subprocess else run_cli(args, env=full_env)
    elapsed = time.monotonic() - started
    assert CANARY_KEY not in run.output
    return run, elapsed


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections, reads what arrives, never writes a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    port = server.getsockname()[1]
    stop = threading.Event()
    held: List[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def test_an_address_that_never_answers_finishes_within_the_timeout() -> None:
    with never_accepting() as port:
        run, elapsed = check(f"http://127.0.0.1:{port}/v1")
    tcp = run.check("net.tcp")
    assert (tcp["status"], tcp["code"]) == ("fail", "connect_timeout"), tcp
    assert elapsed < BOUND_S, elapsed
    assert run.exit_code == 1


def test_the_same_as_a_real_process() -> None:
    with never_accepting() as port:
        run, elapsed = check(f"https://127.0.0.1:{port}/v1", subprocess=True)
    assert run.check("net.tcp")["code"] == "connect_timeout"
    assert elapsed < BOUND_S + 1.0, elapsed  # plus interpreter start-up


def test_a_server_that_accepts_and_never_answers_http() -> None:
    with silent_server() as port:
        run, elapsed = check(f"http://127.0.0.1:{port}/v1")
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("fail", "read_timeout"), auth
    assert elapsed < BOUND_S, elapsed


def test_a_server_that_accepts_and_never_answers_tls() -> None:
    with silent_server() as port:
        run, elapsed = check(f"https://127.0.0.1:{port}/v1")
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("fail", "tls_handshake_failed"), tls
    assert "in time" in tls["summary"]
    assert elapsed < BOUND_S, elapsed


def test_a_proxy_that_never_answers_connect() -> None:
    with silent_server() as proxy_port:
        run, elapsed = check("https://api.chat-doctor.test/v1", env={"HTTPS_PROXY": f"http://127.0.0.1:{proxy_port}"})
    tcp = run.check("net.tcp")
    assert (tcp["status"], tcp["code"]) == ("fail", "proxy_unreachable"), tcp
    assert elapsed < BOUND_S, elapsed


def test_a_slow_api_is_a_read_timeout_and_is_not_retried() -> None:
    with MockServer(MockOptions(scenario="slow", slow_delay_ms=3000)) as server:
        run, elapsed = check(server.base_url)
        records = list(server.requests)
    assert run.check("api.auth")["code"] == "read_timeout"
    assert elapsed < BOUND_S, elapsed
    assert len(records) == 1  # no silent retry


def test_a_resolver_that_hangs_is_abandoned_at_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo has no timeout of its own; this stands in for a dead DNS server."""
    release = threading.Event()

    def hung(*args: object, **kwargs: object) -> list:
        release.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(resolve_module.socket, "getaddrinfo", hung)
    started = time.monotonic()
    with pytest.raises(resolve_module.ResolveError) as caught:
        resolve_module.resolve("api.example.test", 443, 0.5)
    release.set()
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3.0  # the 0.5 s timeout, not the resolver's 10 s
