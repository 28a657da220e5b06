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
