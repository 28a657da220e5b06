"""What `chat-doctor fix` says: why each step is chosen, why a finding is left alone, the refusals
and the prompt. doctor.fix decides; these functions only word what it decided."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from doctor.knowledge.wording.python import q
from doctor.model import Fix

# --- why each automatic step ----------------------------------------------------------------------


def pin_urllib3(reason: str) -> str:
    return (f"pin urllib3 1.26, which has no TLS-library check: {reason}. urllib3 1.26 gets no new features; "
            "every installed package that needs urllib3 accepts it")


def upgrade_urllib3(library: str, version: str) -> str:
    return (f"urllib3 {version} (2.0.0-2.0.2) raises ImportError on {library}; 2.0.3 and newer only warn "
            "(NotOpenSSLWarning) and keep urllib3 2, so this upgrades rather than pinning 1.26")


OLD_OPENSSL = "urllib3 2 refuses OpenSSL older than 1.1.1 whatever its release, so only 1.26 imports here"
PIN_REQUESTED = "you asked for it (--pin-urllib3), so the warning goes away with urllib3 2"
FILTER_ERROR = "your warning filters (-W / PYTHONWARNINGS) turn urllib3 2's NotOpenSSLWarning into an error"
LIBRESSL_NO_UPGRADE = "no urllib3 2.0.3+ fits what the installed packages require (or your filters make its warning fatal)"


def reinstall_urllib3(version: str) -> str:
    return f"urllib3 {version} fails to import for a reason other than TLS (a broken or partial install): reinstall the same release"


def install_openai(newest: str, minor: Tuple[int, int]) -> str:
    return (f"openai is missing; pip picks the newest release this Python supports (openai {newest} on "
            f"Python {minor[0]}.{minor[1]})")


def resolve_openai(version: str) -> str:
    return f"openai {version}'s requirements are not met: reinstalling the same release lets pip bring what it needs"


def known_bad_upgrade(package: str, version: str, other: str, other_version: str, requirement: str) -> str:
    return (f"{package} {version} breaks with {other} {other_version}; {requirement} fixes it within the same "
            f"major release of {package}")


def known_bad_pin(package: str, version: str, other: str, other_version: str, requirement: str) -> str:
    return (f"{package} {version} breaks with {other} {other_version}, and this Python cannot install a fixed "
            f"{package}: pin {requirement} instead")


def pip_repair(error: str) -> str:
    return (f"this environment's pip cannot start ({_first_line(error)}): pip 26.1 and newer vendor urllib3 2, "
            "which refuses this TLS library too. The pip bundled with this Python (ensurepip's wheel) installs "
            "the newest pip before 26.1, whose urllib3 is 1.26; the steps below then run with it")


def pip_unusable(error: str) -> str:
    return (f"pip cannot start in this environment ({_first_line(error)}), and there is no bundled pip to run "
            "instead: repair pip first (`python -m ensurepip --upgrade`), then run chat-doctor fix again")


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


CERTIFI = "an installed package needs certifi's CA bundle, which is missing or broken: reinstall certifi"
ENSUREPIP = "this environment has no pip: ensurepip installs the one bundled with its Python (nothing else changes)"

# --- why a finding is left alone --------------------------------------------------------------------

NEVER_OURS = ("chat-doctor never changes your key, URL, proxy or network settings: they are yours, and a wrong guess "
              "would hide the real problem. What to do:")
NEEDS_INTERPRETER = ("the cure is another interpreter; chat-doctor never deletes or clears an environment: build the "
                     "new one beside the old one with the commands below, then switch")
LEGACY_OPENAI = ("upgrading openai 0.x changes the API your code calls (openai.ChatCompletion is gone): upgrade and "
                 "migrate your code yourself")
NO_AUTOMATIC_FIX = "no automatic fix for this one"
URLLIB3_NOT_INSTALLED = ("urllib3 is not installed yet, so nothing is broken: if a package pulls it in later, run "
                         "chat-doctor fix again")
URLLIB3_WARNING = ("urllib3 imports and works; it only warns that this TLS library is untested. Your choice: accept it "
                   "and silence the warning, pin urllib3 1.26 (`chat-doctor fix --apply --pin-urllib3` does it), or "
                   "move to an interpreter built against OpenSSL")


def pin_blocked(blockers: Sequence[Tuple[str, str]]) -> str:
    named = ", ".join(f"{parent} (needs urllib3{specifier})" for parent, specifier in blockers)
    return f"pinning urllib3<2 would break {named}: not pinned; move to an interpreter built against OpenSSL 1.1.1+ instead"


def pin_command_fix(python: str) -> Fix:
    return Fix("Pin urllib3 1.26 (chat-doctor checks first that nothing installed needs urllib3 2)",
               f"chat-doctor fix --python {q(python)} --apply --pin-urllib3")


REFUSED = "not changed: this interpreter is not chat-doctor's to change (see \"Refused\" above for what to do instead)"


# --- refusing the whole interpreter -----------------------------------------------------------------


def externally_managed(marker: str) -> str:
    return (f"this interpreter is externally managed (PEP 668: {marker}): its packages belong to the system's package "
            "manager, and pip changes there can break the OS. Create a virtual environment instead")


def cannot_ask(error: str) -> str:
    return (f"chat-doctor could not ask the interpreter whether pip may change it ({error}), so it changes nothing; "
            "a virtual environment is always safe to change")


MACOS_SYSTEM = ("this is the macOS system Python: its site-packages belong to Apple's tools (and it is built against "
                "LibreSSL). Create a virtual environment with another Python instead")


def venv_fix(python: str) -> Fix:
    return Fix("Create a virtual environment for your project with this interpreter, install openai there, and let "
               "chat-doctor fix that one",
               f"{q(python)} -m venv .venv && .venv/bin/python -m pip install openai && "
               "chat-doctor fix --python .venv/bin/python")


# --- the prompt and the outcome ---------------------------------------------------------------------

PROMPT = "Run these commands?"
NO_TERMINAL = ("chat-doctor fix: refusing to prompt without a terminal; nothing was changed. "
               "Pass --yes to apply the plan without asking")
DECLINED = "Nothing was changed."
NOTHING_TO_DO = "Nothing to do: no finding here has an automatic fix."
NOTHING_LEFT = "Nothing left to do."


def step_failed(index: int, returncode: Optional[int], timed_out: bool) -> str:
    how = "timed out" if timed_out else f"exited {returncode}"
    return f"step {index} {how}: the steps after it were not run"


def own_interpreter(python: str) -> str:
    """`fix --apply` with no --python and no active venv: the target would be chat-doctor's own."""
    return (f"fix --apply: no --python was given and no virtual environment is active, so the target is "
            f"chat-doctor's own interpreter ({python}); fix changes the app's environment, not chat-doctor's: "
            f"name it with --python PATH (or activate its virtual environment)")
