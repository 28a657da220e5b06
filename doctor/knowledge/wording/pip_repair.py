"""What a check says when the target's own pip cannot start (doctor.knowledge.pip_vendor): a
detail line, and every printed pip command aimed at the target turned into a sequence that works
pasted whole: first the pip bundled with that Python installs the last pip vendoring urllib3 1.26,
then the command as it was. `pip list`/`freeze`/`show` still run on such a pip (they never import
its urllib3), so only the commands that do are changed."""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Iterable, List, Optional

from doctor.knowledge.pip_vendor import LAST_PIP_WITH_URLLIB3_1, PipRefusal
from doctor.knowledge.wording.python import q
from doctor.model import Fix
from doctor.probe.facts import InterpreterFacts

# The pip commands that import pip's vendored urllib3 (verified on pip 26.3; list, freeze, show
# and --version do not).
_REFUSED = ("install", "uninstall", "download", "wheel", "index")


def repair_command(python: str, wheel: str) -> str:
    """ensurepip's wheel runs as it is (`python X.whl/pip`) and installs into the target; under
    the user's `error` filter the bundled pip (23.2.1) would die on its own DeprecationWarning."""
    return f"{QUIET_PIP}{q(python)} {q(wheel + '/pip')} install \"{LAST_PIP_WITH_URLLIB3_1}\""


# Set for pip alone (a prefix, not an export): the user's own filters stay as they are for their app.
QUIET_PIP = "PYTHONWARNINGS=ignore "


def detail(refusal: PipRefusal) -> str:
    head = (f"this Python's pip {refusal.pip_version} cannot install anything: pip 26.1 and newer vendor urllib3 2 "
            f"(here {refusal.vendored_urllib3}), and {refusal.prediction.reason}")
    if refusal.by_filters:
        return head + ". So each pip command below runs with PYTHONWARNINGS=ignore (for pip only)"
    if refusal.repair_wheel is None:
        return (head + ". This Python carries no pip wheel older than 26.1 (ensurepip), so restore a pip "
                f"before 26.1 ({LAST_PIP_WITH_URLLIB3_1}) another way before running the pip commands below")
    return (head + f". So each pip command below first runs the pip bundled with this Python "
            f"({os.path.basename(refusal.repair_wheel)}, from ensurepip) to install {LAST_PIP_WITH_URLLIB3_1}, "
            "whose urllib3 is 1.26 (`python -m ensurepip --upgrade` would keep the newer, broken pip)")


def data(probe: InterpreterFacts, refusal: Optional[PipRefusal]) -> Dict[str, Any]:
    """The target's pip for the JSON report (`data["pip"]`)."""
    return {"version": probe.pip.version, "vendored_urllib3": probe.pip.vendored_urllib3,
            "cannot_start": refusal is not None,
            "repair_wheel": refusal.repair_wheel if refusal is not None else None}


def _runs_pip(python: str) -> re.Pattern[str]:
    """`python -m pip [options] install|...`: a command line that imports the target's pip's urllib3."""
    return re.compile(re.escape(f"{q(python)} -m pip ") + r"(?:[^&|;]*\s)?(?:" + "|".join(_REFUSED) + r")\b")


# What may stand before the pip command and still be part of the same simple command (`env -u
# ALL_PROXY`, `VAR=value`): no separator, subshell or substitution.
_NOT_A_PREFIX = re.compile(r"[;&|\n()`$<>]")


def runs_target_pip(command: Optional[str], python: str) -> bool:
    """Whether `command` runs `python`'s own pip in a way its vendored urllib3 is imported."""
    return bool(command) and _runs_pip(python).search(command or "") is not None


def notes(fixes: Iterable[Fix], python: str, refusal: Optional[PipRefusal]) -> List[str]:
    """The detail line (detail()) for a result whose fixes run the refused pip; [] otherwise."""
    if refusal is None or not any(runs_target_pip(fix.command, python) for fix in fixes):
        return []
    return [detail(refusal)]


def guarded(fixes: Iterable[Fix], python: str, refusal: Optional[PipRefusal]) -> List[Fix]:
    """`fixes` with the pip repair in front of each command that runs the target's pip (once per
    command); unchanged when its pip works, or when there is nothing to repair it with. What
    stands before the pip in its own command (`env -u ALL_PROXY`: a proxy pip cannot use) is
    put before the repair too, since the repair is a pip install as well."""
    fixes = list(fixes)
    if refusal is None or (refusal.repair_wheel is None and not refusal.by_filters):
        return fixes
    pip_here = f"{q(python)} -m pip "
    runs_pip = _runs_pip(python)
    out = []
    for fix in fixes:
        found = runs_pip.search(fix.command) if fix.command else None
        if fix.command is None or found is None:
            out.append(fix)
        elif refusal.by_filters:
            out.append(Fix(f"{fix.text} (with PYTHONWARNINGS=ignore for pip: your filters make its urllib3's "
                           "warning an error)", fix.command.replace(pip_here, QUIET_PIP + pip_here)))
        else:
            prefix = fix.command[:found.start()]
            prefix = "" if _NOT_A_PREFIX.search(prefix) else prefix
            out.append(Fix(f"{fix.text} (after restoring a working pip first: {LAST_PIP_WITH_URLLIB3_1})",
                           f"{prefix}{repair_command(python, refusal.repair_wheel or '')} && {fix.command}"))
    return out
