"""DNS resolution with a hard time bound.

`socket.getaddrinfo` takes no timeout: a dead resolver can block it for tens of seconds
(resolv.conf timeouts x attempts x servers). The lookup therefore runs in a daemon thread and
the caller waits at most `timeout_s`; a lookup still running afterwards is abandoned (the
thread ends on its own, and a daemon thread never keeps the process alive).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from typing import List, Optional, Tuple

from doctor.net.timing import ms, now


@dataclass(frozen=True)
class Address:
    family: int  # socket.AF_INET / AF_INET6
    ip: str
    port: int

    @property
    def sockaddr(self) -> Tuple:
        return (self.ip, self.port, 0, 0) if self.family == socket.AF_INET6 else (self.ip, self.port)

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if self.family == socket.AF_INET6 else f"{self.ip}:{self.port}"


@dataclass(frozen=True)
class Resolution:
    host: str
    port: int
    addresses: Tuple[Address, ...]
    elapsed_ms: float
    literal: bool  # the host was an IP address: nothing was looked up

    @property
    def ips(self) -> Tuple[str, ...]:
        seen: List[str] = []
        for address in self.addresses:
            if address.ip not in seen:
                seen.append(address.ip)
        return tuple(seen)


class ResolveError(OSError):
    """The name did not resolve. `kind`: not_found, temporary, timeout or failed."""

    def __init__(self, host: str, kind: str, reason: str, elapsed_ms: float, errno_: Optional[int] = None) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.kind = kind
        self.reason = reason
        self.elapsed_ms = elapsed_ms
        self.gai_errno = errno_


# getaddrinfo error numbers that mean "this name does not exist" rather than "could not ask".
_NOT_FOUND = {getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)}
_TEMPORARY = {getattr(socket, name) for name in ("EAI_AGAIN",) if hasattr(socket, name)}


def literal_ip(host: str) -> Optional[str]:
    """The address if `host` is an IP literal (brackets allowed), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def resolve(host: str, port: int, timeout_s: float) -> Resolution:
    """All TCP addresses of `host`, in the resolver's order; raises ResolveError."""
    started = now()
    ip = literal_ip(host)
    if ip is not None:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return Resolution(host, port, (Address(family, ip, port),), 0.0, literal=True)

    outcome: dict = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # noqa: BLE001  # handed to the waiting caller
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    if not done.wait(timeout_s):
        raise ResolveError(host, "timeout", f"no DNS answer within {timeout_s:g} s", ms(now() - started))
    elapsed = ms(now() - started)
    error = outcome.get("error")
    if error is not None:
        if isinstance(error, socket.gaierror):
            code = error.args[0] if error.args and isinstance(error.args[0], int) else None
            reason = error.args[1] if len(error.args) > 1 else str(error)
            kind = "not_found" if code in _NOT_FOUND else "temporary" if code in _TEMPORARY else "failed"
            raise ResolveError(host, kind, str(reason), elapsed, code)
        if isinstance(error, UnicodeError):  # an IDNA-invalid name ("a..b", labels > 63 chars)
            raise ResolveError(host, "not_found", f"not a valid host name ({error})", elapsed)
        raise ResolveError(host, "failed", f"{type(error).__name__}: {error}", elapsed)
    addresses: List[Address] = []
    for family, _type, _proto, _canon, sockaddr in outcome["infos"]:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = Address(family, str(sockaddr[0]), int(sockaddr[1]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ResolveError(host, "not_found", "no IPv4 or IPv6 address", elapsed)
    return Resolution(host, port, tuple(addresses), elapsed, literal=False)
