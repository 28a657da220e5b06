"""What a TLS library string says: which library, which release. Pure, string in, data out.

`ssl.OPENSSL_VERSION_INFO` cannot be used for this: it is (2, 0, 0, 0, 0) for every LibreSSL,
so the library and its release are read from the string (`ssl.OPENSSL_VERSION`). The one copy
of the rule: the `python.ssl` check and `chat-doctor pythons` both read it from here.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

Release = Tuple[int, int, int]

# OpenSSL 3.0 is the oldest line still supported upstream (1.1.1 ended in September 2023).
MODERN_OPENSSL: Release = (3, 0, 0)


def parse_tls_library(version_string: Optional[str]) -> Tuple[str, Optional[Release], str]:
    """'OpenSSL 1.0.2k-fips  26 Jan 2017' -> ("OpenSSL", (1, 0, 2), "1.0.2k-fips")."""
    if not version_string:
        return ("unknown", None, "")
    parts = version_string.split()
    library = parts[0] if parts else "unknown"
    release = parts[1] if len(parts) > 1 else ""
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", release)
    numbers = (int(found.group(1)), int(found.group(2)), int(found.group(3))) if found else None
    return (library, numbers, release)


def is_modern_openssl(version_string: Optional[str]) -> bool:
    """OpenSSL 3.0 or newer (LibreSSL, BoringSSL and older OpenSSL are not)."""
    library, numbers, _ = parse_tls_library(version_string)
    return library == "OpenSSL" and numbers is not None and numbers >= MODERN_OPENSSL
