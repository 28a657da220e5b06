"""doctor.probe.pep508 against packaging, line by line: whatever the small reader decides (a
line it reads, a marker it evaluates) is what packaging decides, on real metadata and on
generated lines; and the requirement graph built with it (lines read only when needed) equals
the graph built with packaging alone, the way doctor.probe.dependencies built it before."""

from __future__ import annotations

import threading
from importlib import metadata
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from doctor.probe import dependencies, pep508
from doctor.probe.facts import InterpreterFacts, normalize_name
from tests.support.facts import make_facts, marker_env

ENVS = (
    marker_env("3.11.7"),
    marker_env("3.7.16"),
    marker_env("3.13.1", "darwin"),
    {**marker_env("3.12.4"), "sys_platform": "win32", "os_name": "nt", "platform_system": "Windows",
     "platform_machine": "AMD64"},
    {**marker_env("3.10.14"), "implementation_name": "pypy", "platform_python_implementation": "PyPy",
     "implementation_version": "7.3.16", "platform_release": "6.8.0-45-generic"},
)
EXTRAS = ("", "socks", "Socks_Extra", "all", "extra")

# The forms metadata is made of, and the corners of each.
LINES = (
    "requests", "requests>=2.0", "requests >= 2.0 , <3", "requests (>=2.0,<3)", "requests(>=2.0)",
    "typing_extensions>=4.11,<5", "Foo.Bar[baz, Qux]>=1.0.*", "foo[]", "foo [bar]==1.*", "zope.interface~=5.4",
    "foo===arbitrary", "foo!=1.0.post1,>=0.9rc1", "foo>=1!2.0", "foo==1.0+local", "foo>=1.0.", "foo>=",
    'foo; python_version < "3.8"', "foo ; python_version<'3.8'", 'foo;python_version<"3.8"',
    'foo; extra == "socks"', 'foo; extra == "Socks.Extra"', "foo ; extra != 'socks'",
    'foo; (python_version < "3.11") and extra == "all"', 'foo; sys_platform == "win32" or sys_platform == "darwin"',
    'foo; platform_python_implementation != "PyPy" and python_full_version >= "3.8.1"',
    'foo; (sys_platform == "emscripten" and extra == "all") or (sys_platform == "win32" and extra == "all")',
    'foo; sys_platform in "linux darwin"', 'foo; sys_platform not in "win32 cygwin"', 'foo; "linux" in sys_platform',
    'foo; os.name == "nt"', 'foo; python_implementation == "CPython"', 'foo; platform_release >= "5.0"',
    'foo; extra=="a"or extra=="b"', 'foo; extra == "a" or(extra == "b")', 'foo; platform_machine == "1.0"',
    'foo; python_version == "3.*"', 'foo; python_version === "3.11"', 'foo; python_version ~= "3.8"',
    'foo; python_version in "3.8 3.9"', 'foo; sys_platform < "win"', 'foo; extra >= "a"', 'foo; extra in "a b"',
    'foo; python_version < "3.8" and', 'foo; (python_version < "3.8"', 'foo; python_version < 3.8', "foo;",
    "foo @ https://example.invalid/foo.whl", 'foo @ https://example.invalid/p;extra=="x"',
    'foo @ https://example.invalid/foo.whl ; extra == "x"', "foo bar", "-foo", "foo-", "foo\n",
    'foo; python_version < "3.8" ; extra == "x"', 'foo; implementation_version >= "7.3"',
)


def _packaging_applies(requirement: Requirement, env: Mapping[str, str], extra: str) -> Optional[bool]:
    """None: packaging cannot evaluate it (dependencies._applies counts that as not applying)."""
    if requirement.marker is None:
        return True
    try:
        return requirement.marker.evaluate({**env, "extra": extra})
    except (UndefinedComparison, UndefinedEnvironmentName, ValueError):
        return None


def assert_reads_as_packaging(line: str) -> None:
    read = pep508.parse(line)
    if read is None:
        return  # declined: packaging reads it, as before
    requirement = Requirement(line)  # must not raise: the small reader accepts only valid lines
    assert read.name == requirement.name
    assert {canonicalize_name(e) for e in read.extras} == {canonicalize_name(e) for e in requirement.extras}
    assert read.specifier == str(requirement.specifier)
    assert (read.marker is None) == (requirement.marker is None)
    if read.marker is None:
        return
    for env in ENVS:
        for extra in EXTRAS:
            try:
                fast = pep508.evaluate(read.marker, env, extra)
            except pep508.Declined:
                continue
            assert fast == _packaging_applies(requirement, env, extra), (line, env["python_full_version"], extra)


@pytest.mark.parametrize("line", LINES)
def test_the_forms_of_metadata_read_as_packaging_reads_them(line: str) -> None:
    assert_reads_as_packaging(line)


def test_the_common_forms_are_read_not_declined() -> None:
    """The point of the module: these never reach packaging.requirements."""
    env = ENVS[0]
    for line in ("requests (>=2.0,<3)", 'foo; python_version < "3.8"', 'foo; extra == "socks"',
                 'foo; (sys_platform == "emscripten" and extra == "all") or (sys_platform == "win32" and extra == "all")',
                 'foo; platform_python_implementation != "PyPy" and python_full_version >= "3.8.1"'):
        read = pep508.parse(line)
        assert read is not None, line
        if read.marker is not None:
            pep508.evaluate(read.marker, env, "")  # raises Declined if it were not decided here


def test_what_differs_between_packaging_releases_is_declined() -> None:
    """packaging < 26 compares a string marker as a version when the value reads as one, and
    orders strings with `<`; 26 does neither. The URL form may hold a `;` of its own."""
    for line in ('foo; platform_machine == "1.0"', 'foo; sys_platform < "win"', 'foo; extra >= "a"',
                 'foo; "linux" in sys_platform', "foo @ https://example.invalid/p;x", 'foo; extra=="a"or extra=="b"'):
        assert pep508.parse(line) is None, line
    read = pep508.parse('foo; platform_release >= "5.0"')
    assert read is not None and read.marker is not None
    with pytest.raises(pep508.Declined):
        pep508.evaluate(read.marker, ENVS[4], "")  # "6.8.0-45-generic" is not a plain version


def _installed_lines() -> List[str]:
    return sorted({line for dist in metadata.distributions() for line in (dist.requires or ())})


def test_every_requires_dist_line_installed_here_reads_as_packaging() -> None:
    lines = _installed_lines()
    assert len(lines) > 50  # chat-doctor's own venv: openai, typer, pytest, hypothesis, mypy...
    for line in lines:
        assert_reads_as_packaging(line)


WS = st.sampled_from(("", " ", "  ", "\t"))
NAMES = st.sampled_from(("requests", "typing_extensions", "Foo.Bar", "a", "zope-interface", "x1", "_x", "a-"))
VERSIONS = st.sampled_from(("1", "1.0", "2.0.0", "1.0.*", "1.0rc1", "3.*", "1!2.0", "0.4.0.dev1", "1.0+local", "abc",
                            "1.0.", "", "3.11", "3.8.1"))
OPS = st.sampled_from(("===", "~=", "==", "!=", "<=", ">=", "<", ">", "=", "in", "not in", "not  in"))
KEYS = st.sampled_from((*sorted(pep508.VERSION_KEYS), *sorted(pep508.STRING_KEYS), "extra", "os.name",
                        "python_implementation", "platform.version"))
VALUES = st.sampled_from(("3.8", "3.11", "3", "3.11.7", "linux", "win32", "CPython", "PyPy", "x86_64", "socks",
                          "Socks_Extra", "", "Linux", "6.8.0-45-generic", "7.3", "1.0", "linux darwin", "all"))


@st.composite
def atoms(draw: st.DrawFn) -> str:
    quote = draw(st.sampled_from(('"', "'")))
    value = f"{quote}{draw(VALUES)}{quote}"
    key, op = draw(KEYS), draw(OPS)
    left, right = (value, key) if draw(st.booleans()) and draw(st.booleans()) else (key, value)
    return f"{left}{draw(WS)}{op}{draw(WS)}{right}"


MARKERS = st.recursive(
    atoms(),
    lambda inner: st.one_of(
        st.tuples(inner, WS, st.sampled_from(("and", "or")), WS, inner).map("".join),
        st.tuples(st.just("("), WS, inner, WS, st.just(")")).map("".join),
    ),
    max_leaves=5,
)


@st.composite
def lines(draw: st.DrawFn) -> str:
    text = draw(WS) + draw(NAMES) + draw(WS)
    if draw(st.booleans()):
        text += "[" + draw(st.lists(NAMES, max_size=3).map(",".join)) + "]" + draw(WS)
    specs = draw(st.lists(st.tuples(OPS, WS, VERSIONS).map("".join), max_size=3).map(",".join))
    text += f"({specs})" if specs and draw(st.booleans()) else specs
    if draw(st.booleans()):
        text += draw(WS) + ";" + draw(WS) + draw(MARKERS) + draw(WS)
    return text


@settings(max_examples=400, deadline=None)
@given(lines())
@example('foo; (python_version < "3.11") and extra == "all"')
@example('foo; python_version<"3.8"or extra=="x"')
def test_generated_lines_read_as_packaging_reads_them(line: str) -> None:
    assert_reads_as_packaging(line)


# --- the graph -------------------------------------------------------------------------------


def graph_by_packaging(facts: InterpreterFacts) -> Dict[str, List[dependencies.ActiveRequirement]]:
    """doctor.probe.dependencies._build_graph before the small reader: every line by packaging."""
    env = dependencies._marker_env(facts)
    parsed: Dict[str, List[Tuple[Requirement, str]]] = {}
    for dist in facts.distributions:
        items = []
        for line in dist.requires:
            try:
                items.append((Requirement(line), line))
            except InvalidRequirement:
                continue
        parsed[dist.key] = items
    names = {dist.key: dist.name for dist in facts.distributions}
    extras: Dict[str, Set[str]] = {key: set() for key in parsed}
    result: Dict[str, List[dependencies.ActiveRequirement]] = {}
    changed = True
    while changed:
        changed = False
        result = {}
        for key, items in parsed.items():
            active = []
            for requirement, line in items:
                if not dependencies._applies(requirement, env, extras[key]):
                    continue
                active.append(dependencies.ActiveRequirement(names[key], requirement.name,
                                                             str(requirement.specifier), line))
                child = normalize_name(requirement.name)
                if child in extras and not set(requirement.extras) <= extras[child]:
                    extras[child] |= set(requirement.extras)
                    changed = True
            result[key] = active
    return result


def _installed_dists() -> List[tuple]:
    seen: Dict[str, tuple] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        seen.setdefault(normalize_name(name), (name, dist.version, list(dist.requires or ())))
    return list(seen.values())


@pytest.mark.parametrize("version", ["3.11.7", "3.7.16", "3.13.1"])
def test_the_graph_of_the_packages_installed_here_is_packagings(version: str) -> None:
    facts = make_facts(version, dists=_installed_dists())
    assert dependencies._build_graph(facts) == graph_by_packaging(facts)


DIST_NAMES = ("app", "google-auth", "requests", "urllib3", "httpx", "socksio", "Foo.Bar")
REQUIRE_LINES = st.sampled_from((
    "google-auth[requests]>=2", 'requests<3,>=2.20; extra == "requests"', "requests[socks]", 'socksio; extra == "socks"',
    "urllib3<3,>=1.21.1", 'urllib3; extra == "Requests"', "httpx[socks]", 'foo-bar[all]; python_version < "3.8"',
    'urllib3; extra == "all"', 'httpx; sys_platform == "win32" or extra == "all"', 'requests; os.name == "nt"',
    'socksio; platform_release >= "5.0"', "urllib3 @ https://example.invalid/u.whl", "Foo_Bar[ALL]", "bad line!",
))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(DIST_NAMES), st.lists(REQUIRE_LINES, max_size=4)), max_size=6,
                unique_by=lambda d: normalize_name(d[0])),
       st.sampled_from(("3.11.7", "3.7.16")))
def test_graphs_with_extras_and_markers_are_packagings(dists: Sequence[tuple], version: str) -> None:
    facts = make_facts(version, dists=[(name, "1.0", lines) for name, lines in dists])
    assert dependencies._build_graph(facts) == graph_by_packaging(facts)


def test_checks_asking_at_once_share_one_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """python.urllib3, python.certs and packages.openai ask in three threads at the same moment:
    one builds the graph, the others wait for it (they used to build three)."""
    facts = make_facts(dists=_installed_dists())
    built: List[int] = []
    build = dependencies._build_graph

    def counting(f: InterpreterFacts) -> Dict[str, List[dependencies.ActiveRequirement]]:
        built.append(1)
        return build(f)

    monkeypatch.setattr(dependencies, "_build_graph", counting)
    start = threading.Barrier(4)
    graphs: List[object] = []

    def ask() -> None:
        start.wait()
        graphs.append(dependencies.active_requirements(facts))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len(graphs) == 4 and all(graph is graphs[0] for graph in graphs)


@pytest.mark.parametrize("line", ['foo ; extra == "v1"', 'foo ; extra == "1.0"', 'foo ; extra != "2"'])
def test_an_extra_that_reads_as_a_version_goes_to_packaging(line: str) -> None:
    # packaging 24.1 compares such an extra as a version, 26.x as a name: never decided here
    assert pep508.parse(line) is None
