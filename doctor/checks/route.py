"""Where the SDK's connection goes (the `route` fact): the endpoint's host and port, and the proxy
between, decided by doctor.net.proxies exactly as the target's HTTP stack would. Shared by the
`net.*` checks, `api.auth` and the smoke test, which all send along this route; a route that
cannot be used is their common skip (`route_problem`).

`gather_route` only gathers: what the URL parses to, which proxy the chosen stack takes and the
problems doctor.net.proxies found. Whether the route is usable is the pure rule `unusable_because`
(also `Route.problem`), so every judge decides it from the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from doctor.knowledge.diagnoses import diagnose
from doctor.knowledge.wording import network as say
from doctor.model import CheckResult
from doctor.runner import Context

if TYPE_CHECKING:  # the proxy emulation is imported when the route is gathered, not with the registry
    from doctor.net.proxies import ProxyDecision, ProxyProblem


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
    url_error: Optional[str] = None  # why the base URL does not parse, or has a port nothing can use
    stack_choice: Optional[str] = None  # httpx and httpx2 route it differently: why this stack applies
    proxy_problems: Tuple[ProxyProblem, ...] = ()  # what doctor.net.proxies found wrong with the settings

    @property
    def problem(self) -> Optional[str]:
        """Why this route cannot be used (the URL or the proxy settings), or None."""
        return unusable_because(self)

    @property
    def note(self) -> Optional[str]:
        """Which of the two stacks' routes applies, when they disagree."""
        return say.stacks_differ(self.stack_choice, self.reason) if self.stack_choice is not None else None

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


def _connectable(scheme: str, host: str) -> bool:
    return scheme in ("http", "https") and bool(host)


def gather_route(ctx: Context) -> Route:
    from doctor.net import proxies

    endpoint = ctx.plan.endpoint
    base_url = endpoint.base_url
    try:
        parts = urlsplit(base_url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        # The port as httpx reads it (urlsplit rejects "+80", which httpx takes as 80), and
        # only one a connection can use: config.base_url reports the others.
        parsed = proxies.parse_url(base_url)
        port_problem = proxies.port_problem(parsed)
        if port_problem:
            raise ValueError(port_problem)
        port = parsed.port if parsed.port is not None else (443 if scheme == "https" else 80)
    except ValueError as exc:  # proxies.InvalidURL is a ValueError
        return Route(base_url, "", "", 0, url_error=str(exc))
    if not _connectable(scheme, host):  # no connection to route: nothing more to gather
        return Route(base_url, scheme, host, port)

    env = ctx.settings.env
    decisions = {stack: proxies.resolve_proxy(base_url, env, stack=stack) for stack in proxies.STACKS}
    chosen, stack_choice = decisions[proxies.STACK_HTTPX2], None
    if _proxy_key(chosen) != _proxy_key(decisions[proxies.STACK_HTTPX]):
        # The two stacks disagree (a NO_PROXY detail): which one applies depends on the
        # target's openai version, so only now wait for the interpreter probe.
        stack, why = proxies.STACK_HTTPX2, "openai >= 3 uses httpx2"
        try:
            facts = ctx.fact("interpreter")
            installed = {d.name: d.version for d in getattr(facts, "distributions", ())}
            stack, why = proxies.stack_for(installed)
        except Exception:  # noqa: BLE001  # probe failure is python.interpreter's finding
            pass
        chosen, stack_choice = decisions[stack], why
    route = Route(base_url, scheme, host, port, reason=chosen.reason, stack_choice=stack_choice,
                  proxy_problems=chosen.problems)
    proxy = chosen.proxy
    if proxy is None:
        return route
    return replace(route, proxy_url=proxy.url, proxy_shown=proxy.shown, proxy_scheme=proxy.scheme,
                   proxy_host=proxy.host, proxy_port=proxy.effective_port, proxy_variable=proxy.variable,
                   proxy_auth=proxy.auth)


def _proxy_key(decision: ProxyDecision) -> Optional[str]:
    return decision.proxy.url if decision.proxy is not None else None


def unusable_because(route: Route) -> Optional[str]:
    """Why no connection can take this route, or None (pure).

    The URL does not parse or is not http(s) with a host; or a proxy setting breaks the SDK's
    client (`OpenAI()` raises), or breaks the very proxy this URL goes through.
    """
    if route.url_error is not None:
        return say.url_unparsable(route.url_error)
    if not _connectable(route.scheme, route.host):
        return say.URL_NOT_HTTP
    breaking = [p for p in route.proxy_problems if p.breaks_client
                or (route.proxy_variable is not None and p.variable == route.proxy_variable)]
    return breaking[0].message if breaking else None


def route_problem(check_id: str, route: Route) -> Optional[CheckResult]:
    """A usable route, or the skip that says why the network was not tried (pure)."""
    problem = unusable_because(route)
    if problem is None:
        return None
    return diagnose(check_id, "prerequisite_failed", say.not_tried(problem),
                    details=[say.ROUTE_EXPLAINED_BY], data={"reason": problem})


def route_details(route: Route) -> List[str]:
    details = []
    if route.proxied:
        details.append(say.through_proxy(route.proxy_shown, route.reason))
    if route.note:
        details.append(route.note)
    return details


def route_data(route: Route) -> Dict[str, Any]:
    return {"host": route.host, "port": route.port, "via_proxy": route.proxy_shown}
