"""One frozen row per interpreter of `chat-doctor pythons`, made from its probe, and the second
deduplication (by what the interpreters say about themselves). Pure: no file, no process.

The first deduplication (doctor.probe.discovery) merges paths that resolve to the same file.
It cannot see through a pyenv shim or a wrapper script, which are files of their own: those
are merged here, when two probes report the same sys.executable (resolved) and sys.prefix.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

from doctor.knowledge import pythons
from doctor.probe.survey import Probed
from doctor.probe.urllib3_outcome import Urllib3Verdict, installed_verdict, pip_verdict

Minor = Tuple[int, int]


@dataclass(frozen=True)
class InterpreterRow:
    """What the table and the JSON show for one interpreter (a failed probe: path and reason)."""

    path: str
    found_by: Tuple[str, ...]
    aliases: Tuple[str, ...] = ()
    failure: Optional[str] = None  # why there is nothing else to show
    failure_output: str = ""
    version: Optional[str] = None
    implementation: str = ""
    executable: str = ""
    real_executable: str = ""
    prefix: str = ""
    base_prefix: str = ""
    is_venv: bool = False
    platform: str = ""  # sys.platform of the interpreter
    minor: Optional[Minor] = None
    too_old: bool = False  # older than the probe (3.6): only the version and TLS library known
    tls: Optional[str] = None  # ssl.OPENSSL_VERSION; None: no ssl module
    urllib3_installed: Optional[Urllib3Verdict] = None  # None: not installed
    urllib3_pip: Optional[Urllib3Verdict] = None  # what `pip install urllib3` gives this line
    openai_newest: Optional[str] = None  # the newest openai pip installs here ("none": not any)
    openai_newest_has_chat: bool = False
    openai_current: bool = False  # openai_newest is the current SDK
    openai_installed: Optional[str] = None  # the installed openai's version
    eol_date: Optional[datetime.date] = None

    @property
    def probed(self) -> bool:
        return self.failure is None


def row_from(probed: Probed) -> InterpreterRow:
    candidate = probed.candidate
    base = InterpreterRow(path=candidate.path, found_by=candidate.found_by, aliases=candidate.aliases)
    facts = probed.facts
    if facts is None:
        return replace(base, failure=probed.failure or "no answer", failure_output=probed.output)
    minor = facts.minor
    cap = pythons.openai_cap(minor)
    openai = facts.distribution("openai")
    return replace(
        base,
        version=facts.python_version,
        implementation=facts.implementation,
        executable=facts.executable,
        real_executable=probed.real_executable,
        prefix=facts.prefix,
        base_prefix=facts.base_prefix,
        is_venv=facts.is_venv,
        platform=facts.sys_platform,
        minor=minor,
        too_old=facts.too_old,
        tls=facts.ssl_version,
        urllib3_installed=installed_verdict(facts),
        urllib3_pip=pip_verdict(facts),
        openai_newest=cap.version if cap else pythons.OPENAI_CURRENT,
        openai_newest_has_chat=cap.has_chat if cap else True,
        openai_current=cap is None,
        openai_installed=openai.version if openai else None,
        eol_date=pythons.eol_date(minor),
    )


def rows_from(probes: Sequence[Probed]) -> Tuple[InterpreterRow, ...]:
    return merge_same_interpreter([row_from(probed) for probed in probes])


def merge_same_interpreter(rows: Sequence[InterpreterRow]) -> Tuple[InterpreterRow, ...]:
    """Rows whose probes report the same resolved sys.executable and sys.prefix become one: the
    first keeps its place, the others' paths become its aliases. Failed rows are never merged
    (nothing says what they are)."""
    kept: List[InterpreterRow] = []
    where: Dict[Tuple[str, str], int] = {}
    for row in rows:
        key = (row.real_executable, row.prefix)
        if not row.probed or not row.real_executable:
            kept.append(row)
            continue
        if key not in where:
            where[key] = len(kept)
            kept.append(row)
            continue
        first = kept[where[key]]
        aliases = [*first.aliases]
        for path in (row.path, *row.aliases):
            if path != first.path and path not in aliases:
                aliases.append(path)
        found_by = (*first.found_by, *(how for how in row.found_by if how not in first.found_by))
        kept[where[key]] = replace(first, aliases=tuple(aliases), found_by=found_by)
    return tuple(kept)


# Where Apple's Pythons live: the Command Line Tools', Xcode's, and the old /System one (2.7).
_APPLE_PREFIXES = ("/Library/Developer/CommandLineTools/", "/Applications/Xcode", "/System/Library/Frameworks/Python.framework")


def is_macos_system(row: InterpreterRow) -> bool:
    """Apple's Python (the Command Line Tools' or Xcode's, what /usr/bin/python3 runs on macOS):
    told by the base prefix it reports, which a venv made from it keeps."""
    if row.platform != "darwin":
        return False
    prefix = row.base_prefix or row.prefix
    return prefix.startswith(_APPLE_PREFIXES)


def is_prerelease(version: Optional[str]) -> bool:
    return bool(version) and any(mark in (version or "") for mark in ("a", "b", "rc", "+"))
