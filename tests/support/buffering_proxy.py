"""A real reverse proxy for tests: Debian's nginx on loopback, in front of a mock server.

`nginx_in_front_of(upstream, directory)` writes a config into `directory` (pid, logs, temp
paths all there), starts nginx as a foreground single process (`daemon off; master_process
off`) with one server block per `Origin`, each on its own free 127.0.0.1 port and proxying to
`upstream`, and stops it on exit. The `nginx_proxy` fixture does the same for a test, in its
`tmp_path`; a machine without nginx skips with the reason (`.ci/run` installs Debian's `nginx`).

What nginx 1.22 does with a paced event stream (tests/local/test_buffering_proxy.py measures it):

- `buffering`, `proxy_buffering on` alone, does not hold it: nginx reads the upstream into its
  buffers as fast as it can, but passes each read on to a client that keeps up (its buffers are
  "recycled", which the write filter flushes), so the stream stays paced.
- `gzip`, buffering on plus `gzip on; gzip_types text/event-stream;`, holds it whole for a client
  that accepts gzip: the gzip filter deflates without flushing and the head waits for the first
  compressed bytes, so the head and every event arrive in one burst at the end. With
  `Accept-Encoding: identity` the same location streams paced: compression is the cause.
- `unbuffered`, `proxy_buffering off`, passes every read at once; `gzip_unbuffered` adds gzip and
  is still paced, because nginx flushes the compressor after every upstream read when not
  buffering.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, Mapping, Optional

import pytest

# Each origin's own directives, on top of the proxy_pass every server block has.
ORIGINS: Mapping[str, str] = {
    "buffering": "proxy_buffering on; proxy_buffers 8 64k; proxy_buffer_size 64k;",
    "unbuffered": "proxy_buffering off;",
    "gzip": "proxy_buffering on; proxy_buffers 8 64k; proxy_buffer_size 64k; "
            "gzip on; gzip_types text/event-stream;",
    "gzip_unbuffered": "proxy_buffering off; gzip on; gzip_types text/event-stream;",
}
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
_BIND_ATTEMPTS = 3  # free ports are picked before nginx binds them: another process may win one
_SBIN = "/usr/sbin:/sbin:/usr/local/sbin"


@dataclass(frozen=True)
class Origin:
    """One server block of the proxy: its name (a key of ORIGINS) and loopback port."""

    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"


@dataclass(frozen=True)
class NginxProxy:
    origins: Mapping[str, Origin]
    upstream: str  # host:port nginx proxies to
    directory: Path  # config, pid, logs and temp files

    def __getitem__(self, name: str) -> Origin:
        return self.origins[name]

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"


class NginxStartError(RuntimeError):
    """nginx exited or never listened; the message carries the end of its error log."""


def nginx_binary() -> Optional[str]:
    """The nginx executable, also where a non-root PATH leaves out the sbin folders."""
    return shutil.which("nginx") or shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:{_SBIN}")


def require_nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)")
    return binary


def render_config(directory: Path, upstream: str, ports: Mapping[str, int]) -> str:
    """nginx.conf for one foreground process, everything it writes kept inside `directory`."""
    d = directory
    servers = "\n".join(
        f"    server {{\n        listen 127.0.0.1:{ports[name]};\n        location / {{\n"
        f"            proxy_pass http://{upstream};\n            proxy_http_version 1.1;\n"
        f"            proxy_set_header Connection \"\";\n            {directives}\n        }}\n    }}"
        for name, directives in ORIGINS.items()
    )
    return f"""# Written by tests/support/buffering_proxy.py
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
lock_file {d}/nginx.lock;
error_log {d}/error.log notice;
events {{
    worker_connections 64;
}}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{servers}
}}
"""


@contextmanager
def nginx_in_front_of(upstream: str, directory: Path) -> Iterator[NginxProxy]:
    """nginx listening on a free loopback port per origin, proxying to `upstream` (host:port)."""
    binary = require_nginx()
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(_BIND_ATTEMPTS):
        ports = {name: _free_port() for name in ORIGINS}
        config = directory / "nginx.conf"
        config.write_text(render_config(directory, upstream, ports))
        process = subprocess.Popen(
            [binary, "-p", str(directory), "-c", str(config), "-e", str(directory / "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(process, ports.values(), directory)
        except NginxStartError as error:
            _stop(process)
            if "Address already in use" in str(error) and attempt + 1 < _BIND_ATTEMPTS:
                continue
            raise
        try:
            yield NginxProxy({name: Origin(name, port) for name, port in ports.items()}, upstream, directory)
        finally:
            _stop(process)
        return


@pytest.fixture
def nginx_proxy(tmp_path: Path) -> Iterator[Callable[[str], NginxProxy]]:
    """A factory: `nginx_proxy(mock.url)` starts nginx in front of that server, stopped after the test."""
    require_nginx()
    with ExitStack() as stack:
        count = iter(range(1000))

        def start(upstream_url: str) -> NginxProxy:
            upstream = upstream_url.split("://", 1)[-1].rstrip("/")
            return stack.enter_context(nginx_in_front_of(upstream, tmp_path / f"nginx-{next(count)}"))

        yield start


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(process: subprocess.Popen, ports: Iterable[int], directory: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting: Dict[int, bool] = {port: False for port in ports}
    while not all(waiting.values()):
        if process.poll() is not None:
            raise NginxStartError(f"nginx exited with {process.returncode}: {_log_tail(directory)}")
        if time.monotonic() > deadline:
            raise NginxStartError(f"nginx did not listen within {START_TIMEOUT_S:.0f} s: {_log_tail(directory)}")
        for port, up in waiting.items():
            if not up:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    waiting[port] = True
                except OSError:
                    pass
        time.sleep(0.02)


def _log_tail(directory: Path) -> str:
    try:
        return " | ".join((directory / "error.log").read_text(errors="replace").splitlines()[-5:])
    except OSError:
        return "(no error log)"


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (nginx's fast shutdown), then SIGKILL if it has not exited in STOP_TIMEOUT_S."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
