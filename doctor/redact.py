"""Keeping secrets out of every output.

The API key must never appear whole in the console, JSON, logs or error text, even when a
server echoes it back. `Redactor` scrubs every string in a result before any renderer sees
it, and `StreamRedactor` does the same for text that arrives in pieces (the streamed reply);
`key_shape` is how a key is shown instead: its prefix, last four and length.

The rules (stated in the README's Security section, pinned by tests/pure/test_redact.py):

- A secret is replaced wherever it appears whole, and so is every run of `RUN` (12) or more
  of its characters, whatever surrounds it (`key=<15 chars of it> is not valid`).
- So is every such run of the secret base64-encoded (standard or URL-safe alphabet), alone or
  inside a longer encoded text such as a `Basic` header: a server echoing the key that way has
  printed the key, one decode away.
- A value too short to be secret in any meaningful way (under `MIN_SECRET` characters, or a
  well-known placeholder such as `local`, `ollama` or `EMPTY` that local servers are given) is
  shown as itself and not scrubbed from other text: scrubbing `local` would turn every
  `localhost` into nonsense, and such a value protects nothing.
"""

from __future__ import annotations

import base64
import bisect
import dataclasses
import enum
import re
import unicodedata
from typing import Any, FrozenSet, Iterable, List, Mapping, Tuple

# Re-exported: callers import them from here (the URL rules live in doctor.redact_urls).
from doctor.redact_urls import display_url as display_url
from doctor.redact_urls import url_credentials as url_credentials

# Variables whose values are secrets wherever they appear.
SECRET_ENV_VARS: Tuple[str, ...] = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "AZURE_OPENAI_AD_TOKEN")

# No run this long of a secret may appear in any output.
RUN = 12
# Shorter values are not secrets worth hiding (and hiding them mangles ordinary words).
MIN_SECRET = 8
# A URL password shorter than this is not scrubbed from free text (it would hit common words);
# URLs themselves always show it as `***` (display_url).
MIN_PASSWORD = 4
# Values people give local servers, which accept any key: shown as themselves, never scrubbed.
PLACEHOLDER_KEYS: FrozenSet[str] = frozenset({
    "local", "ollama", "lm-studio", "lmstudio", "llama", "vllm", "empty", "none", "null", "dummy", "test",
    "testing", "fake", "placeholder", "anything", "changeme", "secret", "password", "token", "apikey",
    "api-key", "api_key", "not-needed", "notneeded", "no-key", "nokey", "sk-no-key-required", "sk-anything",
    "sk-dummy", "sk-test", "sk-fake", "sk-local", "sk-placeholder", "sk-xxx", "sk-1234", "sk-12345678",
})

# A server that truncates its echo ("Incorrect API key provided: sk-proj-abc...") leaves a token
# shorter than RUN that is still wholly the key's: tokens this long inside a secret go too.
_MIN_FRAGMENT = 10
_TOKENISH = re.compile(r"[A-Za-z0-9_\-.+/=]{%d,}" % _MIN_FRAGMENT)  # noqa: UP031  # a regex: % keeps its braces plain
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]+\Z")
_KNOWN_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-", "sk-")
_REDACTED = "[redacted]"


def _clean(value: str) -> str:
    # Whitespace and quotes around a key are a common mistake; the inner part is the secret.
    return value.strip().strip("\"'“”‘’").strip()


def is_secret(value: str) -> bool:
    """False for values too short or too common to hide (see the module docstring)."""
    cleaned = _clean(value)
    return len(cleaned) >= MIN_SECRET and cleaned.lower() not in PLACEHOLDER_KEYS


def key_shape(key: str) -> str:
    """A recognisable but useless form of a key: `sk-proj-…abcd (164 chars)`; a placeholder
    (`local`) is shown as itself."""
    stripped = key.strip()
    if stripped and not is_secret(stripped):
        return f'"{stripped}" ({len(key)} chars, a placeholder)'
    prefix = next((p for p in _KNOWN_PREFIXES if stripped.startswith(p)), "")
    tail = stripped[-4:] if len(stripped) >= 12 else ""
    return f"{prefix}…{tail} ({len(key)} chars)"


def base64_forms(secret: str) -> Tuple[str, ...]:
    """What base64 makes of `secret` inside any longer text: for each of the three alignments the
    secret can have in the encoded bytes, the characters that depend on the secret's bytes alone
    (the 4-character groups it fills whole), in the standard and the URL-safe alphabet."""
    raw = _utf8(secret)
    forms: List[str] = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        first, last = (1 if shift else 0), (shift + len(raw)) // 3  # the groups of 3 bytes wholly the secret's
        form = encoded[4 * first : 4 * last]
        forms += [form, form.replace("+", "-").replace("/", "_")]
    return tuple(dict.fromkeys(form for form in forms if len(form) >= RUN))


def _utf8(value: str) -> bytes:
    """`value` as bytes: a byte of the environment that is not UTF-8 is held as a lone surrogate
    (os.environ's surrogateescape) and goes back to that byte; any other lone surrogate as itself."""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


class Redactor:
    """Replaces any occurrence of a secret, or a run of `RUN` characters of one, with its shape."""

    def __init__(self, secrets: Iterable[str] = (), *, passwords: Iterable[str] = ()) -> None:
        cleaned = {_clean(s) for s in secrets if s}
        # Passwords (from proxy and base URLs) are hidden whatever they look like: the short and
        # placeholder exemption is for API keys, which local servers are given as `local`.
        chosen = {s for s in cleaned if is_secret(s)} | {p for p in passwords if len(p) >= MIN_PASSWORD}
        self._secrets = tuple(sorted(chosen, key=len, reverse=True))
        # Text is read with its invisible characters skipped, so a secret is too: one with a NUL
        # or a zero-width space inside shows on screen as its visible characters.
        self._visible = tuple(sorted({_visible(s)[0] for s in self._secrets} - {""}, key=len, reverse=True))
        # The forms a run may be a piece of (what a stream holds back the end of): as shown, and base64.
        self._forms = (*self._visible, *(form for secret in self._secrets for form in base64_forms(secret)))
        self._grams = frozenset(form[i : i + RUN] for form in self._forms for i in range(len(form) - RUN + 1))

    @classmethod
    def from_env(cls, env: Mapping[str, str], extra: Iterable[str] = ()) -> Redactor:
        values = [env.get(name, "") for name in SECRET_ENV_VARS]
        return cls([*values, *extra])

    def __bool__(self) -> bool:
        return bool(self._secrets)

    @property
    def longest_form(self) -> int:
        """The length of the longest text a run can be a piece of (a secret as shown, or base64)."""
        return max((len(form) for form in (*self._secrets, *self._forms)), default=0)

    def text(self, value: str, *, after: str = "") -> str:
        """`value` scrubbed. `after` is the text shown just before it (a stream's earlier part):
        a token that starts at once is judged with the characters of it that came before."""
        if not self._secrets or not value:
            return value
        # Whole occurrences become the secret's shape; the text between them is scrubbed of runs
        # and fragments on its own, so a shape is never read again: what surrounds it must not
        # decide how it looks (`0` + `sk-svcacct-…` is no token of the key, `sk-svcacct-…` is).
        parts: List[Tuple[str, bool]] = [(value, False)]  # (text, is a shape already)
        for secret in self._secrets:
            # A short password is not shown "as itself" the way a placeholder key is.
            shown = key_shape(secret) if is_secret(secret) else "***"
            split: List[Tuple[str, bool]] = []
            for part, done in parts:
                if done or secret not in part:
                    split.append((part, done))
                    continue
                for index, piece in enumerate(part.split(secret)):
                    split += [(shown, True), (piece, False)] if index else [(piece, False)]
            parts = split
        head = self.token_tail(after)
        # A run is read into the shape that follows (its `sk-proj-` is the key's own beginning): the
        # end of a password just before the key plus the shape's first characters may make one.
        return "".join(
            part if done else self._scrub(part, head if i == 0 else "", parts[i + 1][0] if i + 1 < len(parts) else "")
            for i, (part, done) in enumerate(parts)
        )

    def token_tail(self, shown: str) -> str:
        """The end of `shown` that a token starting right after it would continue: its last
        token characters after the last whole secret (which became a shape), at most one longer
        than the longest secret (a longer token is in none of them)."""
        if not self._secrets:
            return ""
        longest = len(self._secrets[0])
        # A whole secret that matters ends in the last `longest + 1` characters.
        run = _TOKEN_TAIL.search(shown[-(2 * longest + 2) :])
        tail = run.group(0) if run else ""
        for secret in self._secrets:
            if secret in tail:
                tail = tail[tail.rfind(secret) + len(secret) :]
        return tail[-(longest + 1) :]

    def _scrub(self, value: str, head: str = "", shape: str = "") -> str:
        value = self._scrub_runs(value, shape)
        return _TOKENISH.sub(lambda match: self._scrub_fragment(match, head if match.start() == 0 else ""), value)

    def run_spans(self, value: str) -> List[Tuple[int, int]]:
        """Maximal [start, end) spans of `value` covered by RUN-long pieces of a secret, read
        with invisible characters skipped (a key with a zero-width space or a NUL between every
        character still reads as the key on screen)."""
        skeleton, keep = _visible(value)
        spans: List[Tuple[int, int]] = []
        grams = self._grams
        for i in range(len(skeleton) - RUN + 1):
            if skeleton[i : i + RUN] in grams:
                if spans and i <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], i + RUN)
                else:
                    spans.append((i, i + RUN))
        return [(keep[start], keep[end - 1] + 1) for start, end in spans]

    def _scrub_runs(self, value: str, shape: str = "") -> str:
        """`value` with its runs replaced; `shape`: the shape shown right after it, read on with it
        (a run that reaches into it takes the characters of `value` it covers)."""
        if not self._grams or len(value) + len(shape) < RUN or not value:
            return value
        spans = [(start, min(end, len(value))) for start, end in self.run_spans(value + shape) if start < len(value)]
        if not spans:
            return value
        parts, last = [], 0
        for start, end in spans:
            parts += [value[last:start], _REDACTED]
            last = end
        parts.append(value[last:])
        return "".join(parts)

    def safe_cut(self, value: str) -> int:
        """Where text that is still arriving may be cut: everything before is safe to show now,
        everything after could still turn into a secret's run once more text arrives (the
        longest visible suffix that is a piece of some secret, and no run cut in two)."""
        if not self._secrets:
            return len(value)
        # Held back: the longest suffix that is a piece of a secret as written (a whole secret is
        # replaced by its shape only when it arrives whole) or, invisible characters skipped, as shown.
        cut = len(value) - _longest_suffix_piece(value, self._secrets)
        skeleton, keep = _visible(value)
        longest = _longest_suffix_piece(skeleton, self._forms)
        if longest:
            cut = min(cut, keep[len(skeleton) - longest])
        spans = [(start, start + len(secret)) for secret in self._secrets for start in _occurrences(value, secret)]
        runs = self.run_spans(value)  # in order, apart
        run_starts, run_ends = [start for start, _ in runs], [end for _, end in runs]
        # A run that ends at the cut (invisible characters aside) may go on in the next piece: it
        # holds every cut up to the first visible character at or after its end.
        reach = [keep[i] if i < len(keep) else len(value) for i in (bisect.bisect_left(keep, end) for end in run_ends)]
        # Each rule moves the cut back to the start of what it would cut in two, until none does.
        # The runs are looked up by bisection, not read whole every time the cut moves: a chain
        # of runs, each held by the token before it, moved the cut one run a pass (quadratic).
        while True:
            moved = cut
            for start, end in spans:  # no whole secret cut, as `text` finds them (left to right)
                if start < moved < end:
                    moved = start
            k = bisect.bisect_left(run_starts, moved) - 1  # the last run that starts before the cut
            if k >= 0 and moved <= reach[k]:
                moved = run_starts[k]
            # Where `text` starts a token afresh: after a whole secret (its shape) and a run (`]`).
            j = bisect.bisect_right(run_ends, moved) - 1
            floor = max([end for _, end in spans if end <= moved] + run_ends[j : j + 1], default=0)
            moved = self._token_start(value, moved, floor)
            if moved == cut:
                return cut
            cut = moved

    def _token_start(self, value: str, cut: int, floor: int) -> int:
        """`cut`, or the start of the token it would cut in two when the part before it (from
        `floor`, where `text` starts a token afresh) is a piece of a secret, however short: the
        whole token may be a fragment, which `text` scrubs only whole (`sk-proj-C` let through
        and `A` after it showed `sk-proj-CA`, the one-shot text `[redacted]`)."""
        if cut >= len(value) or not _TOKEN_TAIL.match(value[cut]):
            return cut
        window = max(floor, cut - len(self._secrets[0]) - 1)  # a longer head is in no secret
        head = _TOKEN_TAIL.search(value, window, cut)
        if head and any(head.group(0) in s for s in self._secrets):
            return head.start()
        return cut

    def _scrub_fragment(self, match: re.Match[str], head: str = "") -> str:
        token = match.group(0)
        if head + token in _KNOWN_PREFIXES:  # `sk-svcacct-` (11 characters) is every service-account key's
            return token
        for secret in self._secrets:
            if len(secret) >= _MIN_FRAGMENT and head + token in secret:
                return _REDACTED
        return token

    def scrub(self, obj: Any) -> Any:
        """Scrub strings anywhere inside dicts, lists, tuples and frozen dataclasses."""
        if not self._secrets:
            return obj
        if isinstance(obj, enum.Enum):
            return obj  # Status is a str enum: scrubbing would turn it into a plain str
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.scrub(k): self.scrub(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            scrubbed = [self.scrub(item) for item in obj]
            return type(obj)(scrubbed) if isinstance(obj, tuple) and not hasattr(obj, "_fields") else scrubbed
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {f.name: self.scrub(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            return dataclasses.replace(obj, **changes)
        return obj


def _occurrences(value: str, secret: str) -> List[int]:
    """Where `secret` starts in `value`, left to right without overlaps (as str.split finds it)."""
    found, start = [], value.find(secret)
    while start >= 0:
        found.append(start)
        start = value.find(secret, start + len(secret))
    return found


def _longest_suffix_piece(value: str, secrets: Tuple[str, ...]) -> int:
    """The length of the longest suffix of `value` that is a piece of one of `secrets`."""
    longest = 0
    for secret in secrets:
        n = longest + 1
        # A suffix that is a piece of the secret has every shorter suffix a piece too.
        while n <= min(len(value), len(secret)) and value[-n:] in secret:
            longest = n
            n += 1
    return longest


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf")


def _visible(value: str) -> Tuple[str, List[int]]:
    """`value` without its invisible characters (controls, zero-width and other format
    characters), and the index in `value` of each character kept."""
    if value.isascii() and value.isprintable():
        return value, list(range(len(value)))
    keep = [i for i, char in enumerate(value) if not _invisible(char)]
    return "".join(value[i] for i in keep), keep


# The most a stream keeps held after cutting its held text short (StreamRedactor.hold_keep).
HOLD_KEEP_MAX = 1024


class StreamRedactor:
    """`Redactor` for text that arrives in pieces: a key split across chunks (even 5 characters
    at a time) is caught, while ordinary text is held back only as long as its end could still
    be the start of a secret (for normal prose, none to a few characters).

    `feed` returns what is safe to show now; `flush` returns the rest at the end of the stream.

    What is held back is bounded: pieces of the key back to back (a server echoing it over and
    over) are one run that could always go on, and holding it whole made every `feed` re-read
    all of it (quadratic: 5,600 characters cost 0.6 s). Past `hold_limit` characters the oldest
    part of the held text is shown as one `[redacted]` and only the newest `hold_keep` stay
    held, so such a stream shows `[redacted]` once per few hundred characters instead of once in
    all (the one-shot text): never more of the key, and each `feed` reads a bounded text.
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = ""
        self._shown = ""  # the end of the text already let through, as it arrived
        # Room for anything `safe_cut` holds for another reason (a secret's start, a token
        # before a run) several times over, so ordinary text is never cut short.
        # (At most HOLD_KEEP_MAX: each feed reads what is held, and a 1,200-character token would
        # otherwise hold 6,400, 18 ms a feed; cut short sooner, such a text shows `[redacted]`s.)
        self.hold_keep = min(2 * redactor.longest_form + 2 * RUN, HOLD_KEEP_MAX)
        self.hold_limit = 2 * self.hold_keep
        self.cut_short = 0  # how many times held text was shown as one `[redacted]` (0: as one-shot)

    def feed(self, piece: str) -> str:
        if not self._redactor:
            return piece
        text = self._pending + piece
        cut = self._redactor.safe_cut(text)
        self._pending = text[cut:]
        shown = self._let_through(text[:cut])
        if len(self._pending) > self.hold_limit:
            # Shown as one replacement, never scrubbed and shown: what follows is judged on its
            # own, after a `]`, so no piece of a secret can span the two.
            self._pending = self._pending[-self.hold_keep :]
            self._shown = _REDACTED  # what is shown next starts a token afresh, as after any run
            self.cut_short += 1
            return shown + _REDACTED
        return shown

    @property
    def held(self) -> int:
        """How many characters that arrived are not shown yet."""
        return len(self._pending)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._let_through(rest)

    def _let_through(self, text: str) -> str:
        # Judged as the one-shot Redactor judges the whole text: a token cut by an earlier piece
        # is read with its beginning (`after`), so chunking never changes what is shown.
        scrubbed = self._redactor.text(text, after=self._shown)
        self._shown = self._redactor.token_tail(self._shown + text)
        return scrubbed
