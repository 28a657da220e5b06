"""From a report's results and the target's facts to a `FixPlan` (pure).

Each finding (every code of a result, `data["findings"]` included) either gets a `Step`, an
argument list run in the target interpreter, or a place among the `Unfixable` with why and
what to do instead (the check's own fixes). Only package changes inside the target are ever
automatic: installing or resolving openai and its stack, urllib3's TLS check
(doctor.fix.choose_urllib3), certifi. Key, URL, proxy and network findings never are, nor
anything that needs another interpreter; and an externally managed (PEP 668) or macOS system
interpreter is not touched at all (`refusal`): the steps it would have had become unfixable,
with the commands for a virtual environment.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from doctor.fix import choose_urllib3
from doctor.knowledge import packages as known
from doctor.knowledge import pythons
from doctor.knowledge.diagnoses import lookup
from doctor.knowledge.pip_vendor import LAST_PIP_WITH_URLLIB3_1  # pip 26.1+ vendor urllib3 2 (refused here)
from doctor.knowledge.wording import fix as say
from doctor.knowledge.wording.python import interpreter_fixes
from doctor.model import CheckResult, Fix, Status
from doctor.probe import dependencies
from doctor.probe.facts import InterpreterFacts

# Where Apple's own Pythons live (what /usr/bin/python3 runs on macOS); a venv made from one keeps it as base.
APPLE_PREFIXES = ("/Library/Developer/CommandLineTools/", "/Applications/Xcode", "/System/Library/Frameworks/Python.framework")
# The groups whose findings are the user's to fix: key, URL, proxy, route, API, stream.
_NEVER_OURS = ("config", "net", "api", "stream")
# Codes whose cure is another interpreter (a rebuild beside the old environment).
_NEEDS_INTERPRETER = frozenset({"python_too_old", "python_eol", "openai_sdk_capped", "ssl_missing",
                                "ssl_library_outdated", "probe_failed", "macos_certificates_not_installed"})
_JUDGED = (Status.FAIL, Status.WARN, Status.ERROR)


@dataclass(frozen=True)
class TargetFacts:
    """What pip itself would look at before changing the target (gathered by doctor.fix.target)."""

    python: str
    in_venv: bool = False
    externally_managed: Optional[str] = None  # the EXTERNALLY-MANAGED marker's path, outside a venv
    has_pip: bool = True
    pip_error: Optional[str] = None  # why pip itself cannot start (its vendored urllib3 2 on an old OpenSSL)
    bundled_pip: Optional[str] = None  # the pip wheel ensurepip carries, which can run from where it is
    error: Optional[str] = None  # the target could not be asked


@dataclass(frozen=True)
class Step:
    """One command, run as an argument list (no shell), for one finding."""

    check_id: str
    code: str
    why: str
    argv: Tuple[str, ...]

    @property
    def command(self) -> str:
        """The argument list as one shell-quoted line, to read or paste."""
        return " ".join(shlex.quote(arg) for arg in self.argv)

    def to_dict(self) -> Dict[str, Any]:
        return {"check": self.check_id, "code": self.code, "why": self.why, "argv": list(self.argv),
                "command": self.command}


@dataclass(frozen=True)
class Unfixable:
    """A finding chat-doctor leaves alone, why, and what the user can do."""

    check_id: str
    code: str
    status: Status
    summary: str
    why: str
    todo: Tuple[Fix, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {"check": self.check_id, "code": self.code, "status": self.status.value, "summary": self.summary,
                "why": self.why, "todo": [fix.to_dict() for fix in self.todo]}


@dataclass(frozen=True)
class FixPlan:
    python: str
    steps: Tuple[Step, ...] = ()
    unfixable: Tuple[Unfixable, ...] = ()
    refusal: Optional[str] = None  # why the interpreter itself is not touched
    refusal_fixes: Tuple[Fix, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {"python": self.python, "steps": [s.to_dict() for s in self.steps],
                "unfixable": [u.to_dict() for u in self.unfixable], "refusal": self.refusal,
                "refusal_fixes": [f.to_dict() for f in self.refusal_fixes]}


@dataclass(frozen=True)
class PlanInput:
    results: Tuple[CheckResult, ...]
    probe: Optional[InterpreterFacts]
    target: TargetFacts
    pin_urllib3: bool = False


def build_plan(facts: PlanInput) -> FixPlan:
    python = facts.target.python
    steps: List[Step] = []
    unfixable: List[Unfixable] = []
    for result in facts.results:
        if result.status not in _JUDGED:
            continue
        for code in _codes(result):
            for item in _decide(result, code, facts):
                if isinstance(item, Step):
                    steps.append(item)
                else:
                    unfixable.append(item)
    steps = _unique(steps)
    refusal = _refusal(facts)
    if refusal is not None and steps:
        # The refusal and its commands are said once, at the top; each finding points at it.
        refused = [Unfixable(s.check_id, s.code, _status_of(facts.results, s.check_id),
                             _step_summary(facts.results, s), say.REFUSED) for s in steps]
        return FixPlan(python, (), (*refused, *unfixable), refusal[0], refusal[1])
    if steps and not facts.target.has_pip:
        steps.insert(0, Step("", "", say.ENSUREPIP, (python, "-m", "ensurepip")))
    elif steps and facts.target.pip_error is not None:
        repair = _pip_repair(facts.target)
        if repair is None:
            blocked = [Unfixable(s.check_id, s.code, _status_of(facts.results, s.check_id),
                                 _step_summary(facts.results, s), say.pip_unusable(facts.target.pip_error)) for s in steps]
            return FixPlan(python, (), (*blocked, *unfixable))
        steps.insert(0, repair)
    return FixPlan(python, tuple(steps), tuple(unfixable))


def _pip_repair(target: TargetFacts) -> Optional[Step]:
    """pip refuses to start because its vendored urllib3 2 refuses this TLS library: the pip
    bundled with the Python (a wheel, which runs as it is) installs the last pip vendoring
    urllib3 1.26 first; every later step then runs with that."""
    from doctor.knowledge import urllib3 as u3

    if target.bundled_pip is None or not u3.MESSAGE_RE.search(target.pip_error or ""):
        return None
    return Step("", "", say.pip_repair(target.pip_error or ""),
                (target.python, target.bundled_pip + "/pip", "install", LAST_PIP_WITH_URLLIB3_1))


def _codes(result: CheckResult) -> List[str]:
    found = result.data.get("findings") if isinstance(result.data, dict) else None
    codes = [c for c in (found or [result.code]) if isinstance(c, str)]
    return list(dict.fromkeys(codes)) or [""]


def _summary_of(result: CheckResult, code: str) -> str:
    """The primary finding's summary, or the `also [code]: ...` line combine() wrote for another."""
    if code == result.code:
        return result.summary
    prefix = f"also [{code}]: "
    return next((line[len(prefix):] for line in result.details if line.startswith(prefix)), result.summary)


def _todo(result: CheckResult, code: str) -> Tuple[Fix, ...]:
    if result.fixes:
        return result.fixes
    try:
        return (Fix(lookup(code).fix),)
    except KeyError:
        return ()


def _decide(result: CheckResult, code: str, facts: PlanInput) -> Sequence[Union[Step, Unfixable]]:
    def unfixable(why: str, todo: Optional[Tuple[Fix, ...]] = None) -> Unfixable:
        return Unfixable(result.id, code, result.status, _summary_of(result, code), why,
                         _todo(result, code) if todo is None else todo)

    probe, python = facts.probe, facts.target.python
    if result.group in _NEVER_OURS:
        return [unfixable(say.NEVER_OURS)]
    if code in _NEEDS_INTERPRETER or probe is None:
        return [unfixable(say.NEEDS_INTERPRETER)]
    pip = (python, "-m", "pip", "install")
    if code in (choose_urllib3.IMPORT_ERROR_CODE, choose_urllib3.WARNING_CODE):
        choice = choose_urllib3.choose(probe, code, pin_requested=facts.pin_urllib3)
        if choice.requirement is None:
            extra = () if choice.blockers or code != choose_urllib3.WARNING_CODE else (say.pin_command_fix(python),)
            return [unfixable(choice.why, (*_todo(result, code), *extra))]
        return [Step(result.id, code, choice.why, (*pip, choice.requirement))]
    if code == "urllib3_import_failed" and probe.urllib3.version:
        version = probe.urllib3.version
        return [Step(result.id, code, say.reinstall_urllib3(version), (*pip, "--force-reinstall", f"urllib3=={version}"))]
    if code == "certifi_unusable":
        return [Step(result.id, code, say.CERTIFI, (*pip, "--force-reinstall", "certifi"))]
    if code == "openai_missing":
        cap = pythons.openai_cap(probe.minor)
        if cap is not None and not cap.has_chat:
            return [unfixable(say.NEEDS_INTERPRETER)]
        newest = cap.version if cap else pythons.OPENAI_CURRENT
        return [Step(result.id, code, say.install_openai(newest, probe.minor), (*pip, "openai"))]
    if code == "openai_legacy":
        return [unfixable(say.LEGACY_OPENAI)]
    if code == "dependency_conflict":
        steps = _conflict_steps(result, probe, pip)
        return steps or [unfixable(say.NO_AUTOMATIC_FIX)]
    return [unfixable(say.NO_AUTOMATIC_FIX)]


def _conflict_steps(result: CheckResult, probe: InterpreterFacts, pip: Tuple[str, ...]) -> List[Step]:
    """The known-broken pair first (upgrading within the installed major when this Python can,
    else pinning the other package back), then unmet requirements (openai reinstalled as is)."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    steps: List[Step] = []
    cap = pythons.openai_cap(probe.minor)
    for combo in known.KNOWN_BAD:
        first, second = probe.distribution(combo.package), probe.distribution(combo.other)
        if first is None or second is None:
            continue
        try:
            if not (SpecifierSet(combo.package_spec).contains(first.version, prereleases=True)
                    and SpecifierSet(combo.other_spec).contains(second.version, prereleases=True)):
                continue
            major = Version(first.version).major
        except (ValueError, InvalidVersion):
            continue
        upgrade = f"{combo.fix_requirement},<{major + 1}"
        capped_out = cap is not None and combo.package == "openai" and not Requirement(upgrade).specifier.contains(cap.version)
        if capped_out:
            why = say.known_bad_pin(combo.package, first.version, combo.other, second.version, combo.fix_alternative)
            steps.append(Step(result.id, "dependency_conflict", why, (*pip, combo.fix_alternative)))
        else:
            why = say.known_bad_upgrade(combo.package, first.version, combo.other, second.version, upgrade)
            steps.append(Step(result.id, "dependency_conflict", why, (*pip, upgrade)))
    openai = probe.distribution("openai")
    if openai is not None and dependencies.unsatisfied_closure(probe, "openai"):
        steps.append(Step(result.id, "dependency_conflict", say.resolve_openai(openai.version),
                          (*pip, f"openai=={openai.version}")))
    return steps


def _unique(steps: List[Step]) -> List[Step]:
    seen, kept = set(), []
    for step in steps:
        if step.argv not in seen:
            seen.add(step.argv)
            kept.append(step)
    return kept


def _step_summary(results: Sequence[CheckResult], step: Step) -> str:
    result = next((r for r in results if r.id == step.check_id), None)
    return _summary_of(result, step.code) if result is not None else step.why


def _status_of(results: Sequence[CheckResult], check_id: str) -> Status:
    return next((r.status for r in results if r.id == check_id), Status.FAIL)


def _refusal(facts: PlanInput) -> Optional[Tuple[str, Tuple[Fix, ...]]]:
    """Why the interpreter is not to be touched, and the commands for a virtual environment instead."""
    target, probe = facts.target, facts.probe
    if target.error is not None:
        why = say.cannot_ask(target.error)
    elif target.in_venv:
        return None
    elif target.externally_managed:
        why = say.externally_managed(target.externally_managed)
    elif probe is not None and is_macos_system(probe):
        why = say.MACOS_SYSTEM
    else:
        return None
    fixes: List[Fix] = []
    tls_ok = probe is not None and (probe.ssl.version or "").startswith("OpenSSL ") and \
        tuple(probe.ssl.version_info[:3]) >= (1, 1, 1)
    if tls_ok:
        fixes.append(say.venv_fix(target.python))
    elif probe is not None:  # its TLS library is part of the problem: a venv needs another interpreter
        fixes.extend(interpreter_fixes(probe, target.python))
    return why, tuple(fixes)


def is_macos_system(probe: InterpreterFacts) -> bool:
    """Apple's Python itself (not a venv made from it: that one's site-packages are the user's)."""
    prefix = probe.base_prefix or probe.prefix
    return probe.sys_platform == "darwin" and not probe.is_venv and prefix.startswith(APPLE_PREFIXES)
