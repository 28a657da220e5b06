"""Whether urllib3 will import in chat-doctor's own interpreter, told without importing it.

Why: check's head start writes its request before urllib3 is imported (doctor.net.presend),
and a process that then cannot import urllib3 has sent the key for an answer it never reads.
The look must be cheap, as it stands before the request: find urllib3 on sys.path, read its
version from `_version.py`, and load `_ssl` (libssl: ~7 ms) only where the answer depends on the
TLS library, by urllib3's import-time test (urllib3-and-openssl.md §1.1):

- 1.x: no test, loads on any TLS library;
- 2.0.0a1 to 2.0.2: ImportError unless OpenSSL 1.1.1+;
- 2.0.3 on: ImportError on an OpenSSL older than 1.1.1, a warning (silenced by chat-doctor's
  import) on LibreSSL and the others. CPython 3.10+ builds `ssl` on OpenSSL 1.1.1+ only
  (PEP 644), so there only 2.0.0 to 2.0.2 need the TLS library's name.

What no cheap look sees (a half-installed package, a broken dependency) is reported as written
and not read (doctor.net.http.Urllib3Unavailable.sent).
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, Optional, Tuple


def urllib3_likely_loads() -> bool:
    """True unless a cheap look says `import urllib3` would fail here (the module doc)."""
    if "urllib3" in sys.modules:
        return True
    from importlib.machinery import PathFinder

    try:
        spec = PathFinder.find_spec("urllib3")
    except (ImportError, ValueError, OSError):  # a sys.path entry it cannot read
        return False
    if spec is None:
        return False
    version = installed_version(spec.submodule_search_locations)
    if version is not None and (version.startswith("1.") or (sys.version_info >= (3, 10) and not _early_2_0(version))):
        return True
    try:
        import _ssl
    except ImportError:  # no TLS at all: rare enough to leave to the serial path
        return False
    return not refused(version, getattr(_ssl, "OPENSSL_VERSION", ""), tuple(getattr(_ssl, "OPENSSL_VERSION_INFO", ())))


def refused(urllib3_version: Optional[str], ssl_version: str, ssl_version_info: Tuple[int, ...]) -> bool:
    """urllib3's import-time test for this TLS library; an unknown urllib3 (None) is judged
    as the strictest 2.x."""
    if urllib3_version is not None and urllib3_version.startswith("1."):
        return False
    if ssl_version.startswith("OpenSSL "):
        return ssl_version_info[:3] < (1, 1, 1)
    return urllib3_version is None or _early_2_0(urllib3_version)


def _early_2_0(version: str) -> bool:
    """2.0.0a1 to 2.0.2: the releases that refuse every TLS library but OpenSSL."""
    parts = version.split(".")
    if parts[:2] != ["2", "0"] or len(parts) < 3 or not parts[2]:
        return False
    patch = parts[2]
    return patch[0] in "012" and (len(patch) == 1 or not patch[1].isdigit())


def installed_version(locations: Optional[Iterable[str]]) -> Optional[str]:
    """`__version__` from the package's `_version.py` (every urllib3 since 1.25 has one), or None."""
    if not locations:
        return None
    for location in locations:  # a package's spec: its directories (one, unless a namespace package)
        try:
            with open(os.path.join(location, "_version.py"), encoding="utf-8") as source:
                text = source.read(4096)
        except (OSError, UnicodeDecodeError, TypeError):
            continue
        for line in text.splitlines():  # `__version__ = "1.26.18"`, `__version__ = version = '2.8.0'`
            name, equals, _ = line.partition("=")
            if name.partition(":")[0].strip() == "__version__" and equals:
                value = line.rpartition("=")[2].strip()
                if value[:1] in ("'", '"') and value[1:].find(value[0]) > 0:
                    return value[1:1 + value[1:].find(value[0])]
                return None
    return None
