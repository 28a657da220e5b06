"""Hypothesis strategies shared by the property tests (tests/pure/test_fuzz_*.py): keys of a
realistic shape and text that hides them, URL-ish strings, proxy environments, probe answers
with junk in them."""

from __future__ import annotations

import string
from typing import Any, Dict, List

from hypothesis import strategies as st

from doctor.redact import RUN, base64_forms

KEY_ALPHABET = string.ascii_letters + string.digits + "_-"
KEY_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-", "sk-", "")
# Characters a terminal does not show: controls and format characters (zero-width space, BOM,
# bidi marks, soft hyphen, the tag block), which the redactor reads through.
INVISIBLE = st.characters(categories=["Cc", "Cf"])


@st.composite
def realistic_keys(draw: st.DrawFn) -> str:
    """A key shaped like an OpenAI / Azure / local one: a known prefix and a random body, long
    enough to be a secret. The body has no 12-character run that ordinary wording could share."""
    prefix = draw(st.sampled_from(KEY_PREFIXES))
    # A body such as "aaaa..." shares 12-character runs with itself at every offset and with any
    # text drawn from the same alphabet: real keys are random, so ask for a varied one.
    body = draw(st.text(KEY_ALPHABET, min_size=24, max_size=90).filter(lambda b: len(set(b)) >= 12))
    return prefix + body


def pieces(key: str, size: int = RUN) -> List[str]:
    """Every `size`-character piece of `key`."""
    return [key[i : i + size] for i in range(len(key) - size + 1)]


def visible(text: str) -> str:
    """`text` as a terminal shows it: controls and format characters left out."""
    import unicodedata

    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))


def leaked_pieces(key: str, text: str) -> List[str]:
    """The 12-character pieces of `key`, or of its base64 forms, that `text` shows, read with
    invisible characters skipped."""
    shown = visible(text)
    every = [piece for form in (key, *base64_forms(key)) for piece in pieces(form)]
    return [piece for piece in every if piece in shown or piece in text]


@st.composite
def text_around_key(draw: st.DrawFn, key: str) -> str:
    """Text that embeds `key`: whole, quoted, in pieces of 12 or more, with invisible characters
    between its characters, beside ordinary words and arbitrary Unicode."""

    def part() -> st.SearchStrategy[str]:
        return st.one_of(
            st.just(key),
            st.text(max_size=20),
            st.sampled_from(("Incorrect API key provided: ", "key=", "Bearer ", " ", "\n", "…", '"', "'")),
            st.builds(lambda a, n: key[a : a + n], st.integers(0, len(key)), st.integers(RUN, len(key))),
            st.builds(lambda sep: sep.join(key), INVISIBLE),
            st.builds(lambda seps: "".join(c + s for c, s in zip(key, seps)), st.lists(INVISIBLE, min_size=len(key), max_size=len(key))),
            st.text(KEY_ALPHABET, max_size=15),
            st.sampled_from(base64_forms(key) or ("",)),  # the key as a server may echo it, encoded
        )

    return "".join(draw(st.lists(part(), max_size=8)))


# --------------------------------------------------------------------------------------------
# URLs and proxy environments
# --------------------------------------------------------------------------------------------

SCHEMES = ("http", "https", "HTTP", "Https", "socks5", "socks5h", "socks4", "ftp", "all", "file", "", "h t", "1x")
HOSTS = (
    "api.openai.com", "API.OpenAI.com", "localhost", "127.0.0.1", "10.1.2.3", "256.1.1.1", "1.2.3",
    "[::1]", "[fe80::1%eth0]", "[::g]", "::1", "xn--n-zfa1a.de", "ünï.de", "*.openai.com", "*", "",
    "res.openai.azure.com", "a..b", "proxy.corp", "example.invalid", "a b", "%41", "0", "-",
)
# Random enough that no wording, class name or other part of a URL holds it by chance.
PASSWORD = st.text(string.ascii_letters + string.digits, min_size=10, max_size=20).filter(
    lambda p: len(set(p)) > 4 and sum(c.isdigit() for c in p) >= 2 and sum(c.isalpha() for c in p) >= 2
)


@st.composite
def url_parts(draw: st.DrawFn, password: str = "") -> str:
    """A URL-ish string: a scheme (or none), `user:password@` (or none), a host, a port (or
    junk), a path, a query and a fragment, each from realistic values and arbitrary text."""
    # (Text holding `/?#@:` is no scheme: such a prefix starts a path, a query or the userinfo.)
    scheme = draw(st.sampled_from(SCHEMES) | st.text(max_size=5).filter(lambda u: not set(u) & set("/?#@:")))
    # `scheme://`, the typos `scheme:/`, `scheme:///` and `scheme:`, none, or a bare `//`.
    sep = draw(st.sampled_from(("://", "://", ":/", ":///", ":", "")))
    if not sep:
        scheme = draw(st.sampled_from(("", "//")))
    # A user name holding `/?#` would start the path or the query before the password.
    user = draw(st.sampled_from(("", "user", "u@x", "%75ser")) | st.text(max_size=5).filter(lambda u: not set(u) & set("/?#")))
    userinfo = f"{user}:{password}@" if password else draw(st.sampled_from(("", "", "user@", "u:p@", "@", "a@b@")))
    host = draw(st.sampled_from(HOSTS) | st.text(max_size=12))
    port = draw(st.sampled_from(("", ":", ":8000", ":443", ":80", ":0", ":65536", ":-1", ":+80", ": 8", ":99999", ":٣"))
                | st.integers(-10, 10**6).map(lambda n: f":{n}") | st.text(max_size=4).map(lambda t: ":" + t))
    path = draw(st.sampled_from(("", "/", "/v1", "/v1/", "/openai/v1", "/v1/chat/completions", "/openai/deployments/x",
                                 "v1", "/v1beta", "//x", "/a b", "/v1\n"))
                | st.text(max_size=10))
    query = draw(st.sampled_from(("", "?api-version=2024-10-21", "?x=1", "?api-key=sk-" + "a1" * 12, "?")) | st.text(max_size=6).map(lambda t: "?" + t))
    fragment = draw(st.sampled_from(("", "", "#", "#frag", "#sig=abc123")))
    return f"{scheme}{sep}{userinfo}{host}{port}{path}{query}{fragment}"


URLS = url_parts() | st.text(max_size=40)

PROXY_NAMES = (
    "HTTP_PROXY", "http_proxy", "Http_Proxy", "HTTPS_PROXY", "https_proxy", "hTTPs_pROXY", "ALL_PROXY", "all_proxy",
    "All_Proxy", "NO_PROXY", "no_proxy", "No_Proxy", "FTP_PROXY", "ftp_proxy", "SOCKS_PROXY", "_proxy", "x_PROXY",
    "REQUEST_METHOD", "PATH",
)
NO_PROXY_ENTRIES = (
    "*", "localhost", "LocalHost", ".localhost", "127.0.0.1", "::1", "[::1]", "[::1]:8000", "10.0.0.0/8",
    "127.0.0.1/33", "fe80::/10", "openai.com", ".openai.com", "*.openai.com", "*openai.com", "api.openai.com:443",
    "https://api.openai.com", "http://", "a b", "foo/bar", "a:b", "ünï.de", "", " ", "[", "all://*", "1.2.3.4/x",
)


@st.composite
def no_proxy_values(draw: st.DrawFn) -> str:
    entries = draw(st.lists(st.sampled_from(NO_PROXY_ENTRIES) | st.text(max_size=8), max_size=5))
    return draw(st.sampled_from((",", ", ", " ,"))).join(entries)


@st.composite
def proxy_environments(draw: st.DrawFn, password: str = "") -> Dict[str, str]:
    """Environment mappings with proxy variables in any case, empty ones, NO_PROXY lists, a CGI
    REQUEST_METHOD, and proxy URLs that may carry `password`."""
    env: Dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(PROXY_NAMES) | st.text(min_size=1, max_size=10), max_size=6, unique=True)):
        if name.lower() == "no_proxy":
            env[name] = draw(no_proxy_values())
        elif name.lower().endswith("proxy"):
            env[name] = draw(st.just("") | url_parts(password) | st.text(max_size=10))
        else:
            env[name] = draw(st.text(max_size=5))
    return env


# --------------------------------------------------------------------------------------------
# JSON-like values and probe answers
# --------------------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.sampled_from((10**400, -(10**400)))  # beyond a float
    | st.floats() | st.text(max_size=10)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

# The probe's answer (doctor/probe/target_probe.py) in brief: every key the reader looks at.
PROBE_TEMPLATE: Dict[str, Any] = {
    "schema": 1,
    "too_old": False,
    "probe_ms": 12.5,
    "interpreter": {
        "version": "3.11.7", "version_info": [3, 11, 7], "implementation": "CPython", "executable": "/x/bin/python",
        "prefix": "/x", "base_prefix": "/usr", "is_venv": True, "pyvenv_cfg": {"home": "/usr/bin"},
        "sys_platform": "linux", "machine": "x86_64", "mac_ver": "", "user_site": "/root/.local", "user_site_enabled": False,
    },
    "ssl": {
        "available": True, "version": "OpenSSL 3.0.19", "version_info": [3, 0, 0, 19, 0], "version_number": 805306672,
        "has_sni": True, "has_tls13": True,
        "verify_paths": {"cafile": "/etc/ssl/cert.pem", "capath": None, "openssl_cafile": "/usr/lib/ssl/cert.pem",
                         "openssl_capath": "/usr/lib/ssl/certs", "openssl_cafile_exists": True, "openssl_capath_exists": False},
    },
    "marker_env": {"python_version": "3.11", "sys_platform": "linux"},
    "distributions": [
        {"name": "openai", "version": "3.57.0", "requires": ["httpx2>=2"], "location": "/x/site-packages"},
        {"name": "urllib3", "version": "2.8.0", "requires": [], "location": "/x/site-packages"},
    ],
    "certifi": {"installed": True, "version": "2026.1.1", "where": "/x/cacert.pem", "exists": True, "is_file": True,
                "readable": True, "cert_count": 140, "entries": 0, "hashed_names": 0, "read_error": None},
    "ca_env": [{"name": "SSL_CERT_FILE", "value": "/x.pem", "expected": "file", "exists": False, "cert_count": 0}],
    "urllib3": {"installed": True, "version": "2.8.0", "file": "/x/urllib3/__init__.py", "attempted": True, "ok": True,
                "error_type": None, "error_message": None, "stdout": "", "stderr": "", "preloaded": False,
                "warnings": [{"category": "urllib3.exceptions.NotOpenSSLWarning", "message": "m", "filename": "f",
                              "lineno": 3, "action": "default"}]},
    "warnings": {"warnoptions": ["ignore"], "PYTHONWARNINGS": None, "not_openssl_action": {"urllib3 v2": "default"}},
}


def _rarely(kept: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`kept` mostly, `junk` one time in 100: an answer has many fields, and one wrong one ends it."""
    return st.integers(0, 99).flatmap(lambda n: junk if n == 0 else kept)


def _mutated(value: Any) -> st.SearchStrategy[Any]:
    """`value`, or junk in its place, recursively: every field may be missing, null, of another
    type, or hold nested junk."""
    if isinstance(value, dict):
        fields = {key: _mutated(item) for key, item in value.items()}
        kept = st.fixed_dictionaries({key: field for key, field in fields.items()})
        sparse = st.fixed_dictionaries({}, optional=fields)
        extra = st.dictionaries(st.text(max_size=6), JSON, max_size=2)
        return _rarely(kept, st.one_of(sparse, st.builds(lambda a, b: {**b, **a}, kept, extra), JSON))
    if isinstance(value, list):
        if not value:
            return _rarely(st.just(value), st.lists(JSON_SCALARS, max_size=3) | JSON)
        items = [_mutated(item) for item in value]
        return _rarely(st.tuples(*items).map(list), st.lists(st.one_of(*items), max_size=3) | JSON)
    return _rarely(st.just(value), JSON_SCALARS | JSON)


# Most answers keep `too_old` (without it the reader stops at once) and mutate the rest.
PROBE_ANSWERS = st.one_of(
    st.fixed_dictionaries(
        {"too_old": st.sampled_from((False, False, True)) | JSON_SCALARS},
        optional={key: _mutated(value) for key, value in PROBE_TEMPLATE.items() if key != "too_old"},
    ),
    _mutated(PROBE_TEMPLATE),
    JSON,
)


# --------------------------------------------------------------------------------------------
# Stream traces and the target runner's events (tests/pure/test_fuzz_stream.py)
# --------------------------------------------------------------------------------------------

from doctor.stream import trace as _t  # noqa: E402  # the section's own import, kept beside it (append-only file)

CHUNK_KINDS = (_t.ROLE, _t.CONTENT, _t.REASONING, _t.EMPTY, _t.NO_CHOICES)
# Any time a clock could give, and then some: negative (a clock set back), zero, duplicates
# (st.sampled_from makes them likely), huge; never NaN or infinite (a monotonic clock has neither).
TIMES = st.one_of(
    st.floats(min_value=-1e9, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from((0.0, 0.0005, 1.0, 100.0, 100.0, -1.0)),
)
MAYBE_TIME = st.none() | TIMES
STATUSES = st.none() | st.sampled_from((200, 301, 400, 401, 403, 404, 408, 429, 500, 502, 503)) | st.integers(-5, 1000)
CONTENT_TYPES = st.none() | st.sampled_from((
    "text/event-stream", "text/event-stream; charset=utf-8", "application/json", "text/html; charset=utf-8",
    "text/plain", "", " ; ",
)) | st.text(max_size=30)
FINISH_REASONS = st.none() | st.sampled_from(("stop", "length", "tool_calls", "content_filter", "")) | st.text(max_size=12)
COUNTS = st.none() | st.integers(min_value=-3, max_value=10**6)
ERR_KINDS = (_t.ERR_STATUS, _t.ERR_TIMEOUT, _t.ERR_CONNECTION, _t.ERR_EVENT, _t.ERR_MALFORMED, _t.ERR_SETUP,
             _t.ERR_WITHHELD, _t.ERR_LIMIT, _t.ERR_OTHER, _t.ERR_SDK_BROKEN, _t.ERR_RUNNER)
PHASES = (_t.PHASE_SETUP, _t.PHASE_REQUEST, _t.PHASE_STREAM)
LIMIT_KINDS = (_t.LIMIT_HEADERS, _t.LIMIT_STALL, _t.LIMIT_RUN_TIME, _t.LIMIT_EVENT_BYTES, _t.LIMIT_REPLY_BYTES,
               _t.LIMIT_TOTAL_BYTES, _t.LIMIT_EVENTS, _t.LIMIT_TOKENS)
# Text of any size: mostly short, sometimes a megabyte (a reply that never ends, an echoed page).
HUGE_TEXT = st.text(max_size=40) | st.integers(10**5, 10**6).map(lambda n: "a b " * (n // 4))

STREAM_LIMITS = st.builds(
    _t.StreamLimit, kind=st.sampled_from(LIMIT_KINDS) | st.text(max_size=8), bound=TIMES, observed=TIMES,
    unit=st.sampled_from(("s", "bytes", "chunks", "tokens")),
)
# A failure of kind ERR_LIMIT always names its bound (doctor.stream.budget sets both; the runner's
# events are held to it by doctor.stream.target_events): the contract the analysis relies on.
STREAM_FAILURES = st.builds(
    _t.StreamFailure, kind=st.sampled_from(ERR_KINDS) | st.text(max_size=8), phase=st.sampled_from(PHASES),
    message=HUGE_TEXT, exception=st.sampled_from(("APIStatusError", "APITimeoutError", "ImportError", "?", "")),
    status=STATUSES, code=st.none() | st.sampled_from(("model_not_found", "invalid_api_key", "insufficient_quota")),
    type=st.none() | st.text(max_size=12), cause=st.none() | st.text(max_size=40),
    retry_after=st.none() | st.text(max_size=6), location=st.none() | st.text(max_size=20),
    limit=st.none() | STREAM_LIMITS,
).filter(lambda failure: failure.kind != _t.ERR_LIMIT or failure.limit is not None)
CHUNKS = st.builds(_t.Chunk, wire_ms=TIMES, yield_ms=TIMES, kind=st.sampled_from(CHUNK_KINDS),
                   chars=st.integers(0, 10**6), waited_ms=TIMES)


@st.composite
def stream_traces(draw: st.DrawFn, ordered: bool = False) -> _t.StreamTrace:
    """A StreamTrace with anything in it: chunks of any kind in any order with any gaps, any
    failure, any figure missing. `ordered` draws the times a real stream has: headers, then the
    chunks in wire order (each yielded no earlier than it arrived, waits within the gap before
    it), then the end; any of them may still be absent."""
    chunks = draw(st.lists(CHUNKS, max_size=40))
    headers_ms, end_ms = draw(MAYBE_TIME), draw(MAYBE_TIME)
    reads = draw(st.lists(TIMES, max_size=8))
    if ordered:
        gaps = draw(st.lists(st.floats(0, 5000, allow_nan=False), min_size=len(chunks) + 2, max_size=len(chunks) + 2))
        clock = abs(draw(TIMES)) % 1e6
        headers_ms = clock if draw(st.booleans()) else None
        placed = []
        for chunk, gap in zip(chunks, gaps):
            clock += gap
            placed.append(_t.Chunk(wire_ms=clock, yield_ms=clock + abs(chunk.yield_ms) % 50, kind=chunk.kind,
                                   chars=chunk.chars, waited_ms=gap))
        chunks = placed
        end_ms = clock + gaps[-1] if draw(st.booleans()) else None
        reads = [c.wire_ms for c in chunks[: len(reads)]]
    return _t.StreamTrace(
        model=draw(st.sampled_from(("gpt-4o-mini", "", "m" * 300))), sdk=draw(st.sampled_from(("openai 1.109.1", "openai (unknown)"))),
        status=draw(STATUSES), content_type=draw(CONTENT_TYPES), request_id=draw(st.none() | st.text(max_size=30)),
        headers_ms=headers_ms, end_ms=end_ms, chunks=tuple(chunks), reads=tuple(reads),
        finish_reason=draw(FINISH_REASONS), completion_tokens=draw(COUNTS), text=draw(HUGE_TEXT),
        failure=draw(st.none() | st.none() | STREAM_FAILURES), connection=draw(st.sampled_from((None, "new", "reused"))),
        connect_ms=draw(MAYBE_TIME), fallbacks=tuple(draw(st.lists(st.sampled_from(("stream_options", "max_completion_tokens")), max_size=2))),
        limit_field=draw(st.sampled_from((None, "max_tokens", "max_completion_tokens"))), max_tokens=draw(COUNTS),
        overrun=draw(st.none() | st.none() | STREAM_LIMITS), usage_requested=draw(st.booleans()),
        endpoint_kind=draw(st.sampled_from(("openai", "azure", "compatible"))),
    )


# The target runner's events (doctor/stream/target_runner.py EVENTS) with fields of the right
# names and any values: the right type mostly, junk (JSON of any shape) sometimes.
RUNNER_FIELDS: Dict[str, Dict[str, Any]] = {
    "setup": {"python": "3.11.7", "executable": "/x/bin/python", "openai": "1.109.1", "http": "httpx", "http_version": "0.28.1"},
    "setup_failed": {"exception": "TypeError", "message": "bad"},
    "first_call_cost": {"ms": 12.5},
    "sent": {"run": 1, "limit_field": "max_tokens", "include_usage": True},
    "connection": {"run": 1, "state": "new", "connect_ms": 1.5},
    "headers": {"run": 1, "ms": 10.0, "status": 200, "content_type": "text/event-stream", "request_id": "req_1"},
    "chunk": {"run": 1, "kind": "content", "wire_ms": 20.0, "yield_ms": 20.5, "waited_ms": 9.0, "type": None, "seq": 1, "text": "Hi"},
    "failure": {"run": 1, "kind": "status", "phase": "request", "message": "m", "exception": "APIStatusError", "status": 401,
                "code": "invalid_api_key", "type": "t", "cause": "ConnectError: refused", "retry_after": "1", "location": "/x",
                "request_id": "req_2", "limit": {"kind": "stall", "bound": 1.0, "observed": 2.0, "unit": "s"}},
    "end": {"run": 1, "ms": 40.0, "reads": [20.0], "finish_reason": "stop", "completion_tokens": 3,
            "overrun": {"kind": "tokens", "bound": 64, "observed": 70, "unit": "tokens"}, "terminal": None, "read_count": 1},
    "fallback": {"run": 1, "field": "stream_options"},
    "done": {},
    "internal_error": {"exception": "ValueError", "message": "m"},
    "too_old": {"python": "3.7.1"},
}


# Other values of the right type for the fields that steer the collector.
RUNNER_VARIANTS: Dict[Any, st.SearchStrategy[Any]] = {
    ("failure", "kind"): st.sampled_from(ERR_KINDS),
    ("failure", "phase"): st.sampled_from(PHASES),
    ("chunk", "kind"): st.sampled_from(("content", "reasoning", "role", "created", "empty", "no_choices")),
    ("chunk", "wire_ms"): TIMES, ("chunk", "yield_ms"): TIMES, ("end", "ms"): TIMES, ("headers", "ms"): TIMES,
    ("sent", "run"): st.integers(0, 3), ("chunk", "run"): st.integers(0, 3), ("end", "run"): st.integers(0, 3),
    ("headers", "run"): st.integers(0, 3), ("failure", "run"): st.integers(0, 3),
}


@st.composite
def runner_events(draw: st.DrawFn, secret: str = "") -> Dict[str, Any]:
    """One event the runner could print, its fields kept, dropped, or replaced by junk (text
    with `secret` in it among the junk: a server may echo the key anywhere)."""
    name = draw(st.sampled_from(sorted(RUNNER_FIELDS)))
    junk = JSON | st.integers(-3, 5) | (st.just(secret) if secret else st.nothing())
    if secret:
        junk = junk | text_around_key(secret)
    event = {"event": name}
    for key, value in RUNNER_FIELDS[name].items():
        choice = draw(st.integers(0, 9))
        if choice < 3 and (name, key) in RUNNER_VARIANTS:
            event[key] = draw(RUNNER_VARIANTS[(name, key)])
        elif choice < 6:
            event[key] = value
        elif choice < 9:
            event[key] = draw(junk)
    return event


@st.composite
def runner_lines(draw: st.DrawFn, secret: str = "") -> List[bytes]:
    """The runner's stdout, line by line: events in any order (mostly a plausible run), lines
    that are not JSON, bytes that are not UTF-8, NaN and huge numbers, nesting past the parser."""
    import json

    def encoded(event: Dict[str, Any]) -> bytes:
        return json.dumps(event).encode()

    line = st.one_of(
        runner_events(secret).map(encoded),
        runner_events(secret).map(encoded),
        runner_events(secret).map(encoded),
        st.binary(max_size=60),
        st.sampled_from((b"", b"\n", b"NaN", b'{"event": "end", "run": 1, "ms": NaN}', b'{"event": "chunk", "run": 1, "wire_ms": Infinity}',
                         b"[" * 100_000, b'{"event": "sent", "run": 1e999}', b"\xff\xfe{", b'{"event": "done"')),
        st.just(f"Traceback: {secret}".encode()) if secret else st.nothing(),
    )
    return draw(st.lists(line, max_size=30))
