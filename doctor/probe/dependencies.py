"""Who requires what in the target: Requires-Dist with markers evaluated against the target's
marker environment (not chat-doctor's), extras propagated. Pure functions over facts.

Used to name the packages that pull urllib3 in (tiktoken -> requests -> urllib3), the ones
that need urllib3 >= 2 (so a `urllib3<2` pin would break them), and requirements of the
openai stack that the installed versions do not satisfy.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Set, Tuple

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


# The last few graphs, by facts identity: several checks ask about the same interpreter.
_GRAPHS: List[Tuple[InterpreterFacts, Dict[str, List[ActiveRequirement]]]] = []


def active_requirements(facts: InterpreterFacts) -> Dict[str, List[ActiveRequirement]]:
    """parent key -> requirements that apply (markers true, extras requested by dependents)."""
    for known, graph in list(_GRAPHS):
        if known is facts:
            return graph
    graph = _build_graph(facts)
    _GRAPHS.append((facts, graph))
    del _GRAPHS[:-4]
    return graph


def _build_graph(facts: InterpreterFacts) -> Dict[str, List[ActiveRequirement]]:
    from packaging.requirements import InvalidRequirement, Requirement

    env = _marker_env(facts)
    parsed: Dict[str, List[Tuple[Requirement, str]]] = {}
    for dist in facts.distributions:
        items = []
        for line in dist.requires:
            try:
                items.append((Requirement(line), line))
            except InvalidRequirement:
                continue  # an unparsable line must not hide every other requirement
        parsed[dist.key] = items
    names = {dist.key: dist.name for dist in facts.distributions}
    extras: Dict[str, Set[str]] = {key: set() for key in parsed}
    result: Dict[str, List[ActiveRequirement]] = {}
    changed = True
    while changed:  # extras requested by one package enable more requirements of another
        changed = False
        result = {}
        for key, items in parsed.items():
            active = []
            for requirement, line in items:
                if not _applies(requirement, env, extras[key]):
                    continue
                active.append(ActiveRequirement(names[key], requirement.name, str(requirement.specifier), line))
                child = normalize_name(requirement.name)
                if child in extras and not set(requirement.extras) <= extras[child]:
                    extras[child] |= set(requirement.extras)
                    changed = True
            result[key] = active
    return result


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
