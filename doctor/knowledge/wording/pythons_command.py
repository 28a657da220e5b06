"""What `chat-doctor pythons` says: why an interpreter is or is not recommended, the table's
column titles, the recommendation and the commands that make an environment with it.

Pure text builders; doctor.pythons.recommend decides, doctor.render.pythons prints.
"""

from __future__ import annotations

import datetime
import shlex
from typing import Optional, Tuple

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3

COLUMNS: Tuple[str, ...] = (
    "path", "version", "TLS library", "urllib3 installed", "urllib3 from pip", "newest openai",
    "openai installed", "end of life", "note",
)
TITLE = "Python interpreters on this machine"
NONE_FOUND = "No Python interpreter was found (PATH, pyenv, Homebrew, python.org, uv, conda, asdf, $VIRTUAL_ENV)."
NOT_INSTALLED = "-"
NOT_PROBED = "not probed"
NO_TLS = "no ssl module"

PAST = " (past)"
_OUTCOME_WORD = {u3.OK: "ok", u3.WARNING: "warns", u3.IMPORT_ERROR: "fails"}


def version_cell(implementation: str, version: str, is_venv: bool) -> str:
    shown = version if implementation in ("", "CPython") else f"{implementation} {version}"
    return shown + (" (venv)" if is_venv else "")


def urllib3_cell(version: str, outcome: str) -> str:
    return f"{version} {_OUTCOME_WORD.get(outcome, outcome)}"


def openai_cell(newest: str, has_chat: bool) -> str:
    return newest + ("" if has_chat else " (no chat API)")


def aliases(paths: Tuple[str, ...]) -> str:
    return "also " + ", ".join(paths)


def it_printed(output: str) -> str:
    return f" (it printed: {output})"


def left_out(count: int) -> str:
    return f"({count} more interpreters were found but not probed)"


def shim_activation(available: Tuple[str, ...]) -> Optional[str]:
    """The command that makes an inactive shim run something: the newest version that has it."""
    return f"pyenv shell {shlex.quote(available[0])}" if available else None


def inactive_shim(path: str, command: str, selected: Tuple[str, ...], origin: str,
                  available: Tuple[str, ...]) -> str:
    """One quiet line for a pyenv shim the selected version lacks (instead of a failed probe)."""
    which = ":".join(selected)
    plural = "s" if len(selected) > 1 else ""
    by = "" if origin in ("", "default") else f" (set by {origin})"
    activate = shim_activation(available)
    then = f"`{activate}` makes it {command}" if activate else f"no installed version has {command}"
    return f"{path}: pyenv shim, not active under the selected version{plural} {which}{by}: {then}"


def bullet(text: str) -> str:
    return f"  - {text}"


def but(text: str) -> str:
    return f"but: {text}"


# --- why an interpreter cannot be recommended ------------------------------------------------

NO_SSL = "it has no ssl module, so it cannot make HTTPS requests"


def too_old(version: str) -> str:
    return f"Python {version} is too old for the probe and for any openai release with a chat API"


def past_eol(date: datetime.date) -> str:
    return f"past its end of life ({date.isoformat()}): no more security fixes"


def openai_capped(newest: str, has_chat: bool) -> str:
    if newest == "none":
        return "no openai release with a chat API installs on it"
    return f"pip stops at openai {newest}" + ("" if has_chat else ", which has no chat API") + \
        f" (the current {pythons.OPENAI_CURRENT} needs Python 3.10+)"


def urllib3_broken(version: str, outcome: str, reason: str) -> str:
    does = "fails to import" if outcome == u3.IMPORT_ERROR else "warns at import"
    return f"urllib3 {version} (what pip installs) {does}: {reason}"


# --- what counts against an otherwise good one -------------------------------------------------

MACOS_SYSTEM = "the macOS system Python (Apple's, updated with the OS tools, not by you)"
VENV = "a virtual environment's interpreter (a new environment is made from its base anyway)"


def old_tls(tls: Optional[str]) -> str:
    return f"built with {u3.openssl_short(tls or 'an unknown TLS library')}, not OpenSSL 3"


def prerelease(version: str) -> str:
    return f"a pre-release ({version})"


def not_cpython(implementation: str) -> str:
    return f"{implementation or 'not CPython'}, not CPython (fewer wheels, less tested with the SDK)"


# --- the recommendation ---------------------------------------------------------------------------


def supported_until(date: Optional[datetime.date]) -> str:
    return f"supported until {date.isoformat()}" if date else "no end-of-life date announced yet"


def gets_current_openai() -> str:
    return f"pip gives it the current openai SDK ({pythons.OPENAI_CURRENT})"


def urllib3_fine(version: str, tls: Optional[str]) -> str:
    return f"urllib3 {version} imports cleanly on {u3.openssl_short(tls or '')}"


def also_good(count: int) -> str:
    return f"chosen over {count} other recommendable interpreter{'s' if count != 1 else ''} (newest, then found first)"


def recommended(path: str, version: str) -> str:
    return f"Recommended for an OpenAI project: {path} (Python {version})"


def none_recommendable(count: int) -> str:
    return (f"None of the {count} interpreter{'s' if count != 1 else ''} found can be recommended for an OpenAI "
            f"project. Install Python {pythons.RECOMMENDED_PYTHON}, e.g.:")


INSTALL_COMMAND = f"uv python install {pythons.RECOMMENDED_PYTHON}"
MAKE_VENV = "Make a new virtual environment with it (mkdir refuses a directory that exists, so nothing is overwritten):"


def venv_commands(python: str, directory: str) -> Tuple[str, ...]:
    """Paste-safe commands (POSIX shells; the discovery rules are POSIX layouts too): the
    interpreter and directory shell-quoted, and `mkdir` first, so an existing directory stops
    the chain instead of being reused (`python -m venv` would quietly upgrade it in place;
    `--clear` would empty it)."""
    q = shlex.quote
    return (
        f"mkdir {q(directory)} && {q(python)} -m venv {q(directory)}",
        f"{q(directory + '/bin/python')} -m pip install openai",
        f". {q(directory + '/bin/activate')}",
    )
