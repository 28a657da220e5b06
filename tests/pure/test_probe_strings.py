"""The probe's string operations and JSON writer say what `re` and `json` said before.

doctor/probe/target_probe.py no longer imports `re` or `json` (their imports were a third of
each probe's start-up); each replacement is held here to the expression it replaces, on
hand-picked corners and on hypothesis-generated input.
"""

from __future__ import annotations

import json
import math
import re

from hypothesis import given
from hypothesis import strategies as st

from doctor.probe import target_probe as probe

VERSION_RE = re.compile(r"""^__version__\s*(?::\s*str\s*)?=\s*(?:\w+\s*=\s*)*['"]([^'"]+)['"]""", re.M)
HASHED_RE = re.compile(r"^[0-9a-fA-F]{8}\.\d+$")


def _regex_version(text: str) -> str | None:
    found = VERSION_RE.search(text)
    return found.group(1) if found else None


VERSION_CORNERS = [
    '__version__ = "2.6.3"\n',
    "__version__: str = '1.26.20'\n",
    "__version__ = version = '2.3.0'\n",
    "__version__ : str\t=\n  x = y ='9'\n",
    "x = 1\n__version__ = ''\n__version__ = '3'\n",  # an empty string is no match: the next one is
    "  __version__ = '1'\n",  # not at a line start
    "a__version__ = '1'\n__version__='2'",
    "__version__ = \"1.0'\n",  # any quote closes
    "__version__ = '1.0",  # unterminated
    "__version__ = 1\n",
    "__version__\r= '1'\n",  # \r is whitespace to \s
    "x\r__version__ = '1'\n",  # but not a line start under re.M
    "__version__ = v\u00e9rsion = '4'\n",  # \w is Unicode
    "__version__ =\u2003'5'\n",  # so is \s
    "__version__: strx = '6'\n__version__ = '7'\n",
    "__version__ = a = = '8'\n",
    "__version__ = 'multi\nline'\n",
    "",
]


def test_version_assignment_on_the_corners() -> None:
    for text in VERSION_CORNERS:
        assert probe.version_assignment(text) == _regex_version(text), text


_VERSION_PIECES = st.sampled_from(["__version__", " ", "\t", "\n", "\r", ":", "str", "=", "'", '"', "v", "x_1",
                                   "2.0", "\u00e9", "\u2003", "#", "version"])


@given(st.lists(_VERSION_PIECES, max_size=14).map("".join))
def test_version_assignment_is_the_regex(text: str) -> None:
    assert probe.version_assignment(text) == _regex_version(text)


@given(st.text(max_size=60))
def test_version_assignment_is_the_regex_on_any_text(text: str) -> None:
    assert probe.version_assignment(text) == _regex_version(text)
    line = "__version__ = " + text
    assert probe.version_assignment(line) == _regex_version(line)


@given(st.text(alphabet=st.sampled_from("-_.aZ9\u00e9 "), max_size=20) | st.text(max_size=20))
def test_normalized_name_is_the_regex(name: str) -> None:
    assert probe.normalized_name(name) == re.sub(r"[-_.]+", "-", name).lower()


HASHED_CORNERS = ["abcdef01.0", "ABCDEF01.12", "abcdef0.0", "abcdef012.0", "abcdef01.", "abcdef01.x",
                  "abcdef01.0\n", "abcdef01.0\n\n", "abcdef01\n.0", "abcdeg01.0", "abcdef01.\u0661", "abcdef01.\u00b2",
                  "", "abcdef01,0", "abcdef01.0 "]


def test_hashed_name_on_the_corners() -> None:
    for name in HASHED_CORNERS:
        assert probe.is_hashed_name(name) == bool(HASHED_RE.match(name)), repr(name)


@given(st.text(alphabet=st.sampled_from("0aF9g.\n\u0661\u00b2x"), max_size=14) | st.text(max_size=14))
def test_hashed_name_is_the_regex(name: str) -> None:
    assert probe.is_hashed_name(name) == bool(HASHED_RE.match(name))


# --- the JSON writer: json.dumps(value, default=repr), text for text -------------------------

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
            | st.sampled_from([float("nan"), float("inf"), -0.0, 2 ** 80]))
_KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
_OTHER = st.sampled_from([b"bytes", {1, 2}, object, ValueError("x"), complex(1, 2)])
_VALUES = st.recursive(_SCALARS | _OTHER, lambda inner: st.lists(inner, max_size=4)
                       | st.lists(inner, max_size=3).map(tuple)
                       | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=20)


@given(_VALUES)
def test_dumps_writes_what_json_dumps_writes(value: object) -> None:
    assert probe._dumps(value) == json.dumps(value, default=repr)


def test_dumps_on_a_real_answers_shape() -> None:
    answer = {"schema": 1, "too_old": False, "urllib3": {"installed": False, "attempted": False},
              "interpreter": {"version_info": [3, 12, 1], "path": ["", "/x"], "pyvenv_cfg": None,
                              "flags": {"isolated": False}},
              "ssl": {"version": "OpenSSL 3.0.13 30 Jan 2024", "version_info": [3, 0, 0, 13, 0]},
              "distributions": [{"name": "p\u00efp", "requires": ['a; extra == "b"']}],
              "probe_ms": 12.5, "nan": float("nan")}
    text = probe._dumps(answer)
    assert text == json.dumps(answer, default=repr)
    parsed = json.loads(text)
    assert math.isnan(parsed.pop("nan")) and parsed == {k: v for k, v in answer.items() if k != "nan"}
    assert text.isascii()  # ensure_ascii, as before: the reader decodes whatever the locale is


# --- metadata headers: the fast path over uninteresting lines reads what the old loop read -----

def _old_probe() -> dict:
    from pathlib import Path

    source = Path(__file__).resolve().parents[1] / "support" / "target_probe_ed6b6e4.source"
    namespace: dict = {"__name__": "old_probe"}
    exec(compile(source.read_text(encoding="ascii"), str(source), "exec"), namespace)  # noqa: S102  # the frozen probe, ours
    return namespace


OLD = _old_probe()
_HEADER_LINES = st.sampled_from(["Name: demo", "name : Demo_Pkg", "NAME:x", "\x0cName: odd", "Version: 1.0",
                                 "version:2", "Requires-Dist: a>=1", "requires-dist : b; extra == 'x'",
                                 "Requires-Python: >=3.8", "Classifier: X", "Summary: s", "  continued",
                                 "\tName: tab", "Nope", "Vendor: v", "R", "rEqUiReS-dIsT: c", "\u212aey: k",
                                 "   ", "", "\x1c", "\u2028Name: ls", "Keywords: n,v,r"])


@given(st.lists(_HEADER_LINES, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_read_headers_is_the_old_loop(tmp_path_factory, lines: list, newline: str, final: bool) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("meta") / "METADATA"
    path.write_bytes((newline.join(lines) + (newline if final else "") + "Name: body").encode("utf-8"))
    assert probe._read_headers(str(path)) == OLD["_read_headers"](str(path))
