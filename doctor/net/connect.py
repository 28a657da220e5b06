"""TCP connect to resolved addresses, in order, within one overall time budget.

Like `socket.create_connection` (what the SDK's transport does), addresses are tried one after
another; unlike it, the budget covers all attempts, so a name with several unreachable
addresses still finishes within `timeout_s`.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

from doctor.net.resolve import Address
from doctor.net.timing import ms, now

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
