"""What the `packages.openai` check says: the installed openai SDK, the HTTP stack it talks
through, and what is wrong with its requirements."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from doctor.knowledge import packages as known
from doctor.knowledge.wording.python import q
from doctor.model import Fix

# --- not installed ---------------------------------------------------------------------------------


def missing_summary(python: str) -> str:
    return f"openai is not installed in {python}"


def missing_details(newest: str, minor: Tuple[int, int], no_chat: bool) -> List[str]:
    hint = f"pip gives openai {newest} on Python {minor[0]}.{minor[1]}"
    return [hint] + ([f"openai {newest} has no chat API: use Python 3.10+"] if no_chat else [])


def install_fix(python: str) -> Fix:
    return Fix("Install it into the interpreter your app runs on", f"{q(python)} -m pip install openai")


# --- installed --------------------------------------------------------------------------------------


def installed_in(version: str, location: str) -> str:
    return f"openai {version} in {location}"


STACK_UNKNOWN = "HTTP stack: not recognised from its requirements"


def stack(library: str, version: Optional[str], trust: str) -> str:
    """`version` is None when the library the requirements name is not installed."""
    return f"HTTP via {library} {version if version is not None else 'not installed'}, trusting {trust}"


def trust_override(name: str, value: str) -> str:
    """A CA variable that replaces the stack's default trust store."""
    return f"{name}={value}"


def ok_summary(version: str, stack_text: str) -> str:
    return f"openai {version}; {stack_text}"


# --- problems ---------------------------------------------------------------------------------------


def legacy_summary(version: str) -> str:
    return (f"openai {version} is the pre-1.0 SDK: openai.ChatCompletion code is gone from current releases, "
            "and current examples (openai.OpenAI()) do not run on it")


LEGACY_DETAIL = "0.x talks HTTP through requests, so it also pulls in urllib3 (see python.urllib3)"


def legacy_fixes(python: str, newest: str) -> Tuple[Fix, ...]:
    return (Fix(f"Upgrade (pip gives openai {newest} here)", f"{q(python)} -m pip install -U openai"),
            Fix(f"Then migrate your code automatically ({known.OPENAI_MIGRATION_URL})", "openai migrate"))


def unmet_summary(version: str, unmet: Sequence[str]) -> str:
    """The first three unmet requirements in the summary; the rest go to the details."""
    return (f"openai {version}'s requirements are not met: " + "; ".join(unmet[:3])
            + (f" (and {len(unmet) - 3} more)" if len(unmet) > 3 else ""))


def unmet_fix(python: str) -> Fix:
    return Fix("Let pip install what openai needs", f"{q(python)} -m pip install -U openai")


def known_bad_summary(combo: known.BadCombination, version: str, other_version: str) -> str:
    return f"{combo.package} {version} with {combo.other} {other_version}: {combo.symptom}"


def known_bad_fixes(combo: known.BadCombination, python: str) -> Tuple[Fix, ...]:
    return (Fix(f"Upgrade {combo.package}", f"{q(python)} -m pip install \"{combo.fix_requirement}\""),
            Fix(f"Or pin {combo.other} back", f"{q(python)} -m pip install \"{combo.fix_alternative}\""))
