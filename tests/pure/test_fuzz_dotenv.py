"""Property tests of the `.env` reader (doctor.credentials.read_dotenv / parse_dotenv): any bytes
are read without an exception, what is written quoted reads back as written, and a definition
on the last line counts whatever comes before it."""

from __future__ import annotations

import re
import string
import time
from pathlib import Path
from typing import Dict

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from doctor.credentials import parse_dotenv, read_dotenv

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
KEYS = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z")
JUNK_LINES = st.lists(
    st.sampled_from(("A='open", 'B="open', "export ", "# c", "C=1 # x", 'D="a\\"b"', "E='x\ny'", "\ufeff", "=x",
                     "F=\\", 'G="\\', "H = ' spaced '", "\r")) | st.text(max_size=20),
    max_size=8,
).map("\n".join)


@given(st.text() | JUNK_LINES)
def test_any_text_parses_to_names_and_values(text: str) -> None:
    values = parse_dotenv(text)
    assert all(isinstance(v, str) and KEY.fullmatch(k) for k, v in values.items())


@pytest.fixture(scope="module")
def dotenv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dotenv")


@given(st.binary(max_size=300) | JUNK_LINES.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_read_without_an_error(dotenv_dir: Path, raw: bytes) -> None:
    path = dotenv_dir / ".env"
    path.write_bytes(raw)
    values, error = read_dotenv(path)
    assert error is None
    assert values == parse_dotenv(raw.decode("utf-8", errors="replace"))


def _double_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


@given(st.dictionaries(KEYS, st.text(), max_size=6), st.data())
def test_quoted_values_read_back_as_written(expected: Dict[str, str], data: st.DataObject) -> None:
    lines = []
    for key, value in expected.items():
        single = "'" not in value and "\r" not in value and data.draw(st.booleans())
        export = data.draw(st.sampled_from(("", "export ")))
        lines.append(f"{export}{key}=" + (f"'{value}'" if single else _double_quoted(value)))
    assert parse_dotenv("\n".join(lines)) == expected


@given(JUNK_LINES, st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=20))
# Found by this test: an unterminated quote swallowed every line after it, so a key defined
# below it was not found (python-dotenv reads those lines as lines of their own).
@example('A="abc', "sk-final")
def test_a_definition_on_the_last_line_counts_whatever_comes_before(junk: str, value: str) -> None:
    assert parse_dotenv(f"{junk}\nOPENAI_API_KEY={value}\n")["OPENAI_API_KEY"] == value


def test_a_stray_quote_at_the_top_of_a_large_file_costs_one_pass() -> None:
    # Found while fuzzing: each line after an unterminated quote rescanned the whole value so
    # far, so a 1 MiB .env took hours (8 000 lines: 27 s) and `check --offline` hung.
    text = 'A="\n' + "x=1\n" * 40_000
    started = time.monotonic()
    assert parse_dotenv(text)["x"] == "1"
    assert time.monotonic() - started < 10  # linear: well under a second on an idle machine
