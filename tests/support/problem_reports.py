"""A hand-built `Report` as a run against a local endpoint would leave it, for the pure tests of
`chat-doctor report` and the stream picture: every check's data in the shape its check writes."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from doctor.model import CheckResult, Endpoint, Report, Status, Target

KEY_SHAPE = "sk-proj-…ltv6 (55 chars)"
# A stream of 8 tokens, 40 ms apart after a 300 ms wait: a healthy spread.
STREAMED_MS = (300.0, 340.0, 380.0, 420.0, 460.0, 500.0, 540.0, 580.0)


def stream_data(tokens_ms: Sequence[float] = STREAMED_MS, *, headers_ms: float = 10.0,
                error: Optional[Dict[str, str]] = None, total_ms: Optional[float] = None) -> Dict[str, Any]:
    run = {
        "headers_ms": headers_ms, "first_chunk_ms": headers_ms + 2, "first_reasoning_ms": None,
        "ttft_ms": tokens_ms[0] if tokens_ms else None, "last_token_ms": tokens_ms[-1] if tokens_ms else None,
        "total_ms": total_ms if total_ms is not None else (tokens_ms[-1] + 5 if tokens_ms else None),
        "tokens_per_s": 25.0, "itl_ms": {"p50": 40.0, "p90": 40.0, "max": 40.0}, "connection": "new",
        "buffering": "streamed", "error": error,
    }
    return {"model": "gpt-4o-mini", "sdk": "openai 3.57.0", "runs": [run], "stats": {}, "max_ttft_ms": None,
            "token_arrivals_ms": [list(tokens_ms)]}


def result(check_id: str, data: Dict[str, Any], status: Status = Status.OK, code: Optional[str] = None,
           summary: str = "fine") -> CheckResult:
    return CheckResult(id=check_id, status=status, summary=summary, code=code, data=data)


def make_report(*, smoke: bool = True, auth_summary: str = "key sk-proj-…ltv6 (55 chars) accepted",
                auth_status: Status = Status.OK, auth_code: Optional[str] = None,
                proxy_value: str = "http://***@proxy.corp:3128") -> Report:
    checks = [
        result("python.interpreter", {"version": "3.11.7", "implementation": "CPython", "platform": "linux",
                                      "machine": "x86_64", "mac_ver": None, "is_venv": True,
                                      "venv_home": "/opt/py/bin"}),
        result("python.ssl", {"library": "OpenSSL", "version_string": "OpenSSL 3.0.19 27 Jan 2026",
                              "has_tls13": True, "default_cafile": "/etc/ssl/certs/ca-certificates.crt",
                              "default_capath": "/etc/ssl/certs", "openssl_cafile": "/usr/lib/ssl/cert.pem"}),
        result("python.urllib3", {"installed": True, "version": "2.8.0", "openai_uses_urllib3": False}),
        result("python.certs", {"ca_variables": {"SSL_CERT_FILE": "/etc/ssl/corp.pem"},
                                "certifi": {"installed": True, "version": "2026.10.19",
                                            "where": "/venv/certifi/cacert.pem", "cert_count": 117}}),
        result("packages.openai", {"installed": True, "version": "3.57.0", "location": "/venv/site-packages",
                                   "http_library": "httpx2", "http_library_version": "2.16.2",
                                   "trust": "SSL_CERT_FILE=/etc/ssl/corp.pem"}),
        result("config.api_key", {"source": "OPENAI_API_KEY", "origin": "environment", "shape": KEY_SHAPE}),
        result("config.base_url", {"host": "127.0.0.1", "kind": "compatible"}),
        result("config.proxy", {"variables": [{"name": "HTTPS_PROXY", "value": proxy_value, "in_effect": True,
                                               "note": None}],
                                "applies": None, "exempted_by": "127.0.0.1"}),
        result("net.tls", {}, Status.SKIP, "tls_not_used", "plain http: no TLS to check"),
        result("api.auth", {}, auth_status, auth_code, auth_summary),
    ]
    summary = None
    if smoke:
        checks.append(result("stream.chat", stream_data(), summary="8 tokens, TTFT 300 ms"))
        summary = {"model": "gpt-4o-mini", "sdk": "openai 3.57.0", "runs": [], "ttft_ms": None}
    return Report(
        tool_version="0.1.0",
        target=Target(python="/venv/bin/python3", selected_by="$VIRTUAL_ENV", version="3.11.7",
                      ssl="OpenSSL 3.0.19 27 Jan 2026"),
        endpoint=Endpoint(base_url="http://127.0.0.1:8000/v1", source="OPENAI_BASE_URL", kind="compatible"),
        checks=tuple(checks),
        smoke=summary,
    )
