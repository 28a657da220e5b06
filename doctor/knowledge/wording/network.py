"""What the `net.*` checks (and the route they share with api.auth and the smoke test) say: the
summaries, detail lines, fix texts and fix commands. The judges decide which apply; the words
live here, beside the diagnosis codes (doctor/knowledge/codes/network.py).

Anything taken from the environment or a server goes into a command shell-quoted, so a fix can
be pasted whole.
"""

from __future__ import annotations

import shlex
from typing import Any, List, Optional, Sequence

from doctor.model import Fix
from doctor.words import ms


def _q(text: str) -> str:
    return shlex.quote(text)


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


# --------------------------------------------------------------------------------------------
# net.dns
# --------------------------------------------------------------------------------------------


def dns_literal(host: str) -> str:
    return f"{host} is an IP address: nothing to resolve"


def dns_resolved(host: str, ips: Sequence[str], elapsed_ms: float) -> str:
    shown = ", ".join(ips[:4]) + (f" (+{len(ips) - 4} more)" if len(ips) > 4 else "")
    return f"{host} -> {shown} ({ms(elapsed_ms)})"


def proxy_resolves(host: str) -> str:
    return f"; the proxy resolves {host}"


def dns_why(kind: Optional[str], elapsed_ms: float) -> str:
    """What went wrong, as the end of a sentence that starts with the host."""
    return {
        # A machine with no usable DNS (offline, VPN down) gets the same NXDOMAIN-style answer.
        "not_found": "was not found by the resolver (a typo, or no working DNS here)",
        "temporary": "could not be resolved right now (the DNS server did not answer usefully)",
        "timeout": f"got no DNS answer within {elapsed_ms / 1000:.1f} s",
    }.get(kind or "", "could not be resolved")


def resolver_said(error: Optional[str]) -> str:
    return f"resolver said: {error}"


def proxy_host_unresolved(host: str, why: str) -> str:
    return f"the proxy host {host} {why}"


def fix_proxy_host(variable: Optional[str], proxy_host: str) -> Fix:
    return Fix(f"Fix the host in {variable}, or unset it if no proxy is needed", f"getent hosts {_q(proxy_host)}")


def fix_bypass_proxy(host: str, *, if_reachable: bool = False) -> Fix:
    if if_reachable:
        return Fix(f"Or bypass the proxy for {host} if it is reachable directly", f"export NO_PROXY={_q(host)}")
    return Fix(f"Or bypass the proxy for {host}", f"export NO_PROXY={_q(host)}")


def dns_failure_fixes(host: str, not_found: bool) -> List[Fix]:
    fixes = [Fix(f"Check that {host} resolves on this machine", f"getent hosts {_q(host)}")]
    if not_found:
        fixes.append(Fix("Check the host name in the base URL for typos (the report header shows where the URL came from)"))
    fixes.append(Fix("Check the DNS servers this machine uses (offline? VPN connected? /etc/resolv.conf)", "cat /etc/resolv.conf"))
    return fixes


def host_unresolved(host: str, why: str) -> str:
    return f"{host} {why}"


# --------------------------------------------------------------------------------------------
# net.tcp
# --------------------------------------------------------------------------------------------


def attempt_line(address: str, outcome: str, reason: Optional[str]) -> str:
    return f"{address}: {outcome}" + (f" ({reason})" if reason else "")


def proxy_connect_failed(shown: Optional[str], kind: Optional[str], timeout_s: float) -> str:
    what = {"refused": "refuses connections", "timeout": f"does not answer within {timeout_s:g} s"}.get(
        kind or "", "cannot be reached")
    return f"the proxy {shown} {what}"


def fix_start_proxy(variable: Optional[str]) -> Fix:
    return Fix(f"Start the proxy or fix {variable}; unset it if you do not need a proxy", f"unset {variable}")


def refused(target: str, port: int) -> str:
    return f"{target} refuses connections: nothing listens on port {port}"


def refused_fixes(base_url_shown: str, port: int) -> List[Fix]:
    return [Fix(f"Start the server, or fix the port in the base URL ({base_url_shown})"),
            Fix("On the server, see what listens where", f"ss -ltnp | grep -w {port}")]


def connect_timeout(target: str, timeout_s: float) -> str:
    return f"{target} did not answer within {timeout_s:g} s"


CONNECT_TIMEOUT_FIXES = (
    Fix("Check firewalls and the address; on a network that requires a proxy, set it",
        "export HTTPS_PROXY=http://proxy.example:3128"),
    Fix("Retry with a longer timeout if the network is just slow", "chat-doctor check --timeout 30"),
)


def connect_failed(target: str, error: Optional[str]) -> str:
    return f"cannot connect to {target}: {error}"


def proxy_challenge(challenge: Optional[str]) -> str:
    return f"the proxy asks: Proxy-Authenticate: {challenge or '(no challenge)'}"


PROXY_CREDENTIALS_REJECTED = "the proxy URL carries credentials, but the proxy rejected them"


def no_proxy_credentials(variable: Optional[str]) -> str:
    return f"{variable} carries no credentials"


def proxy_wants_auth(shown: Optional[str]) -> str:
    return f"the proxy {shown} wants authentication (407)"


def fix_proxy_credentials(variable: Optional[str], proxy_host: Optional[str], proxy_port: Optional[int]) -> Fix:
    return Fix("Put the proxy credentials in the URL (percent-encode special characters)",
               f"export {variable}=http://USER:PASSWORD@{proxy_host}:{proxy_port}")


def tunnel_refused(shown: Optional[str], host: str, port: int, error: Optional[str]) -> str:
    return f"the proxy {shown} refused a tunnel to {host}:{port} ({error})"


def fix_allow_tunnel(host: str, port: int) -> Fix:
    return Fix(f"Ask the proxy's administrators to allow {host}:{port}")


def tunnel_failed(shown: Optional[str], error: Optional[str]) -> str:
    return f"the proxy {shown} did not open the tunnel: {error}"


def fix_check_proxy(variable: Optional[str]) -> Fix:
    return Fix(f"Check the proxy, or unset {variable} if you do not need one", f"unset {variable}")


def connected(address: Optional[str], connect_ms: Optional[float]) -> str:
    return f"connected to {address} in {ms(connect_ms)}"


def tunnel_opened(host: str, port: int, tunnel_ms: Optional[float]) -> str:
    return f"; the proxy opened a tunnel to {host}:{port} in {ms(tunnel_ms)}"


def connected_to_proxy(address: Optional[str], connect_ms: Optional[float]) -> str:
    return f"connected to the proxy at {address} in {ms(connect_ms)}"


# --------------------------------------------------------------------------------------------
# net.tls
# --------------------------------------------------------------------------------------------


def tls_not_used(base_url_shown: str) -> str:
    return f"{base_url_shown} is plain http: no TLS to check"


def proxy_not_testable(proxy_scheme: Optional[str], shown: Optional[str]) -> str:
    return f"the {proxy_scheme} proxy {shown} is reachable, but chat-doctor cannot tunnel through it"


def cert_lines(cert: Any) -> List[str]:
    """The certificate as detail lines (doctor.net.tls.CertInfo, or None: no lines)."""
    if cert is None:
        return []
    lines = [f"certificate: {cert.subject or '(no subject)'}", f"issued by:   {cert.issuer or '(no issuer)'}"]
    if cert.names:
        lines.append("valid for:   " + ", ".join(cert.names[:6]) + (" ..." if len(cert.names) > 6 else ""))
    if cert.not_after:
        lines.append(f"valid until: {cert.not_after[:10]}")
    return lines


def trust_line(client: str, described: str, ok: bool, failure: Optional[str]) -> str:
    verdict = "trusts it" if ok else f"rejects it: {failure}"
    return f"{client} uses {described}: {verdict}"


TRUST_FROM_OWN_INTERPRETER = "(the target could not be probed: trust was rebuilt from chat-doctor's own interpreter)"
CURL_WORKS = "so tools using the system trust (curl, browsers, urllib) work while the openai SDK fails"
DEFAULT_CONTEXT_FAILS = ("code using urllib, or ssl.create_default_context(), in this interpreter will fail with "
                         "CERTIFICATE_VERIFY_FAILED")


def sdk_verifies_nothing(problem: str) -> str:
    return f"the openai SDK cannot verify anything: {problem}"


FIX_UNSET_BROKEN_CERT_FILE = Fix("Point SSL_CERT_FILE at an existing CA bundle, or unset it to use the defaults",
                                 "unset SSL_CERT_FILE SSL_CERT_DIR")


def tls_trusted(protocol: Optional[str], host: str, not_after: Optional[str], days: Optional[int]) -> str:
    until = f", valid until {not_after[:10]}" if not_after else ""
    left = f" ({days} day{'s' if days != 1 else ''} left)" if days is not None else ""
    return f"{protocol}, certificate for {host} trusted{until}{left}"


def trust_differs(host: str) -> str:
    return f"the openai SDK trusts {host}, but the interpreter's default ssl context does not"


def no_second_connection(failure: Optional[str]) -> str:
    return f"could not connect again for the handshake: {failure}"


def sdk_material_unloadable(failure: Optional[str]) -> str:
    return f"the openai SDK's CA material cannot be loaded: {failure}"


FIX_UNSET_BAD_CERT_FILE = Fix("Point SSL_CERT_FILE at a valid PEM bundle, or unset it", "unset SSL_CERT_FILE SSL_CERT_DIR")


def tls_failure(kind: Optional[str], host: str, cert: Any, failure: Optional[str], differs: bool) -> str:
    """The summary of a handshake the SDK's trust rejects (or that failed), by TlsFailure kind."""
    if kind == "self_signed":
        text = f"{host} presents a self-signed certificate"
    elif kind == "unknown_ca":
        issuer = f" (issued by {cert.issuer})" if cert is not None and cert.issuer else ""
        text = f"{host}'s certificate chain ends at a CA the openai SDK does not trust{issuer}"
    elif kind == "expired":
        when = f" on {cert.not_after[:10]}" if cert is not None and cert.not_after else ""
        text = f"{host}'s certificate expired{when}"
    elif kind == "not_yet_valid":
        when = f" before {cert.not_before[:10]}" if cert is not None and cert.not_before else ""
        text = f"{host}'s certificate is not valid yet{when}: is this machine's clock right?"
    elif kind == "hostname_mismatch":
        names = f" (it is for {', '.join(cert.names[:3])})" if cert is not None and cert.names else ""
        text = f"the certificate is not valid for {host}{names}"
    elif kind == "timeout":
        text = f"{host} did not complete the TLS handshake in time"
    elif kind == "protocol":
        text = f"{host} does not speak TLS on this port ({failure}); is it an http:// server?"
    else:
        text = f"TLS handshake with {host} failed: {failure}"
    if differs:
        text += "; the system's default trust accepts it"
    return text


def fix_share_sdk_bundle(cafile: str) -> Fix:
    return Fix("Make other tools in this interpreter trust what the SDK trusts",
               f"export SSL_CERT_FILE={_q(cafile)} REQUESTS_CA_BUNDLE={_q(cafile)}")


FIX_TRUSTSTORE_FOR_DEFAULT = Fix("Make the default context use the OS trust store too: pip install truststore, then call "
                                 "truststore.inject_into_ssl() at start-up", "python -m pip install truststore")


def fix_sdk_use_default_cafile(cafile: str) -> Fix:
    return Fix("The interpreter's default CA bundle trusts this server: point the SDK at it",
               f"export SSL_CERT_FILE={_q(cafile)}")


def fix_unset_cert_file_for_dir(capath: str) -> Fix:
    return Fix(f"The certificate is trusted through the directory {capath}, which the SDK ignores "
               "while SSL_CERT_FILE is set: unset SSL_CERT_FILE (the SDK then reads SSL_CERT_DIR), "
               "or add that CA to the SSL_CERT_FILE bundle", "unset SSL_CERT_FILE")


def fix_sdk_use_default_capath(capath: str) -> Fix:
    return Fix(f"The certificate is trusted through the directory {capath}: point the SDK at it",
               f"export SSL_CERT_DIR={_q(capath)}")


UNKNOWN_CA_FIXES = (
    Fix("Behind a TLS-inspecting corporate proxy: get its root CA (from IT, or export it from the OS "
        "keychain as PEM), append it to a copy of certifi's bundle and point SSL_CERT_FILE at that",
        'cat "$(python -m certifi)" corporate-root.pem > ~/ca-bundle.pem\n'
        "export SSL_CERT_FILE=~/ca-bundle.pem REQUESTS_CA_BUNDLE=~/ca-bundle.pem"),
    Fix("Or use the OS trust store (which usually has the corporate root) with truststore: "
        "call truststore.inject_into_ssl() before creating the client",
        "python -m pip install truststore"),
)


def self_signed_fixes(port: str, host: str) -> List[Fix]:
    return [Fix("Save the server's certificate and trust it explicitly",
                f"openssl s_client -connect {shlex.quote(port)} -servername {shlex.quote(host)} </dev/null 2>/dev/null "
                f"| openssl x509 > server.pem\nexport SSL_CERT_FILE=$PWD/server.pem"),
            Fix("Better: give the server a certificate from a CA your clients trust")]


FIX_CHECK_CLOCK = Fix("Check this machine's date and time", "date -u; timedatectl")
FIX_RENEW = Fix("Renew the server's certificate (the server's operator must do this)")


def fix_use_listed_name(name: str) -> Fix:
    return Fix(f"Use a host name the certificate is valid for, e.g. {name}, in the base URL")


FIX_CERT_NAMES = Fix("Or fix the server's certificate to include the name you use")


def fix_check_scheme(port: str, host: str) -> Fix:
    return Fix("Check the scheme and port of the base URL (http:// vs https://), then look at the server side",
               f"openssl s_client -connect {shlex.quote(port)} -servername {shlex.quote(host)} </dev/null")
