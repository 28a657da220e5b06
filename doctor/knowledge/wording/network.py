"""What the `net.*` checks (and the route they share with api.auth and the smoke test) say: the
summaries, detail lines, fix texts and fix commands. The judges decide which apply; the words
live here, beside the diagnosis codes (doctor/knowledge/codes/network.py).

Anything taken from the environment or a server goes into a command shell-quoted, so a fix can
be pasted whole.
"""

from __future__ import annotations

from typing import Optional

# --------------------------------------------------------------------------------------------
# the route (doctor.checks.route)
# --------------------------------------------------------------------------------------------

URL_NOT_HTTP = "the base URL is not an http(s) URL with a host"
ROUTE_EXPLAINED_BY = "config.base_url / config.proxy explain this"


def url_unparsable(error: str) -> str:
    return f"the base URL does not parse ({error})"


def not_tried(problem: str) -> str:
    return f"not tried: {problem}"


def through_proxy(shown: Optional[str], reason: str) -> str:
    return f"through the proxy {shown} ({reason})"


def stacks_differ(why: str, reason: str) -> str:
    return f"httpx and httpx2 route this URL differently; {why}, so: {reason}"
