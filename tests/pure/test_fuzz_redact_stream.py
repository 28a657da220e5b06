"""StreamRedactor against Redactor: for any text and any way of cutting it into pieces, what the
stream shows (every `feed`, then `flush`) is the one-shot `Redactor.text` of the whole text, and
neither shows the key or a 12-character piece of it (or of its base64 forms, invisible characters
skipped). The texts are built from what the redactor looks for, so the corners are hit: pieces of
the key as short as one character (the start of a token that may yet become a fragment), its
prefix and suffix, the key whole, its base64 forms and their pieces, invisible characters and
newlines between them, ordinary words and token characters around them.

The property test draws such texts and arbitrary cuts; the brute-force test tries every cut into
two and three pieces of a fixed set of tricky texts (the cases each fix below was for).
"""

from __future__ import annotations

import itertools
from typing import Iterable, List, Sequence, Tuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from doctor.redact import RUN, Redactor, StreamRedactor, base64_forms
from tests.support.helpers import CANARY_KEY
from tests.support.strategies import KEY_ALPHABET, leaked_pieces

# A key made of a long run of one character: its 12-grams overlap at every offset.
ZEROS_KEY = "sk-svcacct-0000000000000123456789AB"
SHORT_KEY = "sk-proj-Zq9xL2mP7vR4tY8wB3nC6kD1fG5hJ0sA"
# Two secrets sharing a beginning (one is the other's first 20 characters plus junk).
TWIN_KEY = SHORT_KEY[:20] + "XXXXX"
PROXY_CREDENTIAL = "proxy-pass-1234"  # a proxy URL's password

# (keys, passwords): each redactor the stream is held to.
SECRET_SETS: Tuple[Tuple[Tuple[str, ...], Tuple[str, ...]], ...] = (
    ((CANARY_KEY,), ()),
    ((ZEROS_KEY,), ()),
    ((SHORT_KEY,), ()),
    ((CANARY_KEY, SHORT_KEY), ()),
    ((SHORT_KEY, TWIN_KEY), ()),
    ((CANARY_KEY,), (PROXY_CREDENTIAL,)),
)

ORDINARY = (
    " ", "\n", "\r\n", "\t", "\u200b", "\x00", "…", ".", "...", ",", ":", "=", "-", "_", "/", "+", '"', "'", "(", ")",
    "[", "]", "x", "0", "a", "sk-", "sk-proj-", "sk-svcacct-", "key=", "Bearer ", "Incorrect API key provided: ",
    "hello world ", "localhost:8000 ", "[redacted]",
)


def _redactor(secrets: Tuple[Tuple[str, ...], Tuple[str, ...]]) -> Redactor:
    keys, passwords = secrets
    return Redactor(keys, passwords=passwords)


def _streamed(redactor: Redactor, pieces: Iterable[str]) -> Tuple[str, int]:
    """What the stream shows, and how often it cut its held text short (0: never)."""
    stream = StreamRedactor(redactor)
    return "".join(stream.feed(piece) for piece in pieces) + stream.flush(), stream.cut_short


def _cut(text: str, cuts: Sequence[int]) -> List[str]:
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in zip(points, points[1:])]


def _assert_agree(secrets: Tuple[Tuple[str, ...], Tuple[str, ...]], pieces: List[str]) -> None:
    redactor = _redactor(secrets)
    text = "".join(pieces)
    once, (streamed, cut_short) = redactor.text(text), _streamed(redactor, pieces)
    for secret in (*secrets[0], *secrets[1]):  # never print the key: the messages show lengths, not text
        assert not leaked_pieces(secret, once), f"the one-shot text of {len(text)} chars shows a piece of a secret"
        assert not leaked_pieces(secret, streamed), f"cut {[len(p) for p in pieces]}: the stream shows a piece of a secret"
    # Past the stream's hold limit (the key back to back) the older part shows as `[redacted]`.
    assert streamed == once or cut_short, f"cut {[len(p) for p in pieces]}"


def _fragments(secret: str) -> st.SearchStrategy[str]:
    forms = (secret, *base64_forms(secret))
    return st.one_of(
        st.just(secret),
        st.builds(lambda n: secret[:n], st.integers(1, len(secret))),  # its beginning
        st.builds(lambda n: secret[-n:], st.integers(1, len(secret))),  # its end
        st.builds(lambda form, a, n: form[a : a + n], st.sampled_from(forms), st.integers(0, len(secret)), st.integers(1, 2 * RUN)),
        st.builds(lambda form, n: form[-n:], st.sampled_from(forms), st.integers(1, 2 * RUN)),
    )


@st.composite
def cases(draw: st.DrawFn, min_parts: int = 0, max_parts: int = 6,
          echo: bool = False) -> Tuple[Tuple[Tuple[str, ...], Tuple[str, ...]], str]:
    """A text of pieces of the secrets and other text; `echo`: mostly pieces of the secrets, back
    to back, with now and then an invisible character or a newline between them."""
    secrets = draw(st.sampled_from(SECRET_SETS))
    fragments = [_fragments(secret) for secret in (*secrets[0], *secrets[1])]
    part = st.one_of(*fragments, st.sampled_from(("\u200b", "\n", "\x00"))) if echo else st.one_of(
        *fragments,
        st.sampled_from(ORDINARY),
        st.text(KEY_ALPHABET, max_size=12),
        st.text(max_size=4),
    )
    return secrets, "".join(draw(st.lists(part, min_size=min_parts, max_size=max_parts)))


@given(cases(), st.lists(st.integers(min_value=0), max_size=6))
# Found by this test: `_TOKEN_TAIL` ended in `$`, which also matches before a final newline, so
# the token before a newline was taken to go on into the next piece: `sk-proj-CAN`, a fragment of
# the key after the newline, was judged as `a` + `sk-proj-CAN` and shown.
@example((((CANARY_KEY,), ()), "a\nsk-proj-CAN"), [])
# ... a token starts afresh after a run (`[redacted]`) and after a whole secret (its shape), but
# the stream read the token before the cut from the last non-token character: a fragment after a
# run or a key (`0123456789` here) was let through alone and scrubbed, the one-shot token
# (`0123456789s`, no fragment) was not.
@example((((ZEROS_KEY,), ()), ZEROS_KEY + "0123456789s"), [])
@example((((SHORT_KEY,), ()), "c2stcHJvai1ask-proj-Zq-"), [])  # a base64 run, then `sk-proj-Zq-`
# ... and a token's beginning shorter than a fragment (10) was let through when the whole token
# was one: `sk-proj-C`, then `A`, showed the fragment `sk-proj-CA` that the one-shot text scrubs
# (the cut came from the text read with the newline skipped: inside the token).
@example((((CANARY_KEY,), ()), "sk-proj-CA\nd"), [])
@example((((CANARY_KEY, SHORT_KEY), ()), "D1fG5hJ0sARDFmRzVoSjBz"), [11])
def test_any_text_streamed_in_any_pieces_is_the_one_shot_text(case: tuple, cuts: List[int]) -> None:
    secrets, text = case
    _assert_agree(secrets, _cut(text, cuts))


@given(cases(min_parts=40, max_parts=160, echo=True), st.lists(st.integers(min_value=0), max_size=40))
@settings(max_examples=150, deadline=None)
def test_a_long_run_cut_short_still_shows_no_piece_of_a_secret(case: tuple, cuts: List[int]) -> None:
    """Texts long enough for the stream to pass its hold limit (many pieces of the key back to
    back): it then shows older held text as one `[redacted]`, unlike the one-shot text, and still
    never a piece of a secret, however the text is cut."""
    secrets, text = case
    redactor = _redactor(secrets)
    pieces = _cut(text, cuts)
    stream = StreamRedactor(redactor)
    shown = []
    for piece in pieces:
        shown.append(stream.feed(piece))
        assert stream.held <= stream.hold_limit
    streamed = "".join(shown) + stream.flush()
    for secret in (*secrets[0], *secrets[1]):
        assert not leaked_pieces(secret, streamed), f"cut {[len(p) for p in pieces]}: the stream shows a piece of a secret"
    assert streamed == redactor.text(text) or stream.cut_short


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
