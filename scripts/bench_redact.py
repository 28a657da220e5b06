"""The live reply's redaction on hostile streams, per character, against ordinary prose (scripts/bench.py redact).

A server that knows the key (it was sent one) can stream it back so that every piece could still
become more of it: the key back to back (one run that never ends), or 12-character pieces of it
joined by one more key character (a chain of runs, each held back by the token before it).
`StreamRedactor` holds back at most `hold_limit` characters and finds its cut by bisection, so
either costs a bounded amount per character; once it held the whole run and re-read it at every
piece (quadratic: 5,600 characters took 0.6 s). Each text is fed 5 characters at a time, as the
mock's `echo_key` streams, with the canary key of the tests and, for the longest secrets
chat-doctor holds, a 1,200-character token (an Azure AD token's size).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # doctor and tests, when run from anywhere

from bench_common import Row, ratio_row

from doctor.redact import Redactor, StreamRedactor
from tests.support.helpers import CANARY_KEY

LENGTH = 40_000  # characters per text
PIECE = 5


def _token(rng: random.Random, size: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "eyJ" + "".join(rng.choice(alphabet) for _ in range(size - 3))


def _chain(key: str, rng: random.Random) -> str:
    parts: List[str] = []
    while sum(map(len, parts)) < LENGTH:
        start = rng.randrange(len(key) - 12)
        parts += [key[start : start + 12], rng.choice(key)]
    return "".join(parts)[:LENGTH]


def _per_char_s(key: str, text: str) -> float:
    stream = StreamRedactor(Redactor([key]))
    started = time.perf_counter()
    for i in range(0, len(text), PIECE):
        stream.feed(text[i : i + PIECE])
    stream.flush()
    return (time.perf_counter() - started) / len(text)


def bench_redact(runs: int = 3) -> List[Row]:
    rng = random.Random(13)
    token = _token(rng, 1200)
    prose = ("The quick brown fox jumps over 12 lazy dogs, then asks for localhost:8000. " * (LENGTH // 70 + 1))[:LENGTH]
    texts: Dict[str, Callable[[], float]] = {
        "the key back to back": lambda: _per_char_s(CANARY_KEY, (CANARY_KEY * (LENGTH // len(CANARY_KEY) + 1))[:LENGTH]),
        "a chain of 12-character pieces of the key": lambda: _per_char_s(CANARY_KEY, _chain(CANARY_KEY, random.Random(1))),
        "a chain of pieces of a 1,200-character token": lambda: _per_char_s(token, _chain(token, random.Random(2))),
    }
    prose_s: List[float] = []
    hostile: Dict[str, List[float]] = {name: [] for name in texts}
    for _ in range(runs):  # interleaved
        prose_s.append(_per_char_s(CANARY_KEY, prose))
        for name, measure in texts.items():
            hostile[name].append(measure())
    return [ratio_row("redact", f"{name}, {LENGTH:,} chars in {PIECE}s", samples, "prose", prose_s, unit="us",
                      scale=1e6) for name, samples in hostile.items()]
