"""Hand-built reports for the renderers' pure tests: every status, a smoke test with a failed run,
and text a hostile server could have put in a summary."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from doctor.model import CheckResult, Endpoint, Fix, Report, Status, Target

# What a server may echo into a summary: markup, quotes, a terminal escape, a NUL, a lone
# surrogate (a non-UTF-8 environment), a CDATA end, a table cell end, a line break followed by
# a workflow command of its own.
HOSTILE = "<script>&\"' \x1b[2J\x00\ud800 ]]> | cell\n::error title=x::injected\r%0A"


def result(check_id: str, status: Status, summary: str, code: Optional[str] = None, *,
           details: Sequence[str] = (), fixes: Sequence[Fix] = (), duration_ms: float = 0.0) -> CheckResult:
    return CheckResult(id=check_id, status=status, summary=summary, code=code, details=tuple(details),
                       fixes=tuple(fixes), duration_ms=duration_ms)


def smoke_summary(ttfts: Sequence[Optional[float]] = (120.0, None)) -> Dict[str, Any]:
    """The report's `smoke` object for runs with these TTFTs (None: a run that failed, cut)."""
    runs = [{"ttft_ms": ttft, "error": None if ttft is not None else
             {"code": "stream_interrupted", "message": "the stream was cut after 3 tokens"}} for ttft in ttfts]
    good = [ttft for ttft in ttfts if ttft is not None]
    stats = {"min": min(good), "p50": good[len(good) // 2], "p90": max(good), "max": max(good)} if good else None
    return {"model": "gpt-4o-mini", "base_url": "http://127.0.0.1:8011/v1", "runs": runs, "ttft_ms": stats,
            "timings_ms": {"headers_ms": stats, "ttft_ms": stats, "tokens_per_s": None}, "buffered": False}


def sample_report(*, strict: bool = False, smoke: Optional[Dict[str, Any]] = None,
                  extra: Sequence[CheckResult] = ()) -> Report:
    """One result of each status (two failures, one with details and a fix command)."""
    checks = (
        result("python.interpreter", Status.OK, "CPython 3.12.1", duration_ms=12.0),
        result("python.ssl", Status.WARN, "LibreSSL 2.8.3 is old", "urllib3_ssl_warning",
               fixes=[Fix("Use an interpreter built with OpenSSL", "brew install python@3.12")], duration_ms=3.0),
        result("config.api_key", Status.FAIL, "OPENAI_API_KEY ends with a newline", "api_key_whitespace",
               details=["the SDK sends it as is"],
               fixes=[Fix("Set it without the newline", "export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\")\"")],
               duration_ms=0.4),
        result("net.dns", Status.SKIP, "DNS: skipped (--offline)", "offline"),
        result("api.auth", Status.ERROR, "API key: the check crashed (ValueError: boom)", "check_crashed",
               details=["Traceback (most recent call last):"], duration_ms=2100.0),
        result("api.model", Status.FAIL, f"model: {HOSTILE}", "model_not_found", duration_ms=55.0),
        *extra,
    )
    return Report(tool_version="0.1.0", target=Target("/usr/bin/python3", "VIRTUAL_ENV", "3.12.1"),
                  endpoint=Endpoint("https://api.openai.com/v1", "default", "openai"), checks=checks,
                  smoke=smoke, strict=strict)
