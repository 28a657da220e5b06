"""Who requires what in the target: Requires-Dist with markers evaluated against the target's
marker environment (not chat-doctor's), extras propagated. Pure functions over facts.

Lines are read by doctor.probe.pep508 where it can (exactly as packaging would, without
loading packaging.requirements), by packaging otherwise.

Used to name the packages that pull urllib3 in (tiktoken -> requests -> urllib3), the ones
that need urllib3 >= 2 (so a `urllib3<2` pin would break them), and requirements of the
openai stack that the installed versions do not satisfy.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from doctor.probe.facts import InterpreterFacts, normalize_name

if TYPE_CHECKING:
    from packaging.requirements import Requirement


@dataclass(frozen=True)
class ActiveRequirement:
    """One Requires-Dist line that applies in the target."""

    parent: str  # distribution name as installed ("tiktoken")
    child: str  # required project name as written ("requests")
    specifier: str  # "<3,>=1.21.1" ("" for any version)
    text: str  # the whole requirement line

    @property
    def child_key(self) -> str:
        return normalize_name(self.child)

    def allows(self, version: str) -> bool:
        from packaging.specifiers import SpecifierSet

        if not self.specifier:
            return True
        return SpecifierSet(self.specifier).contains(version, prereleases=True)


@dataclass(frozen=True)
class Unsatisfied:
    requirement: ActiveRequirement
    installed: Optional[str]  # installed version of the child, None when missing

    def describe(self) -> str:
        need = f"{self.requirement.child}{self.requirement.specifier}"
        if self.installed is None:
            return f"{self.requirement.parent} needs {need}, which is not installed"
        return f"{self.requirement.parent} needs {need}, but {self.requirement.child} {self.installed} is installed"


# The last few graphs, by facts identity: several checks ask about the same interpreter, and
# at the same time (they run in threads): the lock makes one of them build it and the others
# wait for it, rather than each building its own.
_GRAPHS: List[Tuple[InterpreterFacts, Dict[str, List[ActiveRequirement]]]] = []
_GRAPHS_LOCK = threading.Lock()


def active_requirements(facts: InterpreterFacts) -> Dict[str, List[ActiveRequirement]]:
    """parent key -> requirements that apply (markers true, extras requested by dependents)."""
    with _GRAPHS_LOCK:
        for known, graph in list(_GRAPHS):
            if known is facts:
                return graph
        graph = _build_graph(facts)
        _GRAPHS.append((facts, graph))
        del _GRAPHS[:-4]
        return graph


@dataclass(frozen=True)
class _Parsed:
    """One requirement line as the graph needs it, read by doctor.probe.pep508 or by packaging."""

    name: str
    extras: FrozenSet[str]
    specifier: str
    text: str
    applies: Callable[[Set[str]], bool]  # the requested extras -> whether the line applies


# A line whose whole marker is `extra == "name"` (most lines of most metadata): it applies only
# when a dependent asks for that extra, so it is read only then. A URL (`@`) may hold a `;`
# of its own, so such a line is always read.
_EXTRA_ONLY = re.compile(r"""[ \t]*;[ \t]*extra[ \t]*==[ \t]*(?:"([^"]*)"|'([^']*)')[ \t]*\Z""")


def _build_graph(facts: InterpreterFacts) -> Dict[str, List[ActiveRequirement]]:
    from doctor.probe.pep508 import canonical

    env = _marker_env(facts)
    read: Dict[str, Optional[_Parsed]] = {}  # line -> what it says, once read

    def reading(line: str) -> Optional[_Parsed]:
        if line not in read:
            read[line] = _parse_line(line, env)
        return read[line]

    lines: Dict[str, List[Tuple[str, Optional[str]]]] = {}  # key -> (line, the extra it waits for)
    for dist in facts.distributions:
        items = []
        for line in dist.requires:
            only = _EXTRA_ONLY.search(line) if "@" not in line else None
            items.append((line, canonical(only.group(1) if only.group(1) is not None else only.group(2)) if only else None))
        lines[dist.key] = items
    names = {dist.key: dist.name for dist in facts.distributions}
    extras: Dict[str, Set[str]] = {key: set() for key in lines}
    result: Dict[str, List[ActiveRequirement]] = {}
    changed = True
    while changed:  # extras requested by one package enable more requirements of another
        changed = False
        result = {}
        for key, items in lines.items():
            asked = {canonical(extra) for extra in extras[key]}
            active = []
            for line, waits_for in items:
                item = reading(line) if waits_for is None or waits_for in asked else None
                if item is None or not item.applies(extras[key]):
                    continue
                active.append(ActiveRequirement(names[key], item.name, item.specifier, item.text))
                child = normalize_name(item.name)
                if child in extras and not item.extras <= extras[child]:
                    extras[child] |= item.extras
                    changed = True
            result[key] = active
    return result


def _parse_line(line: str, env: Mapping[str, str]) -> Optional[_Parsed]:
    """The line read by the small exact reader when it can decide it in this environment, else by
    packaging (None: packaging refuses it too; an unparsable line must not hide every other)."""
    from doctor.probe import pep508

    fast = pep508.parse(line)
    if fast is not None:
        marker = fast.marker
        if marker is None:
            return _Parsed(fast.name, fast.extras, fast.specifier, line, _always)
        try:
            pep508.evaluate(marker, env, "")  # Declined does not depend on the extra: see pep508
        except pep508.Declined:
            pass
        else:
            return _Parsed(fast.name, fast.extras, fast.specifier, line,
                           lambda extras: any(pep508.evaluate(marker, env, extra) for extra in {""} | extras))
    return _packaging_line(line, env)


def _always(extras: Set[str]) -> bool:  # noqa: ARG001  # a line without a marker applies whatever is asked
    return True


def _packaging_line(line: str, env: Mapping[str, str]) -> Optional[_Parsed]:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    return _Parsed(requirement.name, frozenset(requirement.extras), str(requirement.specifier), line,
                   lambda extras: _applies(requirement, env, extras))


def requirers_of(facts: InterpreterFacts, name: str) -> List[ActiveRequirement]:
    """The installed distributions that directly require `name`."""
    key = normalize_name(name)
    graph = active_requirements(facts)
    return [req for reqs in graph.values() for req in reqs if req.child_key == key]


def chains_to(facts: InterpreterFacts, name: str) -> List[Tuple[str, ...]]:
    """Shortest requirement chains from each top-level distribution to `name`, e.g.
    ("tiktoken", "requests", "urllib3"). Top-level: nothing installed requires it."""
    key = normalize_name(name)
    graph = active_requirements(facts)
    dists = {dist.key: dist for dist in facts.distributions}
    required = {req.child_key for reqs in graph.values() for req in reqs if req.child_key in dists}
    chains = []
    for root in sorted(dists):
        if root == key or root in required:
            continue
        path = _shortest_path(graph, root, key)
        if path:
            chains.append(tuple(dists[k].name if k in dists else k for k in path))
    return chains


def unsatisfied_closure(facts: InterpreterFacts, name: str) -> List[Unsatisfied]:
    """Requirements of `name` and of everything it pulls in that the installed versions
    do not meet (missing, or a version outside the specifier)."""
    key = normalize_name(name)
    graph = active_requirements(facts)
    installed = {dist.key: dist for dist in facts.distributions}
    problems: List[Unsatisfied] = []
    seen = {key}
    queue = deque([key])
    while queue:
        current = queue.popleft()
        for req in graph.get(current, []):
            child = installed.get(req.child_key)
            if child is None:
                problems.append(Unsatisfied(req, None))
                continue
            if not req.allows(child.version):
                problems.append(Unsatisfied(req, child.version))
            if req.child_key not in seen:
                seen.add(req.child_key)
                queue.append(req.child_key)
    return problems


def _shortest_path(graph: Mapping[str, List[ActiveRequirement]], start: str, goal: str) -> Optional[List[str]]:
    previous: Dict[str, Optional[str]] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            step = previous[node]
            while step is not None:
                path.append(step)
                step = previous[step]
            return list(reversed(path))
        for req in graph.get(node, []):
            if req.child_key not in previous:
                previous[req.child_key] = node
                queue.append(req.child_key)
    return None


def _applies(requirement: Requirement, env: Mapping[str, str], extras: Set[str]) -> bool:
    if requirement.marker is None:
        return True
    from packaging.markers import UndefinedComparison, UndefinedEnvironmentName

    for extra in {""} | extras:
        try:
            if requirement.marker.evaluate({**env, "extra": extra}):
                return True
        except (UndefinedComparison, UndefinedEnvironmentName, ValueError):
            return False
    return False


def _marker_env(facts: InterpreterFacts) -> Dict[str, str]:
    env = dict(facts.marker_env)
    if "python_version" not in env:
        # The probe's marker section failed: fall back to what the version alone tells.
        major, minor = facts.minor
        env.update({
            "python_version": f"{major}.{minor}",
            "python_full_version": facts.python_version,
            "sys_platform": facts.sys_platform,
            "platform_python_implementation": facts.implementation,
            "implementation_name": facts.implementation.lower(),
            "platform_machine": facts.machine,
            "os_name": "nt" if facts.sys_platform == "win32" else "posix",
            "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}.get(facts.sys_platform, ""),
            "platform_release": "",
            "platform_version": "",
            "implementation_version": facts.python_version,
        })
    return env
