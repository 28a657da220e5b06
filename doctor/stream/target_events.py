"""The target runner's events (doctor/stream/target_runner.py) as chat-doctor's own types.

`Collector` takes the runner's JSON lines one at a time, as they arrive, and builds one
doctor.stream.trace.StreamTrace per run (its last attempt, with the fields dropped by fallbacks),
shaped as doctor.stream.sdk builds it in-process, so the analysis cannot tell the two paths
apart. Everything the runner said passes through the run's Redactor first; the reply's text is
scrubbed whole (a key split across chunks is caught) and handed to the live printer through a
StreamRedactor.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

from doctor.redact import Redactor, StreamRedactor
from doctor.stream import trace as t
from doctor.stream.responses_events import KINDS as _KINDS
from doctor.stream.responses_events import LIMIT_FIELD, RESPONSES
from doctor.stream.target_runner import EVENTS, KEY_MARK
from doctor.words import shorten


class RunPrinter(Protocol):
    """Where one run's streamed text goes as it arrives (stream.chat's live printer)."""

    def text(self, piece: str) -> None: ...

    def end(self) -> None: ...


@dataclass(frozen=True)
class TargetSetup:
    """Which interpreter and SDK ran (smoke.python / smoke.sdk), as the runner saw itself."""

    python_version: str
    executable: str
    openai: Optional[str] = None  # "1.109.1"; None: not importable
    http: Optional[str] = None  # "httpx 0.28.1" or "httpx2 2.16.2"

    @property
    def sdk(self) -> str:
        return f"openai {self.openai}" if self.openai else "openai (not importable)"


@dataclass(frozen=True)
class TargetRun:
    """One run: its trace, plus what only the Responses API has (per chunk, in order)."""

    trace: t.StreamTrace
    event_types: Tuple[Optional[str], ...] = ()
    sequence_numbers: Tuple[Optional[int], ...] = ()
    terminal: Optional[str] = None  # response.completed / .incomplete / .failed / error; None: none came
    read_count: int = 0  # network reads of the body (trace.reads keeps the first 1024)


@dataclass
class _Attempt:
    """What the events of the attempt in progress said so far (mutable while it is read)."""

    run: int
    fields: Dict[str, Any] = field(default_factory=dict)
    chunks: List[t.Chunk] = field(default_factory=list)
    texts: List[str] = field(default_factory=list)
    types: List[Optional[str]] = field(default_factory=list)
    seqs: List[Optional[int]] = field(default_factory=list)
    fallbacks: Tuple[str, ...] = ()


class Collector:
    """Feeds on the runner's lines (see the module docstring); `runs`, `setup` and the other
    attributes say what it has heard so far."""

    def __init__(self, model: str, max_tokens: int, endpoint_kind: str, redactor: Redactor,
                 printer: Optional[Callable[[int], RunPrinter]] = None, key: Optional[str] = None) -> None:
        self.model, self.max_tokens, self.endpoint_kind = model, max_tokens, endpoint_kind
        self.redactor, self.printer = redactor, printer
        # The runner wrote the whole key as KEY_MARK: put it back (JSON-escaped, so the line still
        # parses) for the Redactor to replace by its shape, as it does for an in-process error.
        self._mark = (KEY_MARK.encode(), json.dumps(key.strip())[1:-1].encode()) if key and key.strip() else None
        self.setup: Optional[TargetSetup] = None
        self.setup_failed: Optional[Dict[str, Any]] = None
        self.too_old: Optional[Dict[str, Any]] = None
        self.internal_error: Optional[Dict[str, Any]] = None
        self.warmup_ms: Optional[float] = None
        self.runs: List[TargetRun] = []
        self.done = False
        self.events = 0
        self.garbage: Optional[str] = None  # the first line that was not an event
        self._attempt: Optional[_Attempt] = None
        self._live: Optional[Tuple[RunPrinter, StreamRedactor]] = None

    def line(self, raw: bytes) -> None:
        if self._mark is not None and self._mark[0] in raw:
            raw = raw.replace(*self._mark)
        try:
            event = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
            event = None
        if not isinstance(event, dict) or event.get("event") not in EVENTS + ("too_old",):
            if self.garbage is None and raw.strip():
                self.garbage = shorten(self.redactor.text(raw[:1000].decode("utf-8", "replace")), 200)
            return
        self.events += 1
        text = event.pop("text", "")
        self._take(self.redactor.scrub(event), text if isinstance(text, str) else "")

    def _take(self, event: Dict[str, Any], text: str) -> None:
        name = event["event"]
        if name == "setup":
            http = f"{event.get('http')} {event.get('http_version') or '?'}" if event.get("http") else None
            self.setup = TargetSetup(python_version=str(event.get("python")), executable=str(event.get("executable")),
                                     openai=event.get("openai"), http=http)
        elif name in ("setup_failed", "too_old", "internal_error"):
            setattr(self, name, event)
        elif name == "first_call_cost":
            self.warmup_ms = _number(event.get("ms"))
        elif name == "done":
            self.done = True
        elif name == "sent":
            self._sent(event)
        elif self._attempt is not None and event.get("run") == self._attempt.run:
            self._during(name, event, text)

    def _sent(self, event: Dict[str, Any]) -> None:
        same_run = self._attempt is not None and self._attempt.run == event.get("run")
        fallbacks = self._attempt.fallbacks if self._attempt is not None and same_run else ()
        if not same_run:
            self.finish()  # the previous run's printer ends here: a retried run prints as one
        self._attempt = _Attempt(run=_count(event.get("run")), fallbacks=fallbacks,
                                 fields={"limit_field": LIMIT_FIELD if event.get("api") == RESPONSES else event.get("limit_field"),
                                         "usage_requested": bool(event.get("include_usage"))})
        if self.printer is not None and self._live is None:
            self._live = (self.printer(self._attempt.run), StreamRedactor(self.redactor))

    def finish(self) -> None:
        """End the live printout of the run in progress (also when the runner stopped mid-run)."""
        if self._live is not None:
            printer, scrubber = self._live
            self._live = None
            rest = scrubber.flush()
            if rest:
                printer.text(rest)
            printer.end()

    def _during(self, name: str, event: Dict[str, Any], text: str) -> None:
        attempt = self._attempt
        assert attempt is not None  # _take checked it
        if name == "connection":
            state = event.get("state")
            attempt.fields.update(connection=state if state in ("new", "reused") else None,
                                  connect_ms=_number(event.get("connect_ms")))
        elif name == "headers":
            attempt.fields.update(headers_ms=_number(event.get("ms")), status=_status(event.get("status")),
                                  content_type=_text(event.get("content_type")), request_id=_text(event.get("request_id")),
                                  extra=t.encoding_note(_text(event.get("content_encoding"))))
        elif name == "chunk":
            self._chunk(attempt, event, text)
        elif name == "failure":
            attempt.fields.update(failure=_failure(event), status=attempt.fields.get("status") or _status(event.get("status")))
            attempt.fields.setdefault("request_id", _text(event.get("request_id")))
        elif name == "fallback":
            attempt.fallbacks = (*attempt.fallbacks, str(event.get("field")))
        elif name == "end":
            self._end(attempt, event)

    def _chunk(self, attempt: _Attempt, event: Dict[str, Any], text: str) -> None:
        kind = _KINDS.get(str(event.get("kind")), t.EMPTY)
        attempt.chunks.append(t.Chunk(wire_ms=_number(event.get("wire_ms")) or 0.0, yield_ms=_number(event.get("yield_ms")) or 0.0,
                                      kind=kind, chars=len(text), waited_ms=_number(event.get("waited_ms")) or 0.0))
        attempt.types.append(event.get("type"))
        seq = event.get("seq")
        attempt.seqs.append(seq if isinstance(seq, int) and not isinstance(seq, bool) else None)
        if text and kind == t.CONTENT:
            attempt.texts.append(text)
            if self._live is not None:
                safe = self._live[1].feed(text)
                if safe:
                    self._live[0].text(safe)

    def _end(self, attempt: _Attempt, event: Dict[str, Any]) -> None:
        tokens = event.get("completion_tokens")
        trace = t.StreamTrace(
            model=self.model, sdk=self.setup.sdk if self.setup is not None else "openai (unknown)",
            end_ms=_number(event.get("ms")), request_build_ms=_number(event.get("build_ms")), chunks=tuple(attempt.chunks),
            reads=tuple(_number(r) or 0.0 for r in event.get("reads") or ()),
            finish_reason=_text(event.get("finish_reason")), completion_tokens=tokens if isinstance(tokens, int) else None,
            text=self.redactor.text("".join(attempt.texts)), overrun=_limit(event.get("overrun")),
            fallbacks=attempt.fallbacks, max_tokens=self.max_tokens, endpoint_kind=self.endpoint_kind,
            wire=t.WireFacts.from_dict(event.get("wire")), **attempt.fields,
        )
        run = TargetRun(trace=trace, event_types=tuple(attempt.types), sequence_numbers=tuple(attempt.seqs),
                        terminal=_text(event.get("terminal")), read_count=_count(event.get("read_count")))
        if self.runs and attempt.run == len(self.runs):
            self.runs[-1] = run  # a later attempt of the same run replaces the refused one
        elif attempt.run == len(self.runs) + 1:
            self.runs.append(run)


def _number(value: Any) -> Optional[float]:
    # Finite only: json.loads reads NaN and Infinity, which would reach the report as invalid JSON.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e300 else math.inf  # an int past a float's range
        return number if math.isfinite(number) else None
    return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _limit(value: Any) -> Optional[t.StreamLimit]:
    if not isinstance(value, dict):
        return None
    return t.StreamLimit(kind=str(value.get("kind")), bound=_number(value.get("bound")) or 0.0,
                         observed=_number(value.get("observed")) or 0.0, unit=str(value.get("unit")))


def _failure(event: Dict[str, Any]) -> t.StreamFailure:
    """The runner's failure as in-process: messages shortened as doctor.stream.classify shortens them,
    a bound described in its words."""
    limit = _limit(event.get("limit"))
    kind = str(event.get("kind") or t.ERR_OTHER)
    if kind == t.ERR_LIMIT and limit is None:
        kind = t.ERR_RUNNER  # "stopped at a bound" without the bound: the runner broke its contract
    if limit is not None:
        from doctor.knowledge.wording.stream import describe_limit  # its wording; no openai import behind it

        message = describe_limit(limit)
    else:
        message = shorten(str(event.get("message") or ""))
    cause = event.get("cause")
    if isinstance(cause, str):
        name, _, rest = cause.partition(": ")
        cause = f"{name}: {shorten(rest)}"
    return t.StreamFailure(
        kind=kind, phase=str(event.get("phase") or t.PHASE_STREAM), message=message,
        exception=str(event.get("exception") or "?"), status=_status(event.get("status")),
        code=_text(event.get("code")), type=_text(event.get("type")), cause=cause if isinstance(cause, str) else None,
        retry_after=_text(event.get("retry_after")), location=_text(event.get("location")), limit=limit,
    )


def _status(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def setup_failure(event: Dict[str, Any]) -> t.StreamFailure:
    """A client that could not be built, as doctor.stream.classify reports it (`setup_failure`)."""
    return t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, message=shorten(str(event.get("message") or "")),
                           exception=str(event.get("exception") or "?"))

