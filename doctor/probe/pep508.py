"""A small exact reader for the common Requires-Dist lines, so `check --offline` need not load
`packaging.requirements` (its tokenizer, parser, markers and tags: ~30 ms of imports) and parse
every line of every installed distribution with it (~15 ms more for a venv of 40 packages).

It reads a strict subset of PEP 508, the forms that wheels' metadata is made of:
`name[extra,...] op version, ... ; marker`, markers over the environment names below compared
with a quoted string, joined with `and`/`or` and parentheses. Anything else (a URL, the old
`os.name` spellings, a string on the left, an operator whose meaning differs between packaging
releases, an environment value that is not a plain version) is *declined*: `parse` returns None
or `evaluate` raises Declined, and the caller hands that line to packaging, which decides it as
before. So a verdict never depends on which of the two read a line, whatever packaging release is installed (tests/pure/test_pep508.py
compares them line by line, on real metadata and on generated lines).

Version comparisons use `packaging.specifiers` (cheap: it loads only packaging.version), as
packaging's own marker evaluation does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Mapping, Optional, Tuple, Union

if TYPE_CHECKING:
    from packaging.specifiers import Specifier

# Markers compared as versions (packaging.markers.MARKERS_REQUIRING_VERSION) and as strings.
VERSION_KEYS = frozenset({"python_version", "python_full_version", "implementation_version", "platform_release"})
STRING_KEYS = frozenset({"os_name", "sys_platform", "platform_machine", "platform_python_implementation",
                         "platform_system", "platform_version", "implementation_name"})
_VERSION_OPS = ("===", "~=", "==", "!=", "<=", ">=", "<", ">")

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_ONE_SPEC = r"(?:===|~=|==|!=|<=|>=|<|>)[ \t]*[A-Za-z0-9_.*+!-]+"
_SPECS = rf"{_ONE_SPEC}(?:[ \t]*,[ \t]*{_ONE_SPEC})*"
_LINE = re.compile(
    rf"[ \t]*(?P<name>{_NAME})[ \t]*"
    rf"(?:\[[ \t]*(?P<extras>{_NAME}(?:[ \t]*,[ \t]*{_NAME})*)?[ \t]*\])?[ \t]*"
    rf"(?:\([ \t]*(?P<pspecs>{_SPECS})[ \t]*\)|(?P<specs>{_SPECS}))?[ \t]*"
    rf"(?:;[ \t]*(?P<marker>.*?))?[ \t]*"
)
# One token of a marker: a parenthesis, a quoted string, an operator or a word.
_TOKEN = re.compile(r"""[ \t]*(?:(?P<paren>[()])|(?P<string>"[^"]*"|'[^']*')|(?P<op>===|~=|==|!=|<=|>=|<|>)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""")
_PLAIN_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_SEPARATORS = re.compile(r"[-_.]+")


class Declined(Exception):
    """This reader does not decide the line; packaging does."""


@dataclass(frozen=True)
class Atom:
    key: str  # an environment name ("python_version", "extra")
    op: str  # "==", "in", "not in", ...
    value: str  # the quoted string, without its quotes


# A marker: an Atom, or ("and" | "or", (operands...)).
Marker = Union[Atom, Tuple[str, Tuple["Marker", ...]]]
Tokens = Tuple[Tuple[str, str], ...]  # (kind, text): "paren", "string", "op" or "word"
Reader = Callable[[Tokens], Tuple[Marker, Tokens]]


@dataclass(frozen=True)
class Line:
    """What packaging's Requirement would give for the line: its name as written, its extras,
    str() of its SpecifierSet ("" for any version) and its marker (None: always applies)."""

    name: str
    extras: FrozenSet[str]
    specifier: str
    marker: Optional[Marker]


def parse(text: str) -> Optional[Line]:
    """The line, or None when it is outside the subset this module reads exactly."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    match = _LINE.fullmatch(text)
    if match is None:
        return None
    specs = match.group("pspecs") or match.group("specs") or ""
    try:
        specifier = str(SpecifierSet(specs))
    except InvalidSpecifier:
        return None
    extras = frozenset(part.strip() for part in (match.group("extras") or "").split(",") if part.strip())
    marker_text = match.group("marker")
    if marker_text is None:
        return Line(match.group("name"), extras, specifier, None)
    marker = _parse_marker(marker_text)
    return None if marker is None else Line(match.group("name"), extras, specifier, marker)


def _tokens(text: str) -> Optional[Tokens]:
    tokens: List[Tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip(" \t")):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        kind = match.lastgroup or ""
        word = match.group(kind)
        # A word must stand apart from a string or an outer parenthesis beside it (`extra=="a"or`,
        # `in"x"`, `)and`, `or(`: left to packaging, whose spacing rules differ between releases).
        if tokens and match.start(kind) == position and (_shape(tokens[-1]), _shape((kind, word))) in _GLUED:
            return None
        tokens.append((kind, word))
        position = match.end()
    return tuple(tokens)


_GLUED = {("string", "word"), ("word", "string"), (")", "word"), ("word", "(")}


def _shape(token: Tuple[str, str]) -> str:
    return token[1] if token[0] == "paren" else token[0]


def _parse_marker(text: str) -> Optional[Marker]:
    tokens = _tokens(text)
    if not tokens:
        return None
    try:
        marker, rest = _or(tokens)
    except (Declined, IndexError):
        return None
    return marker if not rest else None


def _or(tokens: Tokens) -> Tuple[Marker, Tokens]:
    return _joined(tokens, "or", _and)


def _and(tokens: Tokens) -> Tuple[Marker, Tokens]:
    return _joined(tokens, "and", _atom)


def _joined(tokens: Tokens, word: str, read: Reader) -> Tuple[Marker, Tokens]:
    """Operands read by `read`, joined by `word` (`and` binds tighter than `or`, as in PEP 508)."""
    first, rest = read(tokens)
    operands = [first]
    while rest and rest[0] == ("word", word):
        nxt, rest = read(rest[1:])
        operands.append(nxt)
    return (first if len(operands) == 1 else (word, tuple(operands))), rest


def _atom(tokens: Tokens) -> Tuple[Marker, Tokens]:
    if tokens[0] == ("paren", "("):
        inner, rest = _or(tokens[1:])
        if not rest or rest[0] != ("paren", ")"):
            raise Declined("unclosed parenthesis")
        return inner, rest[1:]
    kind, key = tokens[0]
    if kind != "word" or key not in VERSION_KEYS | STRING_KEYS | {"extra"}:
        raise Declined(f"{key!r} on the left")
    if tokens[1] == ("word", "not") and tokens[2] == ("word", "in"):
        op, rest = "not in", tokens[3:]
    elif tokens[1][0] == "op" or tokens[1] == ("word", "in"):
        op, rest = tokens[1][1], tokens[2:]
    else:
        raise Declined("no operator")
    if rest[0][0] != "string":
        raise Declined("no string on the right")
    atom = Atom(key, op, rest[0][1][1:-1])
    _check_atom(atom)
    return atom, rest[1:]


def _reads_as_version(value: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(value)
    except InvalidVersion:
        return False
    return True


def _check_atom(atom: Atom) -> None:
    """Decline the comparisons whose outcome is not the same in every packaging release."""
    if atom.key == "extra":
        if atom.op not in ("==", "!="):
            raise Declined("extra compared with an operator other than == and !=")
        if _reads_as_version(atom.value):
            # Older packaging releases (24.1 for one) compared an extra that reads as a version
            # (`"v1"`, `"2"`) as a version, newer ones as a name: the installed one decides.
            raise Declined("an extra name that a packaging release may read as a version")
    elif atom.key in VERSION_KEYS:
        if atom.op not in _VERSION_OPS or _specifier(atom.op, atom.value) is None:
            raise Declined("not a version comparison")
    elif atom.op in ("==", "!="):
        # packaging < 26 compares a string marker as versions when the value reads as one.
        if _specifier(atom.op, atom.value) is not None:
            raise Declined("a string marker compared with a version")
    elif atom.op not in ("in", "not in"):
        raise Declined("a string marker ordered")


_SPECIFIERS: Dict[Tuple[str, str], Optional[Specifier]] = {}


def _specifier(op: str, value: str) -> Optional[Specifier]:
    from packaging.specifiers import InvalidSpecifier, Specifier

    key = (op, value)
    if key not in _SPECIFIERS:
        try:
            _SPECIFIERS[key] = Specifier(f"{op}{value}")
        except InvalidSpecifier:
            _SPECIFIERS[key] = None
    return _SPECIFIERS[key]


def canonical(name: str) -> str:
    """PEP 503's normal form, as packaging.utils.canonicalize_name gives it."""
    return _SEPARATORS.sub("-", name).lower()


def evaluate(marker: Marker, env: Mapping[str, str], extra: str) -> bool:
    """The marker's truth in `env` with `extra` requested ("" for none). Every operand is
    evaluated, as packaging does (one it cannot evaluate fails the whole marker there), and
    Declined is raised when any of them is not this module's to decide."""
    if isinstance(marker, Atom):
        return _atom_true(marker, env, extra)
    word, operands = marker
    values = [evaluate(operand, env, extra) for operand in operands]
    return all(values) if word == "and" else any(values)


def _atom_true(atom: Atom, env: Mapping[str, str], extra: str) -> bool:
    if atom.key == "extra":
        same = canonical(extra) == canonical(atom.value)
        return same if atom.op == "==" else not same
    value = env.get(atom.key)
    if value is None:
        raise Declined(f"{atom.key} is not in the environment")  # packaging would use its own
    if atom.key in VERSION_KEYS:
        if not _PLAIN_VERSION.fullmatch(value):
            raise Declined(f"{atom.key} {value!r} is not a plain version")
        specifier = _specifier(atom.op, atom.value)
        assert specifier is not None  # _check_atom declined the others
        return bool(specifier.contains(value, prereleases=True))
    if atom.op == "==":
        return value == atom.value
    if atom.op == "!=":
        return value != atom.value
    # As packaging: the environment's value is looked for in the string (`sys_platform in "linux darwin"`).
    return (value in atom.value) if atom.op == "in" else (value not in atom.value)
