"""Where the SDK's connection goes (the `route` fact): the endpoint's host and port, and the proxy
between, decided by doctor.net.proxies exactly as the target's HTTP stack would. Shared by the
`net.*` checks, `api.auth` and the smoke test, which all send along this route; a route that
cannot be used is their common skip (`route_problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from doctor.knowledge.diagnoses import diagnose
from doctor.model import CheckResult
from doctor.runner import Context


@dataclass(frozen=True)
class Route:
    """Where the SDK's connection goes: the endpoint, and the proxy in between (if any)."""

    base_url: str
    scheme: str
    host: str
    port: int
    proxy_url: Optional[str] = field(default=None, repr=False)  # with credentials: never print
    proxy_shown: Optional[str] = None  # credentials masked
    proxy_scheme: Optional[str] = None
    proxy_host: Optional[str] = None
    proxy_port: Optional[int] = None
    proxy_variable: Optional[str] = None
    proxy_auth: Optional[Tuple[str, str]] = field(default=None, repr=False)
    reason: str = ""  # why this proxy (or none) applies
    note: Optional[str] = None  # e.g. the two HTTP stacks disagree about NO_PROXY
    problem: Optional[str] = None  # the URL or the proxy settings are unusable

    @property
    def proxied(self) -> bool:
        return self.proxy_host is not None

    @property
    def tunnels(self) -> bool:
        """https through an HTTP proxy: a CONNECT tunnel (http:// goes as absolute-form requests)."""
        return self.proxied and self.scheme == "https" and self.proxy_scheme == "http"

    @property
    def testable(self) -> bool:
        """chat-doctor speaks to HTTP proxies only; SOCKS / https:// proxies are reached, not crossed."""
        return not self.proxied or self.proxy_scheme == "http"

    @property
    def connect_host(self) -> str:
        return self.proxy_host if self.proxy_host is not None else self.host

    @property
    def connect_port(self) -> int:
        return self.proxy_port if self.proxied else self.port  # type: ignore[return-value]  # set with proxy_host


def gather_route(ctx: Context) -> Route:
    from doctor.net import proxies
    from doctor.net.http import prefetch

    prefetch()  # api.auth will need urllib3; import it while the network checks run

    endpoint = ctx.plan.endpoint
    base_url = endpoint.base_url
    try:
        parts = urlsplit(base_url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        # The port as httpx reads it (urlsplit rejects "+80", which httpx takes as 80), and
        # only one a connection can use: config.base_url reports the others.
        parsed = proxies.parse_url(base_url)
        problem = proxies.port_problem(parsed)
        if problem:
            raise ValueError(problem)
        port = parsed.port if parsed.port is not None else (443 if scheme == "https" else 80)
    except ValueError as exc:  # proxies.InvalidURL is a ValueError
        return Route(base_url, "", "", 0, problem=f"the base URL does not parse ({exc})")
    if scheme not in ("http", "https") or not host:
        return Route(base_url, scheme, host, port, problem="the base URL is not an http(s) URL with a host")

    env = ctx.settings.env
    decisions = {}
    for stack in proxies.STACKS:
        decisions[stack] = proxies.resolve_proxy(base_url, env, stack=stack)
    chosen, note = decisions[proxies.STACK_HTTPX2], None
    other = decisions[proxies.STACK_HTTPX]
    if _proxy_key(chosen) != _proxy_key(other):
        # The two stacks disagree (a NO_PROXY detail): which one applies depends on the
        # target's openai version, so only now wait for the interpreter probe.
        stack, why = proxies.STACK_HTTPX2, "openai >= 3 uses httpx2"
        try:
            facts = ctx.fact("interpreter")
            installed = {d.name: d.version for d in getattr(facts, "distributions", ())}
            stack, why = proxies.stack_for(installed)
        except Exception:  # noqa: BLE001  # probe failure is python.interpreter's finding
            pass
        chosen = decisions[stack]
        note = f"httpx and httpx2 route this URL differently; {why}, so: {chosen.reason}"
    breaking = [p for p in chosen.problems if p.breaks_client
                or (chosen.proxy is not None and p.variable == chosen.proxy.variable)]
    if breaking:
        return Route(base_url, scheme, host, port, reason=chosen.reason, note=note,
                     problem=breaking[0].message)
    proxy = chosen.proxy
    if proxy is None:
        return Route(base_url, scheme, host, port, reason=chosen.reason, note=note)
    return Route(
        base_url, scheme, host, port,
        proxy_url=proxy.url, proxy_shown=proxy.shown, proxy_scheme=proxy.scheme, proxy_host=proxy.host,
        proxy_port=proxy.effective_port, proxy_variable=proxy.variable, proxy_auth=proxy.auth,
        reason=chosen.reason, note=note,
    )


def _proxy_key(decision: Any) -> Optional[str]:
    return decision.proxy.url if decision.proxy is not None else None


def route_problem(check_id: str, route: Route) -> Optional[CheckResult]:
    """A usable route, or the skip that says why the network was not tried."""
    if route.problem is None:
        return None
    return diagnose(check_id, "prerequisite_failed", f"not tried: {route.problem}",
                    details=["config.base_url / config.proxy explain this"], data={"reason": route.problem})


def route_details(route: Route) -> List[str]:
    details = []
    if route.proxied:
        details.append(f"through the proxy {route.proxy_shown} ({route.reason})")
    if route.note:
        details.append(route.note)
    return details


def route_data(route: Route) -> Dict[str, Any]:
    return {"host": route.host, "port": route.port, "via_proxy": route.proxy_shown}
