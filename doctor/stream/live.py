"""Streamed text on its way to the screen while the smoke test runs, scrubbed of the key.

The presenter hands the check a sink (`Context.live`: stdout, stderr under --json, or None
under --quiet); the check itself never prints.
"""

from __future__ import annotations

from typing import Callable, Optional

from doctor.knowledge.wording.stream import live_prefix
from doctor.redact import Redactor, StreamRedactor


class LivePrinter:
    """Hands streamed text to the presenter's sink: a label before the first token, a newline
    after. The text is scrubbed of the key on the way (a server may stream the caller's key
    back, whole or a few characters a chunk), holding back only what could still become one.
    """

    def __init__(self, sink: Optional[Callable[[str], None]], label: str, redactor: Redactor) -> None:
        self._sink = sink
        self._label = label
        self._started = False
        self._scrubber = StreamRedactor(redactor)

    def text(self, piece: str) -> None:
        if self._sink is None:
            return
        safe = self._scrubber.feed(piece)
        if safe:
            self._emit(safe)

    def _emit(self, safe: str) -> None:
        assert self._sink is not None
        if not self._started:
            self._started = True
            self._sink(live_prefix(self._label))
        self._sink(safe)

    def end(self) -> None:
        if self._sink is None:
            return
        rest = self._scrubber.flush()
        if rest:
            self._emit(rest)
        if self._started:
            self._sink("\n")
