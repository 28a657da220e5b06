"""Whether a file chat-doctor writes at the end of a run (`--junit`, `--save-svg`) can be written,
decided before the run so a bad path is a usage error (exit 2) and not a lost result.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Optional


def unwritable(path: Path) -> Optional[str]:
    """Why `path` cannot be written, or None.

    Found by opening it the way writing will (for appending, so an existing file is not
    truncated before the run has anything to put in it), which answers for permissions,
    read-only mounts, missing directories and ACLs alike; a file this creates is removed again.
    """
    if path.is_dir():
        return "is a directory"
    existed = os.path.lexists(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        if exc.errno == errno.ENOENT and not path.parent.is_dir():
            return f"no such directory: {path.parent}"
        return f"cannot be written ({exc.strerror or exc})"
    os.close(fd)
    if not existed:
        try:
            os.unlink(path)
        except OSError:
            pass  # an empty file where the output will be written anyway
    return None
