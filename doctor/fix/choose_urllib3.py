"""Which urllib3 change, if any, fixes its TLS-library check in this interpreter (pure).

urllib3 2.0.0-2.0.2 raise ImportError on anything but OpenSSL 1.1.1+; 2.0.3+ raise only for
OpenSSL < 1.1.1 and merely warn for LibreSSL (doctor.knowledge.urllib3). So:

- OpenSSL < 1.1.1: only urllib3 1.26 imports; pin `urllib3<2`.
- LibreSSL under 2.0.0-2.0.2: upgrade to a 2.0.3+ release that only warns, keeping urllib3 2,
  unless the installed packages or the user's warning filters rule it out; then pin 1.26.
- The LibreSSL warning alone: urllib3 works, so nothing changes unless asked (`--pin-urllib3`).

A pin is refused, naming them, when an installed package requires urllib3 2 (pip would break
it, and only warn about it afterwards); an upgrade keeps every installed package's specifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3
from doctor.knowledge.wording import fix as say
from doctor.probe import dependencies
from doctor.probe.facts import InterpreterFacts

# The last urllib3 1.x: what `urllib3<2` installs, so what every requirer must accept.
LAST_1_26 = "1.26.20"
# The first release that only warns on LibreSSL.
FIRST_WARNING_ONLY = "2.0.3"
# Releases an upgrade may land on (newest first), each verified in doctor.knowledge.urllib3's table.
_V2_RELEASES = ("2.8.0", "2.6.3", "2.2.3", "2.0.7", "2.0.3")

IMPORT_ERROR_CODE = "urllib3_ssl_import_error"
WARNING_CODE = "urllib3_ssl_warning"


@dataclass(frozen=True)
class Urllib3Choice:
    """A requirement to install (None: change nothing) and why; `blockers` are the installed
    packages (name, specifier) a pin would break."""

    requirement: Optional[str]
    why: str
    blockers: Tuple[Tuple[str, str], ...] = ()


def choose(probe: InterpreterFacts, code: str, *, pin_requested: bool = False) -> Urllib3Choice:
    """The urllib3 change for a python.urllib3 finding `code` on this interpreter."""
    imp, ssl = probe.urllib3, probe.ssl
    if not imp.installed or not imp.version:
        return Urllib3Choice(None, say.URLLIB3_NOT_INSTALLED)
    if code == WARNING_CODE:
        return _pin(probe, say.PIN_REQUESTED) if pin_requested else Urllib3Choice(None, say.URLLIB3_WARNING)
    library = ssl.version or ""
    if library.startswith("OpenSSL "):
        return _pin(probe, say.OLD_OPENSSL)
    if u3.release_check(imp.version).non_openssl == u3.IMPORT_ERROR:  # 2.0.0-2.0.2 on LibreSSL
        upgrade = _upgrade_requirement(probe)
        if upgrade is not None:
            return Urllib3Choice(upgrade, say.upgrade_urllib3(u3.openssl_short(library), imp.version))
        return _pin(probe, say.LIBRESSL_NO_UPGRADE)
    # 2.0.3+ on LibreSSL fails only when the user's filters make its warning an error.
    return _pin(probe, say.FILTER_ERROR)


def _pin(probe: InterpreterFacts, reason: str) -> Urllib3Choice:
    blockers = tuple((req.parent, req.specifier) for req in dependencies.requirers_of(probe, "urllib3")
                     if not req.allows(LAST_1_26))
    if blockers:
        return Urllib3Choice(None, say.pin_blocked(blockers), blockers)
    return Urllib3Choice("urllib3<2", say.pin_urllib3(reason))


def _upgrade_requirement(probe: InterpreterFacts) -> Optional[str]:
    """`urllib3>=2.0.3` narrowed by every installed requirer's specifier, when some release this
    Python can install fits them all and only warns under the user's filters; else None."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    specifiers: List[str] = [f">={FIRST_WARNING_ONLY}"]
    for req in dependencies.requirers_of(probe, "urllib3"):
        if req.specifier and req.specifier not in specifiers:
            specifiers.append(req.specifier)
    wanted = SpecifierSet(",".join(specifiers))
    newest = Version(pythons.newest_urllib3(probe.minor))
    ssl = probe.ssl
    for release in _V2_RELEASES:
        if Version(release) > newest or not wanted.contains(release):
            continue
        outcome = u3.predict_import(release, ssl.available, ssl.version, ssl.version_info, probe.not_openssl_action)
        if outcome.outcome != u3.IMPORT_ERROR:
            return "urllib3" + str(wanted)
    return None
