"""The way to the endpoint the `net.*` checks share: the `dns` fact (the host the SDK connects to,
resolved and timed) and `open_connection`, the TCP connect (+ CONNECT tunnel) that both the
`connection` fact (net.tcp) and every handshake of the `tls` fact (net.tls) start from.

Every network step is bounded by `--timeout`; nothing is retried.
"""

from __future__ import annotations

import dataclasses
import socket
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from doctor.checks.route import Route
from doctor.runner import Context


@dataclass(frozen=True)
class DnsFact:
    host: str
    port: int
    for_proxy: bool
    addresses: Tuple[Any, ...] = ()  # doctor.net.resolve.Address
    literal: bool = False
    elapsed_ms: float = 0.0
    error_kind: Optional[str] = None  # not_found, temporary, timeout, failed
    error: Optional[str] = None


@dataclass(frozen=True)
class ConnectionFact:
    address: Optional[str] = None
    connect_ms: Optional[float] = None
    attempts: Tuple[Any, ...] = ()  # doctor.net.connect.Attempt
    error_kind: Optional[str] = None  # refused, timeout, unreachable, failed
    error: Optional[str] = None
    tunnel_ms: Optional[float] = None
    tunnel_status: Optional[int] = None
    tunnel_error_kind: Optional[str] = None  # auth_required, refused, timeout, closed, garbled
    tunnel_error: Optional[str] = None
    tunnel_challenge: Optional[str] = None


def gather_dns(ctx: Context) -> DnsFact:
    """The `dns` fact: the host we connect to (the proxy's, when a proxy applies), resolved."""
    from doctor.net.resolve import ResolveError, resolve

    route: Route = ctx.fact("route")
    host, port = route.connect_host, route.connect_port
    try:
        resolution = resolve(host, port, ctx.settings.timeout_s)
    except ResolveError as exc:
        return DnsFact(host, port, route.proxied, elapsed_ms=exc.elapsed_ms, error_kind=exc.kind, error=exc.reason)
    return DnsFact(host, port, route.proxied, resolution.addresses, resolution.literal, resolution.elapsed_ms)


def open_connection(route: Route, dns: DnsFact, timeout_s: float) -> Tuple[Optional[socket.socket], ConnectionFact]:
    """Connect to the first address that answers and open the tunnel; the socket stays open."""
    from doctor.net.connect import ConnectError, connect
    from doctor.net.tunnel import TunnelError, basic_proxy_authorization, open_tunnel

    try:
        sock, address, elapsed, attempts = connect(dns.addresses, timeout_s)
    except ConnectError as exc:
        return None, ConnectionFact(attempts=exc.attempts, connect_ms=exc.elapsed_ms, error_kind=exc.kind, error=exc.reason)
    fact = ConnectionFact(address=str(address), connect_ms=elapsed, attempts=attempts)
    if not route.tunnels:
        return sock, fact
    auth = basic_proxy_authorization(*route.proxy_auth) if route.proxy_auth else None
    try:
        tunnel = open_tunnel(sock, route.host, route.port, timeout_s, proxy_authorization=auth,
                             user_agent=_user_agent())
    except TunnelError as exc:
        sock.close()
        return None, dataclasses.replace(fact, tunnel_ms=exc.elapsed_ms, tunnel_status=exc.status,
                                         tunnel_error_kind=exc.kind, tunnel_error=exc.reason,
                                         tunnel_challenge=exc.challenge)
    return sock, dataclasses.replace(fact, tunnel_ms=tunnel.elapsed_ms, tunnel_status=tunnel.status)


def _user_agent() -> str:
    from doctor import __version__

    return f"chat-doctor/{__version__}"
