"""A request written before urllib3 is imported (doctor.net.presend), against real loopback peers.

It must be the serial path's request byte for byte (recorded on the wire, head start vs serial,
and through the CLI), one connection per exchange, written before urllib3 is in sys.modules,
and every answer and failure must read as the serial path reads it: closed, trickled, silent,
50 MB, a gzip bomb, a refused port.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, List, Tuple

import pytest

from doctor import session
from doctor.net.http import MAX_BODY_BYTES, HttpExchange, exchange
from doctor.settings import Settings
from tests.support.helpers import CANARY_KEY, REPO, assert_no_key, run_subprocess
from tests.support.raw_server import RawServer, http_answer

pytestmark = pytest.mark.timeout(120)

TIMEOUT_S = 1.0
HEADERS = {"Accept": "application/json", "User-Agent": "chat-doctor/test", "Authorization": f"Bearer {CANARY_KEY}"}
MODELS = b'{"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "system"}]}'


class Recording:
    """A raw server that keeps each connection's request head, then lets `behave` answer."""

    def __init__(self, behave: Callable[[RawServer, socket.socket], None]) -> None:
        self.heads: List[bytes] = []
        self.behave = behave
        self.server = RawServer(self._handle, read_first=False)

    def _handle(self, server: RawServer, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(65536)
            if not piece:
                return
            data += piece
        self.heads.append(data)
        self.behave(server, conn)

    def __enter__(self) -> Recording:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


def _answer(body: bytes, *extra: str) -> Callable[[RawServer, socket.socket], None]:
    return lambda _server, conn: conn.sendall(http_answer(body, extra=list(extra)))


def _closed(_server: RawServer, _conn: socket.socket) -> None:
    pass  # the handler's end closes the connection: no answer at all


def _half_head(_server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: appl")


def _trickled_head(server: RawServer, conn: socket.socket) -> None:
    server.trickle(conn, (bytes([b]) for b in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 100), 0.1)


def _silent(server: RawServer, _conn: socket.socket) -> None:
    while server.running:
        time.sleep(0.05)


def _fifty_mb(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n")
    chunk = b" " * 65536
    for _ in range(800):
        if not server.running:
            return
        conn.sendall(chunk)


BOMB = gzip.compress(b"\0" * (8 * 1024 * 1024))  # 8 MB inflated from a few KB


def _gzip_bomb(_server: RawServer, conn: socket.socket) -> None:
    conn.sendall(http_answer(BOMB, extra=["Content-Encoding: gzip"]))


def _both(behave: Callable[[RawServer, socket.socket], None]) -> Tuple[HttpExchange, HttpExchange, List[bytes]]:
    """The same exchange with the head start's early write and the serial path's, one server."""
    with Recording(behave) as peer:
        url = peer.server.url + "/v1/models"
        early = exchange("GET", url, headers=HEADERS, timeout_s=TIMEOUT_S, early=True)
        serial = exchange("GET", url, headers=HEADERS, timeout_s=TIMEOUT_S)
        connections = peer.server.connections
    assert connections == 2, "one connection per exchange"
    return early, serial, peer.heads


def _reading(answer: HttpExchange) -> Tuple[Any, ...]:
    failure = answer.failure
    return (answer.status, answer.reason, failure and (failure.phase, failure.kind, failure.message),
            answer.body_truncated, len(answer.body), answer.header("content-type"))


@pytest.mark.parametrize("behave", [
    _answer(MODELS), _answer(b"", "Location: http://127.0.0.1:1/elsewhere"), _closed, _half_head, _trickled_head,
    _silent, _fifty_mb, _gzip_bomb,
], ids=["models", "no body", "closed", "half a head", "trickled head", "silent", "50 MB", "gzip bomb"])
def test_the_early_write_is_urllib3s_bytes_and_reads_as_the_serial_path(behave: Callable[..., None]) -> None:
    early, serial, heads = _both(behave)
    assert heads[0] == heads[1], heads
    assert heads[0].startswith(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:")
    assert (early.presend, serial.presend) == ("matched", None)
    assert _reading(early) == _reading(serial)
    assert set(early.timings_ms) == set(serial.timings_ms)


def test_the_failures_are_the_ones_each_peer_calls_for() -> None:
    # What _reading compares, pinned: a parity of two wrong answers would pass the test above.
    expected = {_closed: ("response", "closed"), _trickled_head: ("response", "too_slow"),
                _silent: ("response", "timeout"), _fifty_mb: ("body", "too_long"), _gzip_bomb: ("body", "too_long")}
    for behave, (phase, kind) in expected.items():
        early, _serial, _heads = _both(behave)
        assert early.failure is not None and (early.failure.phase, early.failure.kind) == (phase, kind), early.failure
    assert len(early.body) == MAX_BODY_BYTES and early.body_truncated


def test_a_refused_port_is_refused_once_and_nothing_is_written() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1/models"
    early = exchange("GET", url, headers=HEADERS, timeout_s=TIMEOUT_S, early=True)
    serial = exchange("GET", url, headers=HEADERS, timeout_s=TIMEOUT_S)
    assert early.failure is not None and (early.failure.phase, early.failure.kind) == ("connect", "refused")
    assert (_reading(early), early.presend) == (_reading(serial), None)


def test_over_ipv6_loopback_too() -> None:
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6")
    heads: List[bytes] = []
    with socket.socket(socket.AF_INET6) as listener:
        try:
            listener.bind(("::1", 0))
        except OSError as exc:
            pytest.skip(f"this machine has no ::1 ({exc})")
        listener.listen(4)
        url = f"http://[::1]:{listener.getsockname()[1]}/v1/models"
        for early in (True, False):
            # One answer waiting in the accept queue: the client writes, the listener reads and answers after.
            client_result: List[HttpExchange] = []
            thread = threading.Thread(target=_exchange_into, args=(client_result, url, early))
            thread.start()
            conn, _ = listener.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                heads.append(data)
                conn.sendall(http_answer(MODELS))
            thread.join(10)
            assert client_result[0].status == 200 and client_result[0].presend == ("matched" if early else None)
    assert heads[0] == heads[1] and b"\r\nHost: [::1]:" in heads[0]


def _exchange_into(results: List[HttpExchange], url: str, early: bool) -> None:
    results.append(exchange("GET", url, headers=HEADERS, timeout_s=TIMEOUT_S, early=early))


_BEFORE_URLLIB3 = """
import json, sys
from doctor.net.http import exchange
seen = []
answer = exchange("GET", sys.argv[1], headers={"User-Agent": "t", "Authorization": "Bearer x"}, timeout_s=5,
                  early=True, on_sent=lambda: seen.append("urllib3" in sys.modules))
print(json.dumps({"status": answer.status, "presend": answer.presend, "urllib3_when_sent": seen}))
"""


def test_the_request_is_written_before_urllib3_is_imported() -> None:
    with Recording(_answer(MODELS)) as peer:
        proc = subprocess.run([sys.executable, "-c", _BEFORE_URLLIB3, peer.server.url + "/v1/models"],
                              capture_output=True, text=True, timeout=60, cwd=str(REPO), check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"status": 200, "presend": "matched", "urllib3_when_sent": [False]}


def test_through_the_cli_the_head_start_writes_what_the_serial_path_writes() -> None:
    with Recording(_answer(MODELS)) as peer:
        base_url = peer.server.url + "/v1"
        run = run_subprocess(["check", "--json", "--base-url", base_url, "--timeout", "5"],
                             env={"OPENAI_API_KEY": CANARY_KEY})
        settings = Settings(env={"OPENAI_API_KEY": CANARY_KEY}, base_url=base_url, timeout_s=5)
        session.run(session.plan(settings), groups=("config", "net", "api"))  # no command: the serial path
    assert run.check("api.auth")["status"] == "ok"
    assert_no_key(run)
    assert len(peer.heads) == 2 and peer.heads[0] == peer.heads[1], peer.heads
    assert f"\r\nAuthorization: Bearer {CANARY_KEY}\r\n".encode() in peer.heads[0]


_TIMED_IMPORT = """
import json, sys, time
from doctor.net import http
loaded = {}
real_import = http.import_urllib3
def timed_import():
    module = real_import()
    loaded.setdefault("at", time.perf_counter())
    return module
http.import_urllib3 = timed_import
started = time.perf_counter()
answer = http.exchange("GET", sys.argv[1], headers={"User-Agent": "t"}, timeout_s=5, early=True)
print(json.dumps({"status": answer.status, "presend": answer.presend, "timings": answer.timings_ms,
                  "loaded_ms": (loaded["at"] - started) * 1000}))
"""


def _script_against(script: str, behave: Callable[[RawServer, socket.socket], None]) -> Any:
    """What `script` prints (JSON), run in a fresh interpreter against a server that does `behave`."""
    with Recording(behave) as peer:
        proc = subprocess.run([sys.executable, "-c", script, peer.server.url + "/v1/models"],
                              capture_output=True, text=True, timeout=60, cwd=str(REPO), check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_an_answer_that_waited_while_urllib3_loaded_is_timed_when_it_came_not_when_read() -> None:
    # The server answers at once; urllib3 takes tens of ms to load in a fresh interpreter. The
    # head's mark must be the moment it arrived (before urllib3 was loaded), not when it was read.
    out = _script_against(_TIMED_IMPORT, _answer(MODELS))
    assert (out["status"], out["presend"]) == (200, "matched")
    assert out["timings"]["first_byte"] < out["loaded_ms"], out


_UNREAD = """
import json, sys, threading, time
from doctor.net.http import Urllib3Unavailable, exchange
try:
    exchange("GET", sys.argv[1], headers={"User-Agent": "t", "Authorization": "Bearer x"}, timeout_s=30, early=True)
except Urllib3Unavailable as exc:
    time.sleep(0.5)  # a watcher left waiting on the socket would still be here (its select runs for timeout_s)
    threads = sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
    print(json.dumps({"sent": exc.sent, "threads": threads, "urllib3_seen": "urllib3" in sys.modules}))
"""


def _unread(peer: Recording, *python_flags: str, pythonpath: str) -> Any:
    proc = subprocess.run([sys.executable, *python_flags, "-c", _UNREAD, peer.server.url + "/v1/models"],
                          capture_output=True, text=True, timeout=60, cwd=str(REPO), check=False,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": pythonpath})
    assert proc.returncode == 0 and proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def test_a_urllib3_that_fails_to_import_after_the_write_is_reported_as_sent(tmp_path: Any) -> None:
    # Found on the path, broken on import (a half-installed urllib3): the request left first,
    # so the key did; the failure says so, and no thread is left behind on the dropped socket.
    (tmp_path / "urllib3").mkdir()
    (tmp_path / "urllib3" / "__init__.py").write_text("raise ImportError('half installed')\n")
    with Recording(_silent) as peer:
        out = _unread(peer, pythonpath=f"{tmp_path}:{REPO}")
        time.sleep(0.2)
        heads = list(peer.heads)
    assert len(heads) == 1 and heads[0].startswith(b"GET /v1/models HTTP/1.1\r\n"), heads
    assert out == {"sent": True, "threads": [], "urllib3_seen": False}, out


def test_nothing_is_written_where_urllib3_is_not_to_be_found() -> None:
    # -S: no site-packages, so no urllib3 on the path (doctor itself needs only the stdlib here).
    with Recording(_silent) as peer:
        out = _unread(peer, "-S", pythonpath=str(REPO))
        time.sleep(0.2)
        connections = peer.server.connections
    assert connections == 0
    assert out == {"sent": False, "threads": [], "urllib3_seen": False}, out


_SLOW_IMPORT = """
import json, sys, time
from doctor.net import http
real_import = http.import_urllib3
def slow_import():
    time.sleep(0.6)  # a slow disk: urllib3 takes 0.6 s to load
    return real_import()
http.import_urllib3 = slow_import
answers = {}
for early in (True, False):
    answer = http.exchange("GET", sys.argv[1], headers={"User-Agent": "t"}, timeout_s=1.0, early=early)
    answers["early" if early else "serial"] = [answer.status, answer.failure and [answer.failure.phase, answer.failure.kind,
                                                                                 answer.failure.message]]
print(json.dumps(answers))
"""


def _late(_server: RawServer, conn: socket.socket) -> None:
    time.sleep(1.3)  # past the 1 s timeout after the request arrived, within 1 s after a 0.6 s import
    try:
        conn.sendall(http_answer(MODELS))
    except OSError:  # the client gave up, as it should
        pass


def test_the_servers_time_is_bounded_from_the_write_not_from_urllib3s_load() -> None:
    out = _script_against(_SLOW_IMPORT, _late)
    assert out["early"] == out["serial"] == [None, ["response", "timeout", "no response within the read timeout"]], out


def _slow_body(_server: RawServer, conn: socket.socket) -> None:
    time.sleep(0.3)  # the head waits whole while urllib3 loads (0.6 s): what is left of the head's 1 s is 0.4 s
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(MODELS))
    time.sleep(0.8)  # within the 1 s read timeout, past what was left of the head's
    try:
        conn.sendall(MODELS)
    except OSError:
        pass


def test_the_bodys_reads_get_the_whole_read_timeout_after_an_early_head() -> None:
    out = _script_against(_SLOW_IMPORT, _slow_body)
    assert out["early"] == out["serial"] == [200, None], out


_NO_DESCRIPTORS = """
import json, os, resource, sys
import urllib3, urllib3.connection, urllib3.connectionpool  # loaded first: an import needs descriptors too
import doctor.net.presend, doctor.net.tls, doctor.net.urllib3_loads
from doctor.net.http import exchange
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
held = []
try:
    while True:
        held.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
answers = {}
for early in (True, False):
    answer = exchange("GET", sys.argv[1], headers={"User-Agent": "t"}, timeout_s=1.0, early=early)
    answers["early" if early else "serial"] = [answer.status, answer.failure and [answer.failure.phase, answer.failure.kind],
                                               answer.presend]
for fd in held:
    os.close(fd)
print(json.dumps(answers))
"""


def test_no_descriptor_left_reads_as_the_serial_path_reads_it() -> None:
    # EMFILE where the socket is made: an OSError that is neither ResolveError nor ConnectError.
    out = _script_against(_NO_DESCRIPTORS, _answer(MODELS))
    assert out["early"] == out["serial"], out
    assert out["serial"][0] is None and out["serial"][1] is not None, out
