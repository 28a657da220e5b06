"""The installed CLI on a real pseudo-terminal: what a user sees in a terminal window."""

from __future__ import annotations

import os
import re
import select
import subprocess

from tests.support.helpers import CHAT_DOCTOR

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_pty(args: list, env: dict, columns: int) -> bytes:
    """The installed CLI with stdout and stderr on a pseudo-terminal `columns` wide: what a
    user sees in a real terminal window, escape codes and all."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "FORCE_COLOR")}
    full_env.update({"TERM": "xterm-256color", **env})
    proc = subprocess.Popen([CHAT_DOCTOR, *args], stdin=slave, stdout=slave, stderr=slave, env=full_env,
                            close_fds=True)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 60 s: " + out.decode(errors="replace")[-500:])
        try:
            piece = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not piece:
            break
        out += piece
    proc.wait(timeout=30)
    os.close(master)
    return out


def screen_lines(raw: bytes) -> list:
    """The lines as they stay on screen: escape codes removed, a line redrawn after `\\r` (the
    spinner) keeps its last version."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    return [_ANSI.sub("", line.split("\r")[-1]) for line in text.split("\n")]
