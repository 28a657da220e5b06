"""packages.openai: the openai SDK installed in the target interpreter, and its HTTP stack.

Read from the `interpreter` fact (the probe's list of installed distributions with their
Requires-Dist, markers evaluated for the target); openai itself is never imported. Missing,
pre-1.0 (the API current code and examples no longer run on), requirements not met, or a
combination known to break (doctor.knowledge.packages) are the findings, the most severe first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from doctor.checks.findings import Finding, combine
from doctor.checks.python_interpreter import INTERPRETER
from doctor.knowledge import packages as known
from doctor.knowledge import pip_vendor, pythons
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.wording import packages as say
from doctor.knowledge.wording import pip_repair
from doctor.model import CheckResult
from doctor.probe.facts import InterpreterFacts
from doctor.runner import Check, Context, FactProvider

OPENAI = "packages.openai"


@dataclass(frozen=True)
class OpenaiCheckFacts:
    """The target's probe (its distributions, platform, CA variables) and its path."""

    probe: InterpreterFacts
    python: str


def gather_openai(ctx: Context) -> OpenaiCheckFacts:
    return OpenaiCheckFacts(ctx.fact("interpreter"), ctx.plan.target.python)


def judge_openai(facts: OpenaiCheckFacts) -> CheckResult:
    from doctor.probe import dependencies

    probe, python = facts.probe, facts.python
    cap = pythons.openai_cap(probe.minor)
    newest = cap.version if cap else pythons.OPENAI_CURRENT
    dist = probe.distribution("openai")
    # The target's own pip may be unable to start (pip 26.1+ on a TLS library urllib3 2 refuses):
    # then every pip command below first restores one that can.
    refusal = pip_vendor.pip_refusal(probe)
    pip_note = [pip_repair.detail(refusal)] if refusal is not None else []
    if dist is None:
        return diagnose(
            OPENAI, "openai_missing", say.missing_summary(python),
            details=[*say.missing_details(newest, probe.minor, no_chat=bool(cap and not cap.has_chat)), *pip_note],
            fixes=pip_repair.guarded([say.install_fix(python)], python, refusal),
            data={"installed": False, "would_install": newest, "pip": pip_repair.data(probe, refusal)},
        )

    requires = dependencies.active_requirements(probe).get(dist.key, [])
    data: Dict[str, Any] = {
        "installed": True,
        "version": dist.version,
        "location": dist.location,
        "requires": [r.text for r in requires],
        "newest_for_this_python": newest,
        "pip": pip_repair.data(probe, refusal),
    }
    stack_text = _describe_stack(probe, known.stack_for(tuple(r.child for r in requires)), data)
    details = [say.installed_in(dist.version, dist.location), stack_text]

    findings: List[Finding] = []
    if known.is_legacy_openai(dist.version):
        findings.append(Finding("openai_legacy", say.legacy_summary(dist.version), details=(say.LEGACY_DETAIL,),
                                fixes=tuple(pip_repair.guarded(say.legacy_fixes(python, newest), python, refusal))))
    unsatisfied = [u.describe() for u in dependencies.unsatisfied_closure(probe, "openai")]
    if unsatisfied:
        findings.append(Finding("dependency_conflict", say.unmet_summary(dist.version, unsatisfied),
                                details=tuple(unsatisfied[3:]),
                                fixes=tuple(pip_repair.guarded([say.unmet_fix(python)], python, refusal))))
    for combo, version, other_version in _known_bad(probe):
        findings.append(Finding("dependency_conflict", say.known_bad_summary(combo, version, other_version),
                                fixes=tuple(pip_repair.guarded(say.known_bad_fixes(combo, python), python, refusal))))
    data["unsatisfied"] = unsatisfied
    summary = say.ok_summary(dist.version, stack_text)
    if not findings:  # the ok result keeps only the first detail line: its summary names the stack
        return ok(OPENAI, summary, details=details[:1], data=data)
    return combine(OPENAI, findings, summary, details=[*details, *pip_note], data=data)


def _describe_stack(probe: InterpreterFacts, stack: Optional[known.HttpStack], data: Dict[str, Any]) -> str:
    """The HTTP stack's line for the report; its facts go into `data`."""
    if stack is None:
        data.update(http_library=None, trust=None, uses_urllib3=False)
        return say.STACK_UNKNOWN
    library = probe.distribution(stack.library)
    version = library.version if library else None
    trust = stack.trust_on(probe.sys_platform)  # the target's platform, from the probe
    for variable in probe.ca_env:
        if variable.name in known.TRUST_OVERRIDES.get(stack.library, ()) and variable.value:
            trust = say.trust_override(variable.name, variable.value)
            break
    data.update(http_library=stack.library, http_library_version=version, trust=trust, uses_urllib3=stack.uses_urllib3)
    return say.stack(stack.library, version, trust)


def _known_bad(probe: InterpreterFacts) -> List[Tuple[known.BadCombination, str, str]]:
    """The known-bad combinations installed here, with the two versions found."""
    from packaging.specifiers import SpecifierSet

    found = []
    for combo in known.KNOWN_BAD:
        first, second = probe.distribution(combo.package), probe.distribution(combo.other)
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


CHECKS: Tuple[Check, ...] = (
    Check(OPENAI, "openai SDK", gather_openai, judge_openai, needs=(INTERPRETER,)),
)
FACTS: Dict[str, FactProvider] = {}
