"""pip's own urllib3: from 26.1 pip vendors urllib3 2, so the target's pip can be refused by the
same import-time TLS-library check as the user's urllib3 (doctor.knowledge.urllib3), and then
every `python -m pip install` chat-doctor prints fails before it starts.

Verified (i13-pip, a Python 3.11.7 venv whose ssl reports OpenSSL 1.0.2k, tests.support.venvs'
simulation; pip's vendored urllib3 reads only those values): pip 26.3 `--version`, `list`,
`freeze` and `show` still run; `install`, `download` and `uninstall` raise urllib3's ImportError
from pip/_vendor/urllib3/__init__.py. `python -m ensurepip --upgrade` changes nothing (the
installed pip is newer than the bundled one), but the pip wheel ensurepip carries runs as it is
(`python .../ensurepip/_bundled/pip-23.2.1-py3-none-any.whl/pip install "pip<26.1"`) and brings
pip 26.0.1, which vendors urllib3 1.26.20. On LibreSSL the vendored urllib3 only warns, unless
the warning filters make that an error (PYTHONWARNINGS=error: pip._vendor.urllib3.exceptions.
NotOpenSSLWarning). pip 26.1+ requires Python 3.10, which CPython builds only against OpenSSL
1.1.1+ (PEP 644): the OpenSSL case needs a forced install; the LibreSSL one happens as it is.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

from doctor.knowledge import urllib3 as u3
from doctor.probe.facts import InterpreterFacts

# pip 26.1 is the first to vendor urllib3 2 (pip/_vendor/vendor.txt: 26.0.1 urllib3==1.26.20,
# 26.1 urllib3==2.6.3); the newest pip before it is the way back.
FIRST_PIP_WITH_URLLIB3_2 = (26, 1)
LAST_PIP_WITH_URLLIB3_1 = "pip<26.1"
# What 26.1 vendors, for a pip whose vendored urllib3 could not be read (the oldest of the 2.x it ships).
URLLIB3_IN_PIP_26_1 = "2.6.3"


@dataclass(frozen=True)
class PipRefusal:
    """The target's pip cannot start: its vendored urllib3 refuses this TLS library."""

    pip_version: str
    vendored_urllib3: str
    prediction: u3.Prediction  # the vendored urllib3's import, predicted on this TLS library
    repair_wheel: Optional[str]  # ensurepip's pip wheel when it can run here (it predates 26.1), else None

    @property
    def by_filters(self) -> bool:
        """Refused only because the warning filters (PYTHONWARNINGS=error) raise urllib3's LibreSSL
        warning: pip runs with them set aside. The bundled pip is no way out then: under the same
        filters it dies on its own DeprecationWarning (pkg_resources, pip 23.2.1; verified)."""
        return self.prediction.raised == "urllib3.exceptions.NotOpenSSLWarning"


def pip_refusal(probe: InterpreterFacts) -> Optional[PipRefusal]:
    """Why the target's `python -m pip install` would fail before it starts, or None when it would not."""
    pip = probe.pip
    if pip.version is None:
        return None
    vendored = pip.vendored_urllib3 or (URLLIB3_IN_PIP_26_1 if _release(pip.version) >= FIRST_PIP_WITH_URLLIB3_2 else None)
    if vendored is None or _release(vendored) < (2,):
        return None
    ssl = probe.ssl
    prediction = u3.predict_import(vendored, ssl.available, ssl.version, ssl.version_info, probe.not_openssl_action)
    if prediction.outcome != u3.IMPORT_ERROR:
        return None
    return PipRefusal(pip.version, vendored, prediction, _runnable(pip.bundled_wheel))


def _runnable(wheel: Optional[str]) -> Optional[str]:
    """ensurepip's wheel, if it vendors urllib3 1.x (pip before 26.1; a later one is refused too)."""
    if wheel is None:
        return None
    found = re.match(r"pip-([0-9][^-]*)-", os.path.basename(wheel))
    return wheel if found and _release(found.group(1)) < FIRST_PIP_WITH_URLLIB3_2 else None


def _release(version: str) -> tuple:
    """'26.1.post1' -> (26, 1); a version that does not start with a number -> ()."""
    found = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in found.group(0).split(".")) if found else ()
