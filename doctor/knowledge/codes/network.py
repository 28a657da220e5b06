"""Diagnosis codes reported by the `net.*` checks (DNS, TCP, proxy tunnel, TLS).

Severity: `fail` when the SDK's own connection would fail the same way; `warn` when the SDK
works but something the user will meet elsewhere does not (`tls_trust_differs`); `skip` when
the check does not apply.
"""

from __future__ import annotations

from typing import Optional, Tuple

from doctor.knowledge.diagnosis import FAIL, SKIP, WARN, Diagnosis

# api.auth makes its own connection to the API, so what breaks a connection is reported there too.
ON_AUTH = (("api.auth", FAIL),)

DIAGNOSES: Tuple[Diagnosis, ...] = (
    # --- net.dns -----------------------------------------------------------------------
    Diagnosis(
        "dns_failure", "net.dns", FAIL,
        "The endpoint's host name does not resolve (a typo, a name that only exists on a VPN or corporate DNS, "
        "or no working DNS resolver); the SDK reports this as `APIConnectionError: Connection error.`.",
        "Check the host in the base URL, then `getent hosts <host>` (or `nslookup <host>`); connect the VPN if the name is internal.",
        also=ON_AUTH,
    ),
    # --- net.tcp -----------------------------------------------------------------------
    Diagnosis(
        "connection_refused", "net.tcp", FAIL,
        "The host answered but nothing listens on that port (the server is not running, or the port in the base URL is wrong).",
        "Start the server, or fix the port in the base URL; `ss -ltnp` on the server shows what listens where.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "connect_timeout", "net.tcp", FAIL,
        "Nothing answered the TCP connection attempt within `--timeout` (a firewall dropping packets, a wrong address, "
        "or a network that needs a proxy).",
        "Check firewalls and routes to the host; if your network requires a proxy, export `HTTPS_PROXY=http://proxy:port`.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "connect_failed", "net.tcp", FAIL,
        "The TCP connection failed before reaching the server (no route to the host or network unreachable).",
        "Check the network connection, VPN and routes (`ip route`), and the address in the base URL.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "proxy_unreachable", "net.tcp", FAIL,
        "The proxy named by `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` cannot be reached (not resolving, refusing, or silent), "
        "and the SDK sends every request through it.",
        "Fix the proxy address, start the proxy, or `unset HTTPS_PROXY HTTP_PROXY ALL_PROXY` if you do not need one; "
        "add the host to `NO_PROXY` to bypass it for this endpoint.",
        also=(("net.dns", FAIL), *ON_AUTH),
    ),
    Diagnosis(
        "proxy_auth_required", "net.tcp", FAIL,
        "The proxy answered 407 Proxy Authentication Required: it needs credentials that the proxy URL does not carry "
        "(or carries wrongly).",
        "Put the credentials in the proxy URL: `export HTTPS_PROXY=http://USER:PASSWORD@proxy:port` "
        "(percent-encode special characters, e.g. `@` as `%40`).",
        also=ON_AUTH,
    ),
    Diagnosis(
        "proxy_tunnel_refused", "net.tcp", FAIL,
        "The proxy refused to open a tunnel (HTTP CONNECT) to the endpoint: its policy blocks the host or port, "
        "or it could not reach the endpoint itself (502/503/504).",
        "Ask the proxy's administrators to allow the endpoint's host:port, or add the host to `NO_PROXY` if it is reachable directly.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "proxy_not_testable", "net.tls", SKIP,
        "The proxy in effect is a SOCKS or https:// proxy; chat-doctor can reach it but cannot tunnel through it, so "
        "the connection behind it is not tested here.",
        "Run `chat-doctor smoke` to test the whole path through the SOCKS proxy with the openai SDK itself.",
        also=(("api.auth", SKIP),),
    ),
    # --- net.tls -----------------------------------------------------------------------
    Diagnosis(
        "tls_not_used", "net.tls", SKIP,
        "The endpoint uses plain `http://`, so there is no TLS to check.",
        "Nothing to do for a local server; use `https://` for anything across a network.",
    ),
    Diagnosis(
        "tls_self_signed", "net.tls", FAIL,
        "The server presents a self-signed certificate, which no trust store accepts unless told to.",
        "Point `SSL_CERT_FILE` at that certificate (or the CA that should have issued it): "
        "`export SSL_CERT_FILE=/path/to/cert.pem`; better, give the server a certificate from a trusted CA.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "tls_unknown_ca", "net.tls", FAIL,
        "The certificate chain ends at a CA this Python client does not trust. On company networks this is usually a "
        "TLS-inspecting proxy (Zscaler, Netskope, Palo Alto, ...) re-signing traffic with a corporate root that the "
        "browser and OS trust but certifi / the SDK's CA bundle does not.",
        "Get the corporate root CA (IT, or export it from the OS keychain as PEM) and `export SSL_CERT_FILE=/path/to/bundle.pem` "
        "(certifi's bundle plus the corporate root); or `pip install truststore` and call `truststore.inject_into_ssl()` "
        "to use the OS trust store.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "tls_expired", "net.tls", FAIL,
        "The server's certificate is outside its validity period (expired, or not valid yet, which points at a wrong "
        "clock on this machine).",
        "Renew the server's certificate; if it says 'not yet valid', fix this machine's clock (`timedatectl`).",
        also=ON_AUTH,
    ),
    Diagnosis(
        "tls_hostname_mismatch", "net.tls", FAIL,
        "The certificate is valid but not for the host name in the base URL (a wrong host, an IP address instead of the "
        "name, or a proxy/load balancer presenting its own certificate).",
        "Use the host name the certificate is issued for in the base URL, or fix the server's certificate.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "tls_handshake_failed", "net.tls", FAIL,
        "The TLS handshake failed for a reason other than trust: the server speaks plain HTTP on this port, no common "
        "protocol version or cipher, the connection was cut, or no answer in time.",
        "Check the scheme and port of the base URL (`http://` vs `https://`); run `openssl s_client -connect host:port` for the server's side.",
        also=ON_AUTH,
    ),
    Diagnosis(
        "tls_trust_store_unusable", "net.tls", FAIL,
        "The CA bundle the openai SDK would load does not exist or cannot be read (e.g. `SSL_CERT_FILE` names a missing "
        "file, which makes the client raise `FileNotFoundError` when it is created).",
        "Point `SSL_CERT_FILE`/`SSL_CERT_DIR` at an existing bundle, or unset them to use the defaults.",
    ),
    Diagnosis(
        "tls_trust_differs", "net.tls", WARN,
        "The openai SDK and the interpreter's default `ssl` context trust different CA sets, and only one of them accepts "
        "this server: the classic 'works in curl/the browser, fails in Python' (or the reverse).",
        "Make both use the same bundle: `export SSL_CERT_FILE=/path/to/bundle.pem` (and `REQUESTS_CA_BUNDLE` for requests).",
    ),
)


# What kind of TLS failure (doctor.net.tls.TlsFailure.kind) is which code, for net.tls and api.auth.
_TLS_CODES = {
    "self_signed": "tls_self_signed",
    "unknown_ca": "tls_unknown_ca",
    "expired": "tls_expired",
    "not_yet_valid": "tls_expired",
    "hostname_mismatch": "tls_hostname_mismatch",
}


def tls_code(kind: Optional[str]) -> str:
    """The diagnosis code for a TlsFailure kind."""
    return _TLS_CODES.get(kind or "", "tls_handshake_failed")
