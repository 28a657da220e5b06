"""The rules the house relies on (CONTRIBUTING.md, "Checks"), read from the source itself: one
check per module as gather + a pure judge, small modules, and an import graph without cycles,
deferred (function-level) imports included.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

from tests.support.helpers import REPO

PACKAGE = REPO / "doctor"
# The mock server (a test fixture shipped as a command) and the stdlib-only probe (one file
# that runs inside the target interpreter, Python 3.6 syntax) are exempt from the size rule.
SIZE_EXEMPT = ("doctor/mock/", "doctor/probe/target_probe.py")
MAX_LINES = 420  # "about 400"


def _modules() -> Dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST, package: str, known: Set[str]) -> Iterator[Tuple[str, List[str]]]:
    """(module imported, names taken from it) for every import that runs, at any depth."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            continue  # never executed: annotations only
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                # `from doctor.net import proxies` imports the submodule doctor.net.proxies
                yield (f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base), [alias.name]
        stack.extend(ast.iter_child_nodes(node))


def _graph() -> Dict[str, Set[str]]:
    modules = _modules()
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for target, _ in _imports(ast.parse(path.read_text()), package, set(modules)):
            if target in modules and target != name:
                graph[name].add(target)
    # The registry imports its check modules by name (importlib), invisible to the parse above.
    from doctor.checks import _GROUP_MODULES

    graph["doctor.checks"].update(f"doctor.checks.{module}" for module in _GROUP_MODULES)
    return graph


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle_deferred_imports_included() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_outgrows_about_400_lines() -> None:
    sizes = {str(path.relative_to(REPO)): len(path.read_text().splitlines()) for path in _modules().values()}
    large = {name: lines for name, lines in sizes.items() if lines > MAX_LINES and not name.startswith(SIZE_EXEMPT)}
    assert large == {}


def _check_modules() -> List[str]:
    from doctor.checks import _GROUP_MODULES

    return [f"doctor.checks.{module}" for module in _GROUP_MODULES]


def test_every_check_module_declares_its_checks_and_facts() -> None:
    import importlib

    for name in _check_modules():
        module = importlib.import_module(name)
        assert isinstance(module.CHECKS, tuple) and module.CHECKS, name
        assert isinstance(module.FACTS, dict), name


@pytest.mark.parametrize("module_name", _check_modules())
def test_a_check_module_imports_no_sibling_privates_nor_the_registry_nor_the_session(module_name: str) -> None:
    modules = _modules()
    check_modules = set(_check_modules())
    tree = ast.parse(modules[module_name].read_text())
    for target, names in _imports(tree, "doctor.checks", set(modules)):
        assert target not in ("doctor.checks", "doctor.session"), f"{module_name} imports {target}"
        if target in check_modules:
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{module_name} imports {private} from {target}"


# What a judge may not touch: it gets everything it needs in its facts.
_IMPURE_NAMES = {"ctx", "os", "sys", "time", "open", "Path", "environ", "socket", "subprocess"}
_IMPURE_CALLS = {"now", "today", "utcnow", "perf_counter", "monotonic", "time", "fact", "exists", "is_file", "stat"}


@pytest.mark.parametrize("module_name", _check_modules())
def test_every_judge_takes_only_its_facts_and_touches_no_clock_environment_or_filesystem(module_name: str) -> None:
    import importlib

    for check in importlib.import_module(module_name).CHECKS:
        parameters = list(inspect.signature(check.judge).parameters.values())
        assert len(parameters) == 1, f"{check.id}: judge{inspect.signature(check.judge)} takes more than its facts"
        tree = ast.parse(inspect.getsource(check.judge).strip())
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        calls = {node.func.attr for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
        assert not names & _IMPURE_NAMES and not calls & _IMPURE_CALLS, (
            f"{check.id}: {check.judge.__name__} uses {sorted(names & _IMPURE_NAMES | calls & _IMPURE_CALLS)}")
