"""The peers of the fault matrix (tests/local/test_fault_matrix.py): what each scenario talks to.

A peer is a context manager factory `peer(workdir) -> Iterator[Setup]`: it starts whatever the
scenario needs on loopback (the mock endpoint, a raw server, a proxy, a TLS server) or writes it
into the run's working directory (a fake interpreter, a `.env`, a CA file), and yields how the
run reaches it: extra arguments (`--base-url`, `--python`), extra environment, and, for the one
scenario that must not run as root, a command prefix and a working directory of its own.

Everything here is a real peer on this machine; a host that is not this machine is a name under
`.invalid`. The fake interpreters are shell scripts, like tests/local/test_probe_targets.py's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from doctor.mock.server import MockOptions, MockServer
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY
from tests.support.raw_server import RawServer, http_answer
from tests.support.raw_server import never_accepting as full_accept_queue
from tests.support.tls_certs import TlsMaterial

# A second key, as random as the canary, that only a `.env` file holds: it must not show either.
DOTENV_KEY = "sk-proj-DOTENVq7Lx2mW9vTz4KpR8sNc3Hy6Jb1Fd5Gg0Qe7Ua2Zi9Ow4Xt6Vr3Ys8Mn1Lk5Pj0Hh7Cc2Bb9Aa4Dd6Ee3Ff8Gg1Hh5Ii0Jj7Kk2Ll9Mm4Nn6Oo3Pp8Qq1Rr5Ss0Tt7Uu2Vv9Ww4Xx6Yy3Zz8"
PROXY_PASSWORD = "pr0xy-" + CANARY_KEY[30:54]  # shares pieces with the key: masked as a password and as the key


class Unavailable(Exception):
    """This machine lacks what the peer needs: the row is skipped with the reason."""


@dataclass(frozen=True)
class Setup:
    """How a run reaches its peer."""

    args: Tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    unset: Tuple[str, ...] = ()  # variables the run must not have (a key only in .env)
    prefix: Tuple[str, ...] = ()  # runs the CLI through this (setpriv, to drop root)
    workdir: Optional[Path] = None  # instead of the test's own directory
    secrets: Tuple[str, ...] = ()  # besides the canary, what must not appear anywhere


Peer = Callable[[Path], ContextManager[Setup]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_url(url: str) -> Tuple[str, ...]:
    return ("--base-url", url)


# --- nothing to talk to -------------------------------------------------------------------------


@contextlib.contextmanager
def nothing(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    yield Setup()


def url(value: str, **env: str) -> Peer:
    """No server: a base URL (a refused port, a `.invalid` name, a multicast address)."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        yield Setup(args=base_url(value.replace("{free_port}", str(free_port()))), env=env)
    return peer


def flags(*args: str) -> Peer:
    """Nothing to talk to; `args` go last on the command line (after the matrix's own flags)."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        yield Setup(args=args)
    return peer


def environment(**env: str) -> Peer:
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        yield Setup(env=env)
    return peer


# --- the mock endpoint --------------------------------------------------------------------------


def mock(scenario: str = "ok", *, root: bool = False, env: Optional[Mapping[str, str]] = None, **options: object) -> Peer:
    """doctor.mock's endpoint running `scenario`; `root` gives it without its /v1."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        with MockServer(MockOptions(scenario=scenario, **options)) as server:  # type: ignore[arg-type]  # options are MockOptions' fields
            yield Setup(args=base_url(server.url if root else server.base_url), env=dict(env or {}))
    return peer


@contextlib.contextmanager
def redirect_loop(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """Every path answers 302 to the server's own /v1/models."""
    port = free_port()
    options = MockOptions(scenario="redirect", port=port, redirect_to=f"http://127.0.0.1:{port}/v1/models")
    with MockServer(options) as server:
        yield Setup(args=base_url(server.base_url))


@contextlib.contextmanager
def through_remote_proxy(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """The local endpoint, but HTTP_PROXY names another machine: the key must stay home."""
    with MockServer(MockOptions()) as server:
        yield Setup(args=base_url(server.base_url), env={"HTTP_PROXY": "http://proxy.chat-doctor.invalid:3128"})


def shadowed(package: str, body: str, scenario: str = "ok") -> Peer:
    """The local endpoint, with a `package` on PYTHONPATH that shadows the real one."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        directory = workdir / "shadow" / package
        directory.mkdir(parents=True)
        (directory / "__init__.py").write_text(body)
        with MockServer(MockOptions(scenario=scenario)) as server:
            yield Setup(args=base_url(server.base_url), env={"PYTHONPATH": str(directory.parent)})
    return peer


# --- TLS ----------------------------------------------------------------------------------------


def tls(cert: str, trust: Optional[str] = "ca_file", scenario: str = "ok") -> Peer:
    """The mock endpoint over HTTPS with `cert` (a TlsMaterial attribute); SSL_CERT_FILE names
    `trust` (a TlsMaterial attribute, a missing file with "missing", or nothing with None)."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        material = TlsMaterial(workdir / "tls")
        env: Dict[str, str] = {}
        if trust == "missing":
            env["SSL_CERT_FILE"] = str(workdir / "tls" / "missing.pem")
        elif trust is not None:
            env["SSL_CERT_FILE"] = getattr(material, trust)
        served = getattr(material, cert)
        options = MockOptions(scenario=scenario, certfile=served.certfile, keyfile=served.keyfile)
        with MockServer(options) as server:
            yield Setup(args=base_url(server.base_url), env=env)
    return peer


@contextlib.contextmanager
def missing_cert_file(workdir: Path) -> Iterator[Setup]:
    """The plain-http endpoint, with SSL_CERT_FILE naming a file that does not exist (the SDK's
    HTTP client loads it when it is built, even for http:// URLs)."""
    with MockServer(MockOptions()) as server:
        yield Setup(args=base_url(server.base_url), env={"SSL_CERT_FILE": str(workdir / "missing.pem")})


@contextlib.contextmanager
def https_to_plain_http(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    with MockServer(MockOptions()) as server:
        yield Setup(args=base_url(server.base_url.replace("http://", "https://")))


def _nobody() -> Optional[Tuple[str, ...]]:
    """A command prefix that runs as `nobody`, when this process is root and setpriv exists."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")


def _runs(prefix: Sequence[str], *command: str) -> bool:
    try:
        return subprocess.run([*prefix, *command], check=False, capture_output=True, timeout=60, cwd="/").returncode == 0
    except OSError:
        return False


def _as_nobody() -> Tuple[Tuple[str, ...], str]:
    """As root: the prefix that drops to nobody, and an interpreter nobody may run as the target
    (this venv's may live under a home nobody cannot enter). Raises Unavailable."""
    from tests.support.helpers import CHAT_DOCTOR

    prefix = _nobody()
    if prefix is None:
        raise Unavailable("running as root without setpriv: root reads any file, so none would be unreadable")
    if not _runs(prefix, CHAT_DOCTOR, "--version"):
        raise Unavailable("the checkout is not readable by nobody, so chat-doctor cannot run without root")
    for python in (sys.executable, shutil.which("python3") or "", "/usr/bin/python3"):
        if python and _nobody_may_run(prefix, python):
            return prefix, python
    raise Unavailable("no interpreter that nobody may run, for the probe")


def _nobody_may_run(prefix: Sequence[str], python: str) -> bool:
    # Through sh, which execs the path itself (as the probe does), and with the path looked at
    # (as --python is): setpriv alone may find its way to an interpreter nobody cannot reach.
    return _runs(prefix, "/bin/sh", "-c", 'test -x "$1" && exec "$1" -c pass', "sh", python)


@contextlib.contextmanager
def unreachable_python(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """As nobody, `--python` this venv's interpreter when it lies where nobody may not look (a
    home directory of mode 700): a usage error, not a crash."""
    if os.geteuid() != 0:
        raise Unavailable("needs root, to run as nobody")
    prefix, _ = _as_nobody()
    if _nobody_may_run(prefix, sys.executable):
        raise Unavailable(f"nobody may run {sys.executable} here: nothing is unreachable")
    own = Path(tempfile.mkdtemp(prefix="chat-doctor-fault-nobody-"))
    try:
        own.chmod(0o777)
        yield Setup(args=("--python", sys.executable), prefix=prefix, workdir=own)
    finally:
        shutil.rmtree(own, ignore_errors=True)


@contextlib.contextmanager
def unreadable_ca(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """SSL_CERT_FILE names a CA bundle its reader may not open (mode 000), for an https endpoint
    whose certificate that bundle would trust. As root, the run drops to nobody (root reads any
    file) in a directory of its own that nobody may write."""
    own = Path(tempfile.mkdtemp(prefix="chat-doctor-fault-nobody-"))
    try:
        own.chmod(0o777)
        material = TlsMaterial(own / "tls")
        (own / "tls").chmod(0o755)
        for path in (own / "tls").iterdir():
            path.chmod(0o644)
        Path(material.ca_file).chmod(0)
        prefix, python = _as_nobody() if os.geteuid() == 0 else ((), sys.executable)
        options = MockOptions(certfile=material.good.certfile, keyfile=material.good.keyfile)
        with MockServer(options) as server:
            yield Setup(args=(*base_url(server.base_url), "--python", python), env={"SSL_CERT_FILE": material.ca_file},
                        prefix=prefix, workdir=own)
    finally:
        shutil.rmtree(own, ignore_errors=True)


# --- raw servers, hang-ups, silence -------------------------------------------------------------


def raw(handler: Callable[[RawServer, socket.socket], None], *, read_first: bool = True) -> Peer:
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        with RawServer(handler, read_first=read_first) as server:
            yield Setup(args=base_url(server.url + "/v1"))
    return peer


def answer(body: bytes, status: str = "200 OK") -> Callable[[RawServer, socket.socket], None]:
    def handle(server: RawServer, conn: socket.socket) -> None:  # noqa: ARG001  # a handler's shape
        conn.sendall(http_answer(body, status))
    return handle


@contextlib.contextmanager
def _listener(serve: Callable[[socket.socket, threading.Event, List[socket.socket]], None]) -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    stop = threading.Event()
    held: List[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            serve(conn, stop, held)

    thread = threading.Thread(target=loop, daemon=True, name="fault listener")
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def _hold(conn: socket.socket, stop: threading.Event, held: List[socket.socket]) -> None:  # noqa: ARG001  # a server's shape
    held.append(conn)  # accepts, reads nothing, says nothing


def _hang_up(conn: socket.socket, stop: threading.Event, held: List[socket.socket]) -> None:  # noqa: ARG001  # a server's shape
    conn.settimeout(2)
    try:
        conn.recv(65536)
    except OSError:
        pass
    conn.close()


def silent(scheme: str = "http", as_proxy: bool = False) -> Peer:
    """A server that accepts and never says a word: as the endpoint, or as the HTTPS proxy."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        with _listener(_hold) as port:
            if as_proxy:
                yield Setup(args=base_url("https://api.chat-doctor.invalid/v1"),
                            env={"HTTPS_PROXY": f"http://127.0.0.1:{port}"})
            else:
                yield Setup(args=base_url(f"{scheme}://127.0.0.1:{port}/v1"))
    return peer


@contextlib.contextmanager
def hang_up(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """Accepts, reads the request, closes without a word."""
    with _listener(_hang_up) as port:
        yield Setup(args=base_url(f"http://127.0.0.1:{port}/v1"))


@contextlib.contextmanager
def never_accepting(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """A port whose accept queue is full: the kernel drops further SYNs, so connect() hangs."""
    with full_accept_queue() as port:
        yield Setup(args=base_url(f"http://127.0.0.1:{port}/v1"))


# --- proxies ------------------------------------------------------------------------------------


def proxy(auth: Optional[Tuple[str, str]] = None, credentials: Optional[str] = None, https: bool = True,
          upstream: str = "tls") -> Peer:
    """tests/support/connect_proxy's proxy in front of the endpoint (HTTPS with the test CA, or
    plain HTTP); `credentials` "right" puts the proxy's user:password into its URL, "wrong" the
    user with another password; upstream "closed" points the tunnel at a port nobody listens on
    (the proxy then answers 502)."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        material = TlsMaterial(workdir / "tls")
        with contextlib.ExitStack() as stack:
            if upstream == "closed":
                target = f"https://localhost:{free_port()}/v1"
            elif https:
                cert = material.good
                server = stack.enter_context(MockServer(MockOptions(certfile=cert.certfile, keyfile=cert.keyfile)))
                target = server.base_url
            else:
                target = stack.enter_context(MockServer(MockOptions())).base_url
            forward = stack.enter_context(ConnectProxy(auth=auth))
            variable = "HTTPS_PROXY" if target.startswith("https") else "HTTP_PROXY"
            proxy_url = forward.url(with_auth=credentials is not None)
            secrets = (auth[1],) if auth else ()
            if credentials == "wrong" and auth:
                wrong = "wr0ng-" + auth[1][::-1]
                proxy_url, secrets = proxy_url.replace(f":{auth[1]}@", f":{wrong}@"), (*secrets, wrong)
            yield Setup(args=base_url(target), env={variable: proxy_url, "SSL_CERT_FILE": material.ca_file},
                        secrets=secrets)
    return peer


def dead_proxy(with_password: bool = False) -> Peer:
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        userinfo = f"alice:{PROXY_PASSWORD}@" if with_password else ""
        with MockServer(MockOptions()) as server:
            yield Setup(args=base_url(server.base_url), env={"HTTP_PROXY": f"http://{userinfo}127.0.0.1:{free_port()}"},
                        secrets=(PROXY_PASSWORD,) if with_password else ())
    return peer


# --- target interpreters ------------------------------------------------------------------------


def _script(workdir: Path, name: str, body: str) -> str:
    path = workdir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def interpreter(body: str) -> Peer:
    """`--python` a shell script with `body` (the probe is on its stdin, its code in "$2")."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        yield Setup(args=("--python", _script(workdir, "python", body)))
    return peer


def interpreter_and_mock(body: str) -> Peer:
    """A misbehaving `--python` and a healthy endpoint: the network checks must not wait for it."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        with MockServer(MockOptions()) as server:
            yield Setup(args=("--python", _script(workdir, "python", body), *base_url(server.base_url)))
    return peer


@contextlib.contextmanager
def python_without_openai(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
    """This machine's system Python, when it has no openai package."""
    for python in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(python, os.X_OK) and subprocess.run([python, "-c", "import openai"], check=False, capture_output=True,
                                                         timeout=60).returncode != 0:
            yield Setup(args=("--python", python))
            return
    raise Unavailable("no system Python without the openai package here")


def _real_answer() -> Dict[str, object]:
    from doctor.probe.interpreters import _MARK, BOOTSTRAP, probe_source

    out = subprocess.run([sys.executable, "-c", BOOTSTRAP], input=probe_source(), capture_output=True,
                         text=True, timeout=60, check=True).stdout
    answer: Dict[str, object] = json.loads(out.split(_MARK, 1)[1])
    return answer


def forged(edit: Callable[[Dict[str, object]], None]) -> Peer:
    """`--python` a script answering with this interpreter's real probe answer, edited: a target
    this machine does not have (a Python past its end of life, one without ssl, ...)."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        from doctor.probe.interpreters import _MARK

        answer = _real_answer()
        edit(answer)
        (workdir / "answer.txt").write_text("\n" + _MARK + json.dumps(answer) + "\n")
        yield Setup(args=("--python", _script(workdir, "python", f"cat {workdir / 'answer.txt'}\n")))
    return peer


def dotenv(text: str, *, unset_key: bool = False, scenario: Optional[str] = None) -> Peer:
    """A `.env` in the working directory (holding DOTENV_KEY); with `scenario`, the mock endpoint."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:
        (workdir / ".env").write_text(text)
        with contextlib.ExitStack() as stack:
            args: Tuple[str, ...] = ()
            if scenario is not None:
                args = base_url(stack.enter_context(MockServer(MockOptions(scenario=scenario))).base_url)
            yield Setup(args=args, unset=("OPENAI_API_KEY",) if unset_key else (), secrets=(DOTENV_KEY,))
    return peer


# --- answers a server should never give ---------------------------------------------------------


def random_bytes(server: RawServer, conn: socket.socket) -> None:  # noqa: ARG001  # a handler's shape
    conn.sendall(os.urandom(8192))


def http_09(server: RawServer, conn: socket.socket) -> None:  # noqa: ARG001  # a handler's shape
    conn.sendall(b'{"object": "list", "data": [{"id": "gpt-4o-mini"}]}\n')  # a body, no status line


def fifty_mb(server: RawServer, conn: socket.socket) -> None:
    size = 50 * 1024 * 1024
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size)
    block = b'{"id": "m"},' * 8192
    sent = 0
    while sent < size and server.running:
        conn.sendall(block)
        sent += len(block)


def late_headers(delay_s: float) -> Callable[[RawServer, socket.socket], None]:
    def handle(server: RawServer, conn: socket.socket) -> None:
        for _ in range(int(delay_s * 10)):
            if not server.running:
                return
            threading.Event().wait(0.1)
        conn.sendall(http_answer(b'{"object": "list", "data": [{"id": "gpt-4o-mini"}]}'))
    return handle


def byte_a_second(server: RawServer, conn: socket.socket) -> None:
    answer = http_answer(b'{"object": "list", "data": [{"id": "gpt-4o-mini"}]}')
    server.trickle(conn, (answer[i:i + 1] for i in range(len(answer))), 1.0)


def endless_headers(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    index = 0
    while server.running:
        conn.sendall(b"X-%d: a\r\n" % index)
        index += 1


def _key_from(conn_request: bytes) -> str:
    for line in conn_request.decode("latin-1").split("\r\n"):
        if line.lower().startswith("authorization:"):
            return line.split(":", 1)[1].strip().removeprefix("Bearer ").strip()
    return ""


def echoing(where: str) -> Callable[[RawServer, socket.socket], None]:
    """A 401 that echoes the key it received: in its message, in a header, base64-encoded, or
    in the message split across HTTP chunks a few characters each."""
    def handle(server: RawServer, conn: socket.socket) -> None:  # noqa: ARG001  # a handler's shape
        key = _key_from(conn.recv(65536))
        message = f"Incorrect API key provided: {key}."
        headers: List[str] = []
        if where == "header":
            message, headers = "Incorrect API key provided.", [f"X-Echoed-Key: {key}", f"WWW-Authenticate: Bearer {key}"]
        elif where == "base64":
            message = "Incorrect API key provided: " + base64.b64encode(key.encode()).decode() + "."
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                     "code": "invalid_api_key"}}).encode()
        if where != "chunks":
            conn.sendall(http_answer(body, "401 Unauthorized", extra=headers))
            return
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for i in range(0, len(body), 5):
            piece = body[i:i + 5]
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.sendall(b"0\r\n\r\n")
    return handle


def echo(where: str) -> Peer:
    """A raw server answering 401 with the key it received echoed `where` (see `echoing`); the
    base64 form counts as the key too."""
    @contextlib.contextmanager
    def peer(workdir: Path) -> Iterator[Setup]:  # noqa: ARG001  # a peer's shape
        with RawServer(echoing(where), read_first=False) as server:
            secrets = (base64.b64encode(CANARY_KEY.encode()).decode(),) if where == "base64" else ()
            yield Setup(args=base_url(server.url + "/v1"), secrets=secrets)
    return peer


def secrets_of(setups: Sequence[Setup]) -> Tuple[str, ...]:
    return tuple(s for setup in setups for s in setup.secrets)
