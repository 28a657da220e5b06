"""The streamed smoke test as a script run by the TARGET's Python (doctor.stream.target_launch).

Why a script: the in-process path (doctor.stream.sdk) times chat-doctor's own openai, which need
not be the app's. This runs inside the target instead, with the target's openai, httpx or httpx2
and OpenSSL, so it imports nothing of chat-doctor and keeps to Python 3.8 syntax. The launcher
execs doctor/stream/target_wire.py, target_reading.py and this file, in that order, in one
namespace named "chat_doctor_runner" (so the imports below run only inside chat-doctor), then
calls `main(job)`. The key comes only from the environment variable the job names (never argv,
never printed: every string written is scrubbed of it, whole and in 12-character pieces).

Output: one JSON object per line on stdout, `{"event": NAME, ...}` (EVENTS, in order):
`setup`, then `setup_failed` (and nothing more) or `first_call_cost`; per attempt `sent`,
`connection`, `headers`, `chunk`..., an optional `failure`, then `end`; `fallback` between two
attempts of a run (a 400 named a field; the run is retried without it); `done` last. A run that
failed or overran ends the runs (the problem is the finding; more runs would only repeat it).
Times are ms from the moment the request is sent (the HTTP client's request hook, as
doctor.stream.sdk); `end`'s `build_ms` is the SDK's work from `create()` to that moment.
"""

import os
import platform
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

if __name__ != "chat_doctor_runner":  # in chat-doctor itself; in the target the launcher ran them first
    from doctor.stream.target_reading import (
        TERMINAL,
        WireWatch,
        chat_chunk,
        event_failure,
        failure_of,
        rejected_field,
        response_event,
    )
    from doctor.stream.target_wire import Guard, LimitReached, Probe, bound_hit, build_client, http_library, warm_up

SCHEMA = 1
NAMESPACE = "chat_doctor_runner"
EVENTS = ("setup", "setup_failed", "first_call_cost", "sent", "connection", "headers", "chunk", "failure",
          "end", "fallback", "done", "internal_error")
_OUT = sys.stdout  # taken before main points sys.stdout at stderr: events only on the real stdout
_OTHER_LIMIT_FIELD = {"max_completion_tokens": "max_tokens", "max_tokens": "max_completion_tokens"}


KEY_MARK = "@@chat-doctor-key@@"  # the whole key, for the launcher to show as doctor.redact shows it


class Output:
    """Writes events, scrubbed of the key (a server may echo it in an error or in the reply):
    the whole key becomes KEY_MARK, any 12 characters of it "[redacted]" (doctor.redact's rule)."""

    def __init__(self, key: Optional[str]) -> None:
        key = (key or "").strip()
        self.key = key if len(key) >= 8 else ""
        self.pieces = [key[i:i + 12] for i in range(len(key) - 11)] if self.key else []

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            if self.key and self.key in value:
                value = value.replace(self.key, KEY_MARK)
            for piece in self.pieces:
                if piece in value:
                    value = value.replace(piece, "[redacted]")
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value

    def emit(self, event: str, **fields: Any) -> None:
        import json

        fields["event"] = event
        _OUT.write(json.dumps(self.scrub(fields), ensure_ascii=True) + "\n")
        _OUT.flush()


class Session:
    """One client for every run, so a run can reuse the previous run's connection (observed)."""

    def __init__(self, job: Dict[str, Any], out: Output, openai: Any, library: Any, client: Any, probe: Probe) -> None:
        self.job, self.out, self.openai, self.library, self.client, self.probe = job, out, openai, library, client, probe
        self.bounds: Dict[str, Any] = job["bounds"]
        self.decoded_total = 0  # decoded body bytes of every attempt so far (budget.TOTAL_BYTES)
        self.limit_field: str = job.get("limit_field") or "max_completion_tokens"
        self.include_usage = bool(job.get("include_usage", True))
        self.known: Any = False  # create()'s keyword parameters (_parameters), once read

    def params(self) -> Tuple[Dict[str, Any], Tuple[str, ...]]:
        """The request, and the optional fields in it a 400 may name (sdk.StreamRequest.params)."""
        job = self.job
        if job.get("api") == "responses":
            return {"model": job["model"], "input": job["prompt"], "stream": True, "max_output_tokens": job["max_tokens"]}, ()
        params: Dict[str, Any] = {"model": job["model"], "messages": [{"role": "user", "content": job["prompt"]}], "stream": True}
        if self.include_usage:
            params["stream_options"] = {"include_usage": True}
        params[self.limit_field] = job["max_tokens"]
        return params, (("stream_options",) if self.include_usage else ()) + (self.limit_field,)

    def run(self, index: int) -> bool:
        """One run with its field fallbacks; False when it failed (no more runs then)."""
        tried = {self.limit_field}
        for attempt in range(1, int(self.bounds["attempts"]) + 1):
            rejected, healthy = self.attempt(index, attempt)
            if rejected == "stream_options" and self.include_usage:
                self.include_usage = False
            elif rejected is not None and rejected == self.limit_field and _OTHER_LIMIT_FIELD[rejected] not in tried:
                self.limit_field = _OTHER_LIMIT_FIELD[rejected]
                tried.add(self.limit_field)
            else:
                return healthy
            if attempt < int(self.bounds["attempts"]):
                self.out.emit("fallback", run=index, field=rejected)
        return False

    def attempt(self, index: int, attempt: int) -> Tuple[Optional[str], bool]:
        b = self.bounds
        left = b["total_bytes"] - self.decoded_total
        reply_bytes, kind = (b["reply_bytes"], "reply_bytes") if left > b["reply_bytes"] else (left, "total_bytes")
        params, optional = self.params()
        self.out.emit("sent", run=index, attempt=attempt, api=self.job.get("api", "chat"),
                      limit_field=None if self.job.get("api") == "responses" else self.limit_field,
                      include_usage=self.include_usage and self.job.get("api") != "responses")
        guard = Guard(b, time.perf_counter(), reply_bytes, kind, self.probe.kill)  # starts its watchdog thread
        self.probe.reset(guard)
        guard.t0 = time.perf_counter()  # just before create(), after the thread start; the request hook moves it
        try:
            return self.exchange(index, guard, params, optional)
        finally:
            guard.done.set()
            self.probe.guard = None
            self.decoded_total += guard.decoded

    def create(self, params: Dict[str, Any]) -> Any:
        method = self.client.responses.create if self.job.get("api") == "responses" else self.client.chat.completions.create
        # An SDK older than a field (openai 1.30 has no max_completion_tokens) sends it as
        # extra_body: the same request on the wire, which is what is being timed. The signature
        # is read once (inspect.signature: ~0.5 ms a call).
        if self.known is False:
            self.known = _parameters(method)
        known = self.known
        extra = {name: params.pop(name) for name in list(params) if known is not None and name not in known}
        if self.job.get("extra_headers"):  # doctor.stream.buffer_cause's Accept-Encoding: identity
            params["extra_headers"] = dict(self.job["extra_headers"])
        return method(**params, extra_body=extra) if extra else method(**params)

    def exchange(self, index: int, guard: Guard, params: Dict[str, Any], optional: Tuple[str, ...]) -> Tuple[Optional[str], bool]:
        called = guard.t0

        def ms(moment: float) -> float:  # from guard.t0, which the request hook moves to the send
            return round((moment - guard.t0) * 1000.0, 3)

        def build_ms() -> Optional[float]:
            sent = self.probe.sent
            return None if sent is None else round((sent - called) * 1000.0, 3)

        def end(finish: Optional[str] = None, tokens: Optional[int] = None, **more: Any) -> None:
            self.out.emit("end", run=index, ms=ms(time.perf_counter()), finish_reason=finish, completion_tokens=tokens,
                          reads=[ms(r) for r in guard.reads], read_count=guard.read_count, build_ms=build_ms(), **more)

        try:
            stream = self.create(params)
        except Exception as exc:  # noqa: BLE001  # classified: the refusal is the finding, never a traceback
            failure = failure_of(exc, self.openai, self.library, guard.tripped)
            rejected = None if failure["kind"] == "limit" else rejected_field(exc, self.openai, optional)
            self.out.emit("connection", run=index, **self.probe.state())
            self.out.emit("failure", run=index, phase="request", rejected=rejected, **failure,
                          request_id=_request_id(getattr(exc, "response", None)))
            end()
            return rejected, False
        returned = time.perf_counter()
        response = stream.response
        headers_at = self.probe.headers_in if self.probe.headers_in is not None else returned
        if not guard.installed:  # no response hook ran (an SDK without DefaultHttpxClient): late, but bounded
            guard.headers_in = headers_at
            guard.install(response)
        self.out.emit("connection", run=index, **self.probe.state())
        self.out.emit("headers", run=index, ms=ms(headers_at), status=response.status_code,
                      content_type=response.headers.get("content-type"), request_id=_request_id(response),
                      content_encoding=response.headers.get("content-encoding"))
        watch = WireWatch()
        watch.wrap(response)  # after the guard's wrapper: it sees the bytes the guard let through

        def end_watched(finish: Optional[str] = None, tokens: Optional[int] = None, **more: Any) -> None:
            end(finish, tokens, wire=watch.to_dict(), **more)

        return None, self.read(index, stream, guard, ms, end_watched)

    def read(self, index: int, stream: Any, guard: Guard, ms: Any, end: Any) -> bool:
        """Iterate the stream under the bounds; emits chunks, then the failure (if any) and `end`."""
        b, responses = self.bounds, self.job.get("api") == "responses"
        finish: Optional[str] = None
        tokens: Optional[int] = None
        terminal: Optional[str] = None
        failure: Optional[Dict[str, Any]] = None
        overrun: Optional[Dict[str, Any]] = None
        count = token_chunks = chars = 0
        asked = time.perf_counter()
        try:
            for item in stream:
                now = time.perf_counter()
                guard.progressed = now
                wire = guard.last_read or now
                kind, text, chunk_finish, usage, kind_of, seq = response_event(item) if responses else chat_chunk(item)
                count += 1
                self.out.emit("chunk", run=index, kind=kind, wire_ms=ms(wire), yield_ms=ms(now), chars=len(text),
                              text=text, waited_ms=round(max(0.0, (wire - asked) * 1000.0), 3), type=kind_of, seq=seq)
                finish = chunk_finish or finish
                tokens = usage if usage is not None else tokens
                if kind_of in TERMINAL or kind_of == "error":
                    terminal = kind_of
                    failure = event_failure(item)
                    if failure is not None:
                        break
                if kind in ("content", "reasoning"):
                    token_chunks += 1
                    chars += len(text)
                overrun = _overrun(b, token_chunks, chars, tokens)
                if overrun is not None:
                    break  # the reply ignored the limit: its timings so far are kept
                if count > b["events"]:
                    raise LimitReached(bound_hit("events", b["events"], count, "chunks"))
                asked = time.perf_counter()
        except Exception as exc:  # noqa: BLE001  # the stream's failure is the finding
            failure = failure_of(exc, self.openai, self.library, guard.tripped)
        finally:
            _close_quietly(stream)
        if failure is not None:
            self.out.emit("failure", run=index, phase="stream", **failure)
        end(finish, tokens, terminal=terminal, overrun=overrun)
        return failure is None and overrun is None


def _overrun(b: Dict[str, Any], token_chunks: int, chars: int, usage: Optional[int]) -> Optional[Dict[str, Any]]:
    """The reply is clearly longer than max_tokens allows (budget.token_bound), or None."""
    if usage is not None and usage > b["tokens"]:
        return bound_hit("tokens", b["tokens"], usage, "tokens")
    if token_chunks > b["tokens"]:
        return bound_hit("tokens", b["tokens"], token_chunks, "token chunks")
    if chars > b["chars"]:
        return bound_hit("tokens", b["chars"], chars, "characters")
    return None


def _parameters(method: Any) -> Optional[Tuple[str, ...]]:
    """The keyword parameters `method` takes; None when it cannot tell (or takes **kwargs)."""
    import inspect

    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters) or not any(p.name == "extra_body" for p in parameters):
        return None
    return tuple(p.name for p in parameters)


def _request_id(response: Any) -> Optional[str]:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("x-request-id") or headers.get("apim-request-id")
    return str(value)[:200] if value else None


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:  # noqa: BLE001  # a cut connection may fail to close; the events say why
        pass


def _setup(job: Dict[str, Any], out: Output, key: Optional[str]) -> Optional[Session]:
    """Import the SDK and build the client; a failure is a `setup_failed` event, never a traceback."""
    python = {"python": platform.python_version(), "executable": sys.executable, "schema": SCHEMA}
    try:
        import openai
    except Exception as exc:  # noqa: BLE001  # ImportError, or a broken dependency inside it
        out.emit("setup", openai=None, http=None, http_version=None, **python)
        out.emit("setup_failed", reason="no_openai", exception=type(exc).__name__, message=str(exc)[:4000])
        return None
    version = str(getattr(openai, "__version__", "?"))
    library = http_library(openai)
    out.emit("setup", openai=version, http=getattr(library, "__name__", None),
             http_version=getattr(library, "__version__", None), **python)
    reason = "openai_too_old" if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 1 else None
    if reason is None and job["base_url"].lower().startswith("http://") and not job.get("allow_http"):
        reason = "withheld"
    if reason is not None:
        out.emit("setup_failed", reason=reason, exception=reason, message=version if reason != "withheld" else "http")
        return None
    probe = Probe()
    try:
        # The app's own `OpenAI()` first: openai < 1.55.3 hands httpx 0.28 the `proxies` it
        # removed, a TypeError the instrumented client below (given its http_client) would not
        # meet. Other errors of this default client are the route and trust checks' business.
        try:
            openai.OpenAI(api_key="chat-doctor", base_url=job["base_url"], max_retries=0).close()
        except TypeError:
            raise
        except Exception:  # noqa: BLE001  # not this check's finding (see above)
            pass
        client = build_client(openai, library, job, key, probe)
        if job.get("api") == "responses" and getattr(client, "responses", None) is None:
            raise AttributeError("openai " + version + " has no client.responses (the Responses API needs openai >= 1.66)")
    except Exception as exc:  # noqa: BLE001  # OpenAIError (no key), ValueError (Azure), TypeError (`proxies`)
        out.emit("setup_failed", reason="client", exception=type(exc).__name__, message=str(exc)[:4000])
        return None
    out.emit("first_call_cost", ms=warm_up(openai, library, job.get("api", "chat")) if job.get("warm_up", True) else None)
    return Session(job, out, openai, library, client, probe)


def main(job: Dict[str, Any]) -> None:
    # Read once and removed: nothing this process starts, nor the SDK's own lookups, sees it there.
    key = os.environ.pop(str(job.get("key_variable") or ""), None)
    out = Output(key)
    sys.stdout = sys.stderr  # a stray print (a library's warning) must not land among the events
    try:
        session = _setup(job, out, key)
        if session is not None:
            try:
                for index in range(1, int(job.get("runs", 1)) + 1):
                    if not session.run(index):
                        break
            finally:
                session.client.close()
    except Exception as exc:  # noqa: BLE001  # the runner's own bug: one event, the traceback on stderr only
        import traceback

        sys.stderr.write(out.scrub(traceback.format_exc()))
        out.emit("internal_error", exception=type(exc).__name__, message=str(exc)[:4000])
    out.emit("done")


def sources() -> List[Tuple[str, str]]:
    """(name, source) of the three files, in the order the launcher execs them."""
    from importlib.resources import files

    package = files("doctor.stream")
    return [(name, package.joinpath(name).read_text(encoding="utf-8"))
            for name in ("target_wire.py", "target_reading.py", "target_runner.py")]
