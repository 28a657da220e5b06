"""A real forward proxy that holds whole responses: mitmproxy (PyPI), on loopback, for tests.

mitmproxy reads a response body to its end before it forwards any of it unless streaming is
turned on (`--set stream_large_bodies=...` or an addon setting `flow.response.stream`): the way
an inspecting corporate proxy treats an event stream. Measured here with the mock's paced `ok`
scenario (tokens 50 ms apart from 200 ms): direct, the chunks arrive at 200, 250, ... 550 ms;
through mitmdump 12.3 all 3.9 kB arrive in one read at ~580 ms, the head included.
(tests/machine/test_buffer_cause_targets.py checks this before relying on it.)

`mitmproxy_python()` builds (once, cached: tests.support.venvs.make_venv) a venv of Python 3.12
with MITMPROXY; a machine without 3.12 skips. `mitmdump_on_loopback(directory, ...)` starts
mitmdump in regular (forward proxy) mode on a free 127.0.0.1 port, its config and CA in
`directory`, and stops it on exit; each request it forwards is a line of its log (`requests()`).
"""

from __future__ import annotations

import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Sequence

from tests.support.venvs import make_venv, pyenv_python, venv_python

MITMPROXY = "mitmproxy==12.3.1"  # needs Python >= 3.12
MITMPROXY_PYTHON = "3.12"
START_TIMEOUT_S = 60.0  # its first start writes a CA and imports a lot, on a loaded 2-core machine
STOP_TIMEOUT_S = 10.0


def mitmproxy_python() -> Path:
    """The interpreter of a cached venv with mitmproxy (skips without Python 3.12)."""
    return venv_python(make_venv(pyenv_python(MITMPROXY_PYTHON), [MITMPROXY]))


@dataclass(frozen=True)
class Mitmdump:
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self, path_end: str = "/chat/completions") -> List[str]:
        """The request lines it forwarded (flow_detail 1: `<client>: POST http://host/path`)."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return [line for line in lines if f"{path_end}" in line and (" POST " in line or " GET " in line)]


@contextmanager
def mitmdump_on_loopback(directory: Path, extra: Sequence[str] = ()) -> Iterator[Mitmdump]:
    """mitmdump as a forward proxy on 127.0.0.1 (responses held whole: no streaming option)."""
    python = mitmproxy_python()
    mitmdump = python.with_name("mitmdump")
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = directory / "mitmdump.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(mitmdump), "--listen-host", "127.0.0.1", "--listen-port", str(port), "--set", f"confdir={directory}",
             "--set", "flow_detail=1", "--set", "termlog_verbosity=info", *extra],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=directory,
        )
    try:
        _wait_listening(process, port, log)
        yield Mitmdump(port, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mitmdump exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"mitmdump did not listen within {START_TIMEOUT_S:.0f} s") from None
            time.sleep(0.05)
