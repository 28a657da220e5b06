"""What config.proxy says: summary templates, detail lines, fix texts and fix commands.

The rules live in doctor/checks/config_proxy.py (and the emulation of httpx's proxy rules in
doctor/net/proxies.py). Proxies are always shown masked (`shown`); a command that names the
target interpreter shell-quotes it.
"""

from __future__ import annotations

import shlex
from typing import Optional, Sequence

from doctor.knowledge.wording.config import Words
from doctor.model import Fix

NO_PROXY_CONFIGURED = "no proxy configured"


def system_proxy_note(platform: str) -> Optional[str]:
    """What the SDK's HTTP client also reads on `platform` (a sys.platform) when no variable is set."""
    if platform not in ("darwin", "win32"):
        return None
    system = "macOS network settings" if platform == "darwin" else "the Windows registry (Internet Options)"
    return f"With no proxy variable set, the SDK's HTTP client also uses the proxy from {system}; not inspected."


def variable_line(name: str, shown: str, note: Optional[str]) -> str:
    """One proxy variable as set; `note` says why it is not in effect (None when it is)."""
    return f"{name}={shown}" + ("" if note is None else f"  ({note})")


def rules_line(stack: str, note: str) -> str:
    return f"Rules of {stack}" + (f": {note}" if note else "")


def ignored_no_proxy_line(stack: str, entries: Sequence[str]) -> str:
    return f"{stack} ignores these NO_PROXY entries: " + ", ".join(repr(e) for e in entries)


URL_UNPARSED_DETAIL = "Cannot tell which proxy applies: the base URL does not parse (see config.base_url)."


def proxy_invalid(message: str, variable: str, *, breaks_client: bool, httpx: bool, kind: str, applies: bool,
                  host: Optional[str]) -> Words:
    """An unusable proxy setting: `httpx` when the stack is httpx (not httpx2), `kind` the problem's."""
    if breaks_client:
        library = "httpx.Client()" if httpx else "httpx2.Client()"
        raised = {"unsupported_scheme": "ValueError: Unknown scheme for proxy URL", "invalid": "InvalidURL",
                  "no_proxy_entry": "InvalidURL"}.get(kind, "an exception")
        effect = (
            f"{library} builds every proxy (and NO_PROXY pattern) when the openai client is created, so OpenAI() "
            f"raises {raised} for every endpoint, including ones this setting would not apply to."
        )
    elif applies:
        effect = "Requests through it fail to connect."
    else:
        effect = f"It does not apply to {host}, but breaks the requests it does apply to."
    unset = f"unset {variable}" if kind != "no_proxy_entry" else None
    return Words(message, (effect,), (Fix(f"Fix {variable} (e.g. http://proxy.example.com:3128) or unset it", unset),))


def socks_not_checked(note: str) -> str:
    return ("A SOCKS proxy needs the socksio package in the target interpreter; could not check"
            + (f" ({note})" if note else "") + ".")


def socks_unsupported(variable: str, shown: str, *, applies: bool, host: Optional[str], httpx: bool,
                      unset: Sequence[str], python: str) -> Words:
    """A SOCKS proxy without socksio; `applies`: whether it is the proxy used for `host`."""
    extra = "httpx[socks]" if httpx else "httpx2[socks]"
    exempt = "" if applies else (
        f" It does not even apply to {host}: httpx builds every proxy's transport when the client is created."
    )
    return Words(
        f"{variable}={shown} is a SOCKS proxy, but the target interpreter has no socksio",
        (
            ("Creating the openai client raises `ImportError: Using SOCKS proxy, but the 'socksio' package is "
            f"not installed`.{exempt}"),
            "The error suggests `pip install httpx[socks]`; with openai >= 3 the library is httpx2, and what "
            "is needed is socksio (the httpx2[socks] extra)." if not httpx
            else f"What is needed is socksio (the {extra} extra).",
        ),
        (Fix("Install socksio into the target interpreter; pip itself cannot use a SOCKS proxy (it fails with "
             "'Missing dependencies for SOCKS support'), so it runs without one (if PyPI is reachable only "
             "through a proxy, give pip an http:// one with --proxy)",
             "env " + " ".join(f"-u {name}" for name in unset) + f" {shlex.quote(python)} -m pip install socksio"),
         Fix("Or use an http:// proxy instead of SOCKS")),
    )


def proxy_for_loopback(variable: str, shown: str, host: str) -> Words:
    return Words(
        f"{variable}={shown} applies to the local endpoint {host}",
        (("httpx does not bypass localhost on its own: requests to your local server go to the proxy, which "
         "cannot reach this machine's loopback (expect 403/502/504 or a timeout from the proxy)."),),
        (Fix("Exempt local addresses from the proxy", 'export NO_PROXY="${NO_PROXY:+$NO_PROXY,}localhost,127.0.0.1,::1"'),),
    )


# Why a NO_PROXY entry that names the host did not exempt it (config_proxy.ineffective_reason).
def no_proxy_why(reason: str, *, stack: str, host: str, port: str) -> str:
    if reason == "path":
        return f"{stack} skips entries that contain a '/' (other than IP networks such as 10.0.0.0/8)"
    if reason == "scheme":
        return "it names a scheme, so it only matches URLs of that scheme"
    if reason == "default_port":
        return (f"its explicit port :{port} is compared with the URL's port, and httpx drops the scheme's default "
                "port from URLs, so it never matches")
    if reason == "port":
        return f"it only matches port {port}"
    if reason == "httpx_star":
        return "httpx (openai < 3) turns '*.domain' into the pattern '**.domain', which matches nothing"
    if reason == "trailing_dot":
        return "of the trailing dot"
    return f"{stack} does not match it against {host}"


def no_proxy_ineffective(entry: str, host: str, why: str, variable: str) -> Words:
    return Words(
        f"NO_PROXY entry {entry!r} does not exempt {host}: {why}",
        (f"{variable} is used for {host}.",),
        (Fix("List the bare host (or domain) instead", f'export NO_PROXY="${{NO_PROXY:+$NO_PROXY,}}{host}"'),),
    )


# The one-line verdicts (config_proxy's summary).
def no_proxy_all_summary(source: str) -> str:
    return f"{source}=* turns every proxy off: direct connection"


URL_UNPARSED_SUMMARY = "proxy variables set; the endpoint URL does not parse"
ONLY_NO_PROXY_SUMMARY = "no proxy configured (only NO_PROXY is set)"
HTTP_PROXY_ONLY_HINT = "HTTP_PROXY applies only to http:// URLs; set HTTPS_PROXY (or ALL_PROXY) to proxy https:// requests."


def applies_summary(shown: str, variable: str, host: Optional[str]) -> str:
    return f"{shown} ({variable}) applies to {host}"


def exempted_summary(host: Optional[str], source: str, entry: str) -> str:
    return f"direct to {host}: {source} entry {entry!r} exempts it"


def uncovered_summary(host: Optional[str], scheme: str) -> str:
    return f"direct to {host}: no proxy variable covers {scheme}:// URLs"
