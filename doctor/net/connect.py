"""TCP connect to resolved addresses, in order, within one overall time budget.

Like `socket.create_connection` (what the SDK's transport does), addresses are tried one after
another; unlike it, the budget covers all attempts, so a name with several unreachable
addresses still finishes within `timeout_s`.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from typing import Callable, Iterable, List, Sequence, Tuple

from doctor.net.resolve import Address, resolve
from doctor.net.timing import Marks, ms, now

SocketOption = Tuple[int, int, int]
DEFAULT_SOCKET_OPTIONS: Tuple[SocketOption, ...] = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


@dataclass(frozen=True)
class Attempt:
    address: str
    outcome: str  # "connected", "refused", "timeout", "unreachable", "failed"
    elapsed_ms: float
    reason: str = ""


class ConnectError(OSError):
    """No address accepted. `kind` summarises the attempts: refused, timeout, unreachable, failed."""

    def __init__(self, kind: str, reason: str, attempts: Sequence[Attempt], elapsed_ms: float) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.attempts = tuple(attempts)
        self.elapsed_ms = elapsed_ms


_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, getattr(errno, "EADDRNOTAVAIL", -1), getattr(errno, "EAFNOSUPPORT", -1)}


def _classify(exc: OSError) -> str:
    if isinstance(exc, socket.timeout) or exc.errno in (errno.ETIMEDOUT,):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return "refused"
    if exc.errno in _UNREACHABLE:
        return "unreachable"
    return "failed"


def connect(
    addresses: Iterable[Address],
    timeout_s: float,
    *,
    socket_options: Iterable[SocketOption] = DEFAULT_SOCKET_OPTIONS,
) -> Tuple[socket.socket, Address, float, Tuple[Attempt, ...]]:
    """(socket, address, elapsed_ms, attempts); the socket's timeout is left at `timeout_s`."""
    started = now()
    deadline = started + timeout_s
    attempts: List[Attempt] = []
    options = tuple(socket_options)
    for address in addresses:
        remaining = deadline - now()
        if remaining <= 0:
            break
        sock = socket.socket(address.family, socket.SOCK_STREAM)
        t0 = now()
        try:
            for level, name, value in options:
                sock.setsockopt(level, name, value)
            sock.settimeout(remaining)
            sock.connect(address.sockaddr)
        except OSError as exc:
            sock.close()
            attempts.append(Attempt(str(address), _classify(exc), ms(now() - t0), _reason(exc)))
            continue
        sock.settimeout(timeout_s)
        attempts.append(Attempt(str(address), "connected", ms(now() - t0)))
        return sock, address, ms(now() - started), tuple(attempts)
    elapsed = ms(now() - started)
    if not attempts:
        raise ConnectError("timeout", f"no time left to connect (budget {timeout_s:g} s)", attempts, elapsed)
    kinds = {a.outcome for a in attempts}
    kind = "timeout" if "timeout" in kinds else attempts[-1].outcome
    if kinds == {"refused"}:
        kind = "refused"
    reason = "; ".join(f"{a.address}: {a.reason}" for a in attempts)
    raise ConnectError(kind, reason, attempts, elapsed)


def _reason(exc: OSError) -> str:
    if isinstance(exc, socket.timeout):
        return "no answer (timed out)"
    return exc.strerror or str(exc) or type(exc).__name__


def dial(host: str, port: int, timeout_s: float, socket_options: Iterable[SocketOption], marks: Marks,
         on_phase: Callable[[str], None]) -> Tuple[socket.socket, Address]:
    """Resolve `host` (doctor.net.resolve: bounded) and connect, marking dns_start, dns_end and
    connect_end; `on_phase` hears "dns", then "connect". Raises ResolveError or ConnectError.

    One function for urllib3's connection (doctor.net.http) and for a request written before
    urllib3 is imported (doctor.net.presend): both reach the server the same way."""
    on_phase("dns")
    marks.mark("dns_start")
    resolution = resolve(host.strip("[]"), port, timeout_s)
    marks.mark("dns_end")
    on_phase("connect")
    sock, address, _elapsed, _attempts = connect(resolution.addresses, timeout_s, socket_options=socket_options)
    marks.mark("connect_end")
    return sock, address
