"""The installed CLI on a real pseudo-terminal: what a user sees in a terminal window."""

from __future__ import annotations

import os
import re
import select
import subprocess
from typing import Optional, Tuple

from tests.support.helpers import CHAT_DOCTOR

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_pty(args: list, env: dict, columns: int) -> bytes:
    """The installed CLI with stdout and stderr on a pseudo-terminal `columns` wide: what a
    user sees in a real terminal window, escape codes and all."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "FORCE_COLOR")}
    full_env.update({"TERM": "xterm-256color", **env})
    return pty_session(args, full_env, columns)[1]


def pty_session(args: list, full_env: dict, columns: int = 80, *, prompt: Optional[bytes] = None,
                answer: bytes = b"", quiet_s: float = 60) -> Tuple[int, bytes]:
    """(exit code, everything written) of the installed CLI on a pseudo-terminal (stdin too) with
    exactly `full_env`; `answer` is typed once, when `prompt` has appeared. Fails the test when
    nothing is written for `quiet_s`."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([CHAT_DOCTOR, *args], stdin=slave, stdout=slave, stderr=slave, env=full_env,
                            close_fds=True)
    os.close(slave)
    out, answered = b"", prompt is None
    while True:
        ready, _, _ = select.select([master], [], [], quiet_s)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output for {quiet_s:.0f} s: " + out.decode(errors="replace")[-800:])
        try:
            piece = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not piece:
            break
        out += piece
        if not answered and prompt is not None and prompt in out:
            os.write(master, answer)
            answered = True
    code = proc.wait(timeout=60)
    os.close(master)
    return code, out


def screen_lines(raw: bytes) -> list:
    """The lines as they stay on screen: escape codes removed, a line redrawn after `\\r` (the
    spinner) keeps its last version."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    return [_ANSI.sub("", line.split("\r")[-1]) for line in text.split("\n")]
