"""net.tcp: can the SDK's connection be opened: a TCP connect to the first address that answers
(the proxy's, when one applies) and, for https through an HTTP proxy, the CONNECT tunnel.

It owns the `connection` fact; proxy failures (down, wants credentials, refuses the tunnel) are
told apart from the endpoint's own (refused, silent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from doctor.checks.connection import ConnectionFact, DnsFact, open_connection
from doctor.checks.route import Route, route_data, route_details, route_problem
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.wording import network as say
from doctor.model import CheckResult
from doctor.redact import display_url
from doctor.runner import Check, Context, FactProvider

ID = "net.tcp"
TITLE = "TCP connect"


@dataclass(frozen=True)
class Facts:
    route: Route
    dns: Optional[DnsFact]  # None (and connection None): the route is unusable, nothing was tried
    connection: Optional[ConnectionFact]
    timeout_s: float


def gather_connection(ctx: Context) -> ConnectionFact:
    """The `connection` fact: connect (and tunnel) along the route, then close."""
    route: Route = ctx.fact("route")
    dns: DnsFact = ctx.fact("dns")
    sock, fact = open_connection(route, dns, ctx.settings.timeout_s)
    if sock is not None:
        sock.close()
    return fact


def gather(ctx: Context) -> Facts:
    route: Route = ctx.fact("route")
    if route.problem is not None:
        return Facts(route, None, None, ctx.settings.timeout_s)
    return Facts(route, ctx.fact("dns"), ctx.fact("connection"), ctx.settings.timeout_s)


def judge(facts: Facts) -> CheckResult:
    route, dns, conn = facts.route, facts.dns, facts.connection
    blocked = route_problem(ID, route)
    if blocked is not None:
        return blocked
    assert dns is not None and conn is not None  # gathered whenever the route is usable
    timings = {"dns": dns.elapsed_ms}
    if conn.connect_ms is not None:
        timings["connect"] = conn.connect_ms
    if conn.tunnel_ms is not None and conn.tunnel_error_kind is None:
        timings["proxy"] = conn.tunnel_ms
    data: Dict[str, Any] = dict(route_data(route), address=conn.address, timings_ms=timings,
                                attempts=[{"address": a.address, "outcome": a.outcome, "ms": a.elapsed_ms}
                                          for a in conn.attempts])
    details = route_details(route)
    attempts = [say.attempt_line(a.address, a.outcome, a.reason) for a in conn.attempts]
    if conn.error_kind is not None:
        data["error"] = {"kind": conn.error_kind, "message": conn.error}
        return _not_connected(route, dns, conn, facts.timeout_s, [*details, *attempts], data)
    if conn.tunnel_error_kind is not None:
        data["error"] = {"kind": conn.tunnel_error_kind, "message": conn.tunnel_error, "status": conn.tunnel_status}
        return _no_tunnel(route, conn, details, data)
    summary = say.connected(conn.address, conn.connect_ms)
    if route.tunnels:
        summary += say.tunnel_opened(route.host, route.port, conn.tunnel_ms)
    elif route.proxied:
        summary = say.connected_to_proxy(conn.address, conn.connect_ms)
    return ok(ID, summary, details=[*details, *attempts[:-1]] if len(attempts) > 1 else details, data=data)


def _not_connected(route: Route, dns: DnsFact, conn: ConnectionFact, timeout_s: float, details: List[str],
                   data: Dict[str, Any]) -> CheckResult:
    target = f"{dns.host}:{dns.port}"
    if route.proxied:
        return diagnose(
            ID, "proxy_unreachable", say.proxy_connect_failed(route.proxy_shown, conn.error_kind, timeout_s),
            details=details,
            fixes=[say.fix_start_proxy(route.proxy_variable), say.fix_bypass_proxy(route.host)],
            data=data,
        )
    if conn.error_kind == "refused":
        return diagnose(ID, "connection_refused", say.refused(target, dns.port), details=details,
                        fixes=say.refused_fixes(display_url(route.base_url), dns.port), data=data)
    if conn.error_kind == "timeout":
        return diagnose(ID, "connect_timeout", say.connect_timeout(target, timeout_s), details=details,
                        fixes=list(say.CONNECT_TIMEOUT_FIXES), data=data)
    return diagnose(ID, "connect_failed", say.connect_failed(target, conn.error), details=details, data=data)


def _no_tunnel(route: Route, conn: ConnectionFact, details: List[str], data: Dict[str, Any]) -> CheckResult:
    if conn.tunnel_error_kind == "auth_required":
        had = route.proxy_auth is not None
        details = [*details, say.proxy_challenge(conn.tunnel_challenge),
                   say.PROXY_CREDENTIALS_REJECTED if had else say.no_proxy_credentials(route.proxy_variable)]
        return diagnose(
            ID, "proxy_auth_required", say.proxy_wants_auth(route.proxy_shown),
            details=details,
            fixes=[say.fix_proxy_credentials(route.proxy_variable, route.proxy_host, route.proxy_port)],
            data=data,
        )
    if conn.tunnel_error_kind == "refused":
        return diagnose(
            ID, "proxy_tunnel_refused", say.tunnel_refused(route.proxy_shown, route.host, route.port, conn.tunnel_error),
            details=details,
            fixes=[say.fix_allow_tunnel(route.host, route.port), say.fix_bypass_proxy(route.host, if_reachable=True)],
            data=data,
        )
    return diagnose(
        ID, "proxy_unreachable", say.tunnel_failed(route.proxy_shown, conn.tunnel_error),
        details=details,
        fixes=[say.fix_check_proxy(route.proxy_variable)],
        data=data,
    )


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge, needs=("net.dns",), network=True),)
FACTS: Dict[str, FactProvider] = {"connection": gather_connection}
