"""`chat-doctor pythons` starts its probes before typer and rich are imported (as `check` does,
doctor.probe.interpreters.prestart): discovery is files and at most two quick tool questions,
so the first wave of probes runs while the CLI framework loads (~0.3 s of CPU on its own).

The discovery made here is kept for the command itself (`discovery_for`), so the places are
read and the version managers asked once per run. Nothing outlives the process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from doctor.probe.discovery import Discovery, discover, probe_order
from doctor.probe.tool_dirs import places_for

# As many as doctor.probe.survey.MAX_WORKERS runs at once: the survey's first wave, no more
# (a PATH of 64 interpreters must not become 64 processes before the arguments are parsed).
PRESTART_MAX = 16

_Key = Tuple[Tuple[Tuple[str, str], ...], Optional[str], Optional[str], str]
_DISCOVERED: Dict[_Key, Discovery] = {}


def first_candidates(env: Mapping[str, str]) -> Tuple[str, ...]:
    """The paths to probe first, discovered as the command will discover them (same env, same
    working directory); () when anything is unclear: the command then does it all itself."""
    from doctor.settings import working_directory

    try:
        found = discovery_for(env, home_of(env), Path("/"), working_directory())
    except (OSError, ValueError):
        return ()
    return tuple(candidate.path for candidate in probe_order(found.candidates[:PRESTART_MAX]))


def discovery_for(env: Mapping[str, str], home: Optional[Path], root: Path, cwd: Optional[Path]) -> Discovery:
    """discover(places_for(...)), made once per process for the same inputs."""
    key = (tuple(sorted(env.items())), str(home) if home else None, str(cwd) if cwd else None, str(root))
    found = _DISCOVERED.get(key)
    if found is None:
        found = discover(places_for(env, home, root, cwd=cwd))
        _DISCOVERED[key] = found
    return found


def home_of(env: Mapping[str, str]) -> Optional[Path]:
    """HOME from the environment chat-doctor reads; None when unset (conda/asdf are then skipped)."""
    value = env.get("HOME")
    return Path(value) if value else None
