"""StreamRedactor against Redactor: for any text and any way of cutting it into pieces, what the
stream shows (every `feed`, then `flush`) is the one-shot `Redactor.text` of the whole text, and
neither shows the key or a 12-character piece of it (or of its base64 forms, invisible characters
skipped). The brute-force test tries every cut into two and three pieces of a fixed set of tricky
texts (the cases each fix was for).
"""

from __future__ import annotations

import itertools
from typing import Iterable, List, Sequence, Tuple

import pytest

from doctor.redact import Redactor, StreamRedactor
from tests.support.helpers import CANARY_KEY
from tests.support.strategies import leaked_pieces

# A key made of a long run of one character: its 12-grams overlap at every offset.
ZEROS_KEY = "sk-svcacct-0000000000000123456789AB"
SHORT_KEY = "sk-proj-Zq9xL2mP7vR4tY8wB3nC6kD1fG5hJ0sA"
# Two secrets sharing a beginning (one is the other's first 20 characters plus junk).
TWIN_KEY = SHORT_KEY[:20] + "XXXXX"
PROXY_CREDENTIAL = "proxy-pass-1234"  # a proxy URL's password


def _redactor(secrets: Tuple[Tuple[str, ...], Tuple[str, ...]]) -> Redactor:
    keys, passwords = secrets
    return Redactor(keys, passwords=passwords)


def _streamed(redactor: Redactor, pieces: Iterable[str]) -> str:
    stream = StreamRedactor(redactor)
    return "".join(stream.feed(piece) for piece in pieces) + stream.flush()


def _cut(text: str, cuts: Sequence[int]) -> List[str]:
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in zip(points, points[1:])]


def _assert_agree(secrets: Tuple[Tuple[str, ...], Tuple[str, ...]], pieces: List[str]) -> None:
    redactor = _redactor(secrets)
    text = "".join(pieces)
    once, streamed = redactor.text(text), _streamed(redactor, pieces)
    for secret in (*secrets[0], *secrets[1]):  # never print the key: the messages show lengths, not text
        assert not leaked_pieces(secret, once), f"the one-shot text of {len(text)} chars shows a piece of a secret"
        assert not leaked_pieces(secret, streamed), f"cut {[len(p) for p in pieces]}: the stream shows a piece of a secret"
    assert streamed == once, f"cut {[len(p) for p in pieces]}"


# Texts on which the stream and the one-shot text once disagreed, or close to them.
TRICKY: Tuple[Tuple[Tuple[Tuple[str, ...], Tuple[str, ...]], str], ...] = (
    (((CANARY_KEY,), ()), f"Sure! Your key is {CANARY_KEY[:20]}... Bye."),
    (((CANARY_KEY,), ()), "a\nsk-proj-CAN"),
    (((SHORT_KEY, TWIN_KEY), ()), "XXXXX\nP7vR4XXXXX"),
    (((ZEROS_KEY,), ()), ZEROS_KEY + "0123456789s"),
    (((ZEROS_KEY,), ()), "0" + ZEROS_KEY + "0000"),
    (((SHORT_KEY,), ()), "c2stcHJvai1ask-proj-Zq-"),
    (((CANARY_KEY,), ()), "WDVGQ2xDTlJZdX5FClCNRY_"),
    (((CANARY_KEY,), ()), "sk-proj-CA\ndX5FClCNRY"),
    (((CANARY_KEY,), ()), "sk-proj-CA\u200bAAdX5FClCNRY"),
    (((CANARY_KEY, SHORT_KEY), ()), "D1fG5hJ0sARDFmRzVoSjBz"),
    (((CANARY_KEY,), (PROXY_CREDENTIAL,)), f"u:{PROXY_CREDENTIAL}@h {CANARY_KEY[-12:]}"),
)


@pytest.mark.parametrize(("secrets", "text"), TRICKY, ids=[f"tricky{i}" for i in range(len(TRICKY))])
def test_every_cut_into_two_and_three_pieces_is_the_one_shot_text(secrets: tuple, text: str) -> None:
    assert len(text) <= 48  # C(47, 2) cuts into three: about a thousand streams a text
    for count in (1, 2):
        for cuts in itertools.combinations(range(1, len(text)), count):
            _assert_agree(secrets, _cut(text, cuts))
