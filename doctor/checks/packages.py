"""Checks of the `packages` group: the openai SDK installed in the target interpreter.

Reads the `interpreter` fact (the probe's list of installed distributions with their
Requires-Dist); never imports openai. Judging is `judge_openai`, pure.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from doctor.checks.python import INTERPRETER, Finding, _target, combine, q
from doctor.knowledge import packages as known
from doctor.knowledge import pythons
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.model import CheckResult, Fix, Status
from doctor.probe.facts import InterpreterFacts
from doctor.runner import Check, Context, FactProvider

OPENAI = "packages.openai"


def run_openai(ctx: Context) -> CheckResult:
    return judge_openai(ctx.fact("interpreter"), _target(ctx).python)


def judge_openai(facts: InterpreterFacts, python: str) -> CheckResult:
    from packaging.version import InvalidVersion, Version

    from doctor.probe import dependencies

    cap = pythons.openai_cap(facts.minor)
    newest = cap.version if cap else pythons.OPENAI_CURRENT
    dist = facts.distribution("openai")
    if dist is None:
        hint = f"pip gives openai {newest} on Python {facts.minor[0]}.{facts.minor[1]}"
        return diagnose(
            OPENAI, "openai_missing", f"openai is not installed in {python}",
            details=[hint] + ([f"openai {newest} has no chat API: use Python 3.10+"] if cap and not cap.has_chat else []),
            fixes=[Fix("Install it into the interpreter your app runs on", f"{q(python)} -m pip install openai")],
            data={"installed": False, "would_install": newest},
        )

    graph = dependencies.active_requirements(facts)
    requires = graph.get(dist.key, [])
    stack = known.stack_for(tuple(r.child for r in requires))
    data: Dict[str, Any] = {
        "installed": True,
        "version": dist.version,
        "location": dist.location,
        "requires": [r.text for r in requires],
        "newest_for_this_python": newest,
    }
    details = [f"openai {dist.version} in {dist.location}"]
    stack_text = _describe_stack(facts, stack, data)
    details.append(stack_text)

    findings: List[Finding] = []
    try:
        legacy = Version(dist.version) < Version("1.0.0")
    except InvalidVersion:
        legacy = False
    if legacy:
        findings.append(Finding(
            "openai_legacy", Status.WARN,
            f"openai {dist.version} is the pre-1.0 SDK: openai.ChatCompletion code is gone from current releases, "
            "and current examples (openai.OpenAI()) do not run on it",
            details=("0.x talks HTTP through requests, so it also pulls in urllib3 (see python.urllib3)",),
            fixes=(
                Fix(f"Upgrade (pip gives openai {newest} here)", f"{q(python)} -m pip install -U openai"),
                Fix(f"Then migrate your code automatically ({known.OPENAI_MIGRATION_URL})", "openai migrate"),
            ),
        ))
    unsatisfied = dependencies.unsatisfied_closure(facts, "openai")
    if unsatisfied:
        findings.append(Finding(
            "dependency_conflict", Status.FAIL,
            f"openai {dist.version}'s requirements are not met: " + "; ".join(u.describe() for u in unsatisfied[:3])
            + (f" (and {len(unsatisfied) - 3} more)" if len(unsatisfied) > 3 else ""),
            details=tuple(u.describe() for u in unsatisfied[3:]),
            fixes=(Fix("Let pip install what openai needs", f"{q(python)} -m pip install -U openai"),),
        ))
    for combo in _known_bad(facts):
        findings.append(Finding(
            "dependency_conflict", Status.FAIL,
            f"{combo[0].package} {combo[1]} with {combo[0].other} {combo[2]}: {combo[0].symptom}",
            fixes=(
                Fix(f"Upgrade {combo[0].package}", f"{q(python)} -m pip install \"{combo[0].fix_requirement}\""),
                Fix(f"Or pin {combo[0].other} back", f"{q(python)} -m pip install \"{combo[0].fix_alternative}\""),
            ),
        ))
    data["unsatisfied"] = [u.describe() for u in unsatisfied]
    result = combine(OPENAI, findings, details=details, data=data)
    if result is not None:
        return result
    return ok(OPENAI, f"openai {dist.version}; {stack_text}", details=details[:1], data=data)


def _describe_stack(facts: InterpreterFacts, stack: Optional[known.HttpStack], data: Dict[str, Any]) -> str:
    if stack is None:
        data.update(http_library=None, trust=None, uses_urllib3=False)
        return "HTTP stack: not recognised from its requirements"
    library = facts.distribution(stack.library)
    version = library.version if library else "not installed"
    trust = stack.trust_on(facts.sys_platform)
    for variable in facts.ca_env:
        if variable.name in known.TRUST_OVERRIDES.get(stack.library, ()) and variable.value:
            trust = f"{variable.name}={variable.value}"
            break
    data.update(http_library=stack.library, http_library_version=library.version if library else None,
                trust=trust, uses_urllib3=stack.uses_urllib3)
    return f"HTTP via {stack.library} {version}, trusting {trust}"


def _known_bad(facts: InterpreterFacts) -> List[Tuple[known.BadCombination, str, str]]:
    from packaging.specifiers import SpecifierSet

    found = []
    for combo in known.KNOWN_BAD:
        first, second = facts.distribution(combo.package), facts.distribution(combo.other)
        if first is None or second is None:
            continue
        try:
            if SpecifierSet(combo.package_spec).contains(first.version, prereleases=True) and SpecifierSet(
                combo.other_spec
            ).contains(second.version, prereleases=True):
                found.append((combo, first.version, second.version))
        except ValueError:
            continue
    return found


def _transitional_pass_through(result: CheckResult) -> CheckResult:
    """TRANSITIONAL (issue 9, Checks): this module's checks still gather and judge in one
    function; the split into gather(ctx) -> Facts and a pure judge(facts) replaces this."""
    return result


CHECKS: Tuple[Check, ...] = (
    Check(OPENAI, "openai SDK", run_openai, _transitional_pass_through, needs=(INTERPRETER,)),
)
FACTS: Dict[str, FactProvider] = {}

