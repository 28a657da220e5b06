"""What went wrong in one streamed request, from its trace: the code and the words. Pure.

Failures before a stream began (nothing sent, a bound, the client, an HTTP error, a timeout,
no connection) come first; then an answer that is not a stream; then a stream that broke,
never finished, was aborted by the server (doctor.stream.integrity) or finished empty. An HTTP
error is classified by the table `api.auth` uses too (doctor.knowledge.api_errors), and a 5xx
from a gateway naming its upstream by doctor.knowledge.gateways, so one cause has one code.
Buffering, an ignored token limit, a filtered reply and a missing usage chunk are not problems
of a run: stream.chat judges them over the runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from doctor.knowledge.api_errors import ApiError, diagnosis_for
from doctor.knowledge.gateways import stream_upstream_failure
from doctor.knowledge.wording import gateways as gw
from doctor.knowledge.wording import stream as words
from doctor.knowledge.wording import target_run as say
from doctor.model import Status
from doctor.stream import integrity
from doctor.stream import trace as t


@dataclass(frozen=True)
class RunProblem:
    code: str
    summary: str
    details: Tuple[str, ...] = ()
    status: Optional[Status] = None  # None: the code's registered severity
    limit: Optional[t.StreamLimit] = None  # the bound that stopped the request, with figures


def diagnose_run(trace: t.StreamTrace) -> Optional[RunProblem]:
    """What is wrong with this one request, or None. Buffering is judged separately (a warning)."""
    failure = trace.failure
    ctype = (trace.content_type or "").split(";")[0].strip().lower()
    if failure is not None and failure.phase != t.PHASE_STREAM:
        return _request_problem(failure, trace.endpoint_kind)
    if ctype and ctype != "text/event-stream" and trace.count(*t.TOKEN_KINDS) == 0:
        details = (words.content_type_line(trace.content_type), words.NO_CHUNKS_FOR_IT)
        if "html" in ctype:
            # A captive portal, a login page or a web UI answered: not the API at all.
            return RunProblem("not_openai_api", words.html_instead(trace.status), details)
        return RunProblem("stream_not_sse", words.not_sse(ctype, trace.status), details)
    if failure is not None:
        return _stream_problem(trace, failure)
    if trace.overrun is not None:
        return None  # chat-doctor stopped reading on purpose: judged apart (max_tokens_ignored)
    if trace.finish_reason is None:
        got = words.content_chunks(trace.count(t.CONTENT)) if trace.chunks else "nothing"
        return RunProblem("stream_interrupted", words.no_finish_reason(got), (words.NO_FINISH_DETAIL,))
    aborted = integrity.aborted(trace)
    if aborted is not None:
        return RunProblem(aborted.code, aborted.summary, aborted.details)
    if trace.count(t.CONTENT) == 0 and trace.finish_reason not in integrity.FILTERED:
        # A filtered reply may be empty: that is the filter's doing (content_filtered, a warning over the runs).
        if trace.count(t.REASONING) and trace.finish_reason == "length":
            return RunProblem("stream_empty", words.ALL_REASONING, (words.RAISE_MAX_TOKENS,), status=Status.WARN)
        return RunProblem("stream_empty", words.no_content(trace.finish_reason))
    return None


_INVALID_MODEL = re.compile(r"invalid model name", re.IGNORECASE)


def http_error_code(failure: t.StreamFailure, kind: str) -> Tuple[str, Optional[str]]:
    """(code, note) for an HTTP error answered instead of a stream, from the API error table
    that `api.auth` uses too (doctor.knowledge.api_errors), so one cause has one code.
    """
    status = failure.status or 0
    if 300 <= status < 400:
        return "endpoint_redirects", None
    if status == 404 and "model_not_found" in (failure.code, failure.type):
        # dasLLAMA's server names it in `type` alone, with no `code` (seen on dasllama 0.6.6,
        # tests/machine/test_real_model_server.py): still the model, not the base URL.
        return "model_not_found", None
    if status == 400 and _INVALID_MODEL.search(failure.message or ""):
        # LiteLLM's proxy answers an unknown model with 400 "Invalid model name passed in
        # model=...", not 404 (seen on litellm 1.108, tests/machine/test_real_server.py).
        return "model_not_found", None
    if stream_upstream_failure(status, failure.message, kind=kind) is not None:
        return "upstream_error", None
    return diagnosis_for(status, ApiError(message=failure.message, type=failure.type, code=failure.code), kind)


def _limit_problem(when: str, failure: t.StreamFailure, details: Tuple[str, ...]) -> RunProblem:
    """A bound of doctor.stream.budget stopped the request: which one, with the figures."""
    limit = failure.limit
    assert limit is not None
    details = (words.stopped_by(limit), *details[1:])
    if limit.kind == t.LIMIT_HEADERS:
        return RunProblem("stream_timeout", words.never_began(failure.message), details, limit=limit)
    if limit.kind == t.LIMIT_STALL:
        return RunProblem("stream_stalled", words.stalled(when, failure.message), details, limit=limit)
    return RunProblem("stream_too_long", words.stopped_reading(when, failure.message), details, limit=limit)


def _request_problem(failure: t.StreamFailure, kind: str) -> RunProblem:
    details = words.failure_details(failure)
    if failure.kind == t.ERR_WITHHELD:
        # FAIL, not api.auth's skip: a smoke test was asked for and proved nothing.
        return RunProblem("key_withheld_insecure", words.key_not_sent(failure.message), (words.NOTHING_SENT,),
                          status=Status.FAIL)
    if failure.kind == t.ERR_LIMIT:
        return _limit_problem(words.BEFORE_THE_STREAM, failure, details)
    if failure.kind == t.ERR_SDK_BROKEN:
        return RunProblem("stream_sdk_broken", say.sdk_broken(failure.exception, failure.message), (say.SDK_BROKEN_DETAIL,))
    if failure.kind == t.ERR_RUNNER:
        return RunProblem("smoke_runner_failed", failure.message)
    if failure.kind == t.ERR_SETUP:
        if "socks" in failure.message.lower():
            return RunProblem("proxy_socks_unsupported", words.SOCKS_UNSUPPORTED,
                              (words.exception_line(failure.exception, failure.message),), status=Status.FAIL)
        code = "stream_sdk_unavailable" if failure.exception in ("ImportError", "ModuleNotFoundError") else "stream_client_setup"
        return RunProblem(code, words.client_not_created(failure.message), details)
    if failure.kind == t.ERR_STATUS and failure.status is not None:
        code, note = http_error_code(failure, kind)
        summary = words.http_instead(failure.status, failure.message)
        upstream = stream_upstream_failure(failure.status, failure.message, kind=kind)
        if code == "upstream_error" and upstream is not None:
            summary = gw.upstream_failed(upstream.gateway, failure.status, upstream.message)
            note = gw.upstream_detail(upstream.gateway)
        elif code == "gateway_no_key_db":
            summary = gw.no_key_db(failure.status, failure.message)
        # FAIL whatever the code's usual severity (a 429 only warns in api.auth): no stream happened.
        return RunProblem(code, summary, details + ((note,) if note else ()), status=Status.FAIL)
    if failure.kind == t.ERR_TIMEOUT:
        return RunProblem("stream_timeout", words.NO_HEADERS, details)
    if failure.kind == t.ERR_CONNECTION:
        return RunProblem("stream_connection_failed", words.could_not_send(failure.cause or failure.message), details)
    return RunProblem("stream_connection_failed", words.request_failed(failure.exception, failure.message), details)


def _stream_problem(trace: t.StreamTrace, failure: t.StreamFailure) -> RunProblem:
    details = words.failure_details(failure)
    after = words.after_content(trace.count(t.CONTENT))
    if failure.kind == t.ERR_LIMIT:
        return _limit_problem(after, failure, details)
    if failure.kind == t.ERR_RUNNER:
        return RunProblem("smoke_runner_failed", failure.message)
    if failure.kind == t.ERR_EVENT:
        return RunProblem("stream_error_event", words.error_event(after, failure.message), details)
    if failure.kind == t.ERR_MALFORMED:
        return RunProblem("stream_malformed", words.malformed(after, failure.message), details)
    if failure.kind == t.ERR_TIMEOUT:
        return RunProblem("stream_stalled", words.read_timeout(after), details)
    return RunProblem("stream_interrupted", words.cut(after), details)
