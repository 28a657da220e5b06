"""A child process's pipes, without a thread more than needed: its stdin fed, its stdout and
stderr drained with a cap, its process group killed whole; one excerpt of what it printed.

The interpreter probe (doctor.probe.interpreters) and the target runner (doctor.stream.
target_process) both start Pythons this way. `chat-doctor pythons` starts ten or more probes
at once, most before typer loads, on machines with two cores: each thread started costs the
launching thread a wait for the new one to run, so the probe writes its source at once when the
pipe can take it (`feed_at_once`) and drains both outputs in one thread (`PipeDrain`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import subprocess
    import threading

# The probe's answer is 9 to 45 KB (a stock CPython, a Python with a hundred distributions);
# past this per stream the target is not answering but flooding (`exec cat /dev/zero`), and
# reading on would grow chat-doctor's memory without bound.
PROBE_OUTPUT_CAP = 1024 * 1024


class CappedReader:
    """Drains one pipe of a process in a thread, keeping at most `cap` bytes; past that it kills
    the process group at once (the flood stops where it is made, not at the deadline) and marks
    itself `overflowed`. With a `sink`, each piece read goes there instead of being kept (a
    reader that parses as the output arrives: doctor.stream.target_launch)."""

    _CHUNK = 64 * 1024

    def __init__(self, proc: subprocess.Popen[bytes], stream: Any, name: str, cap: int = PROBE_OUTPUT_CAP,
                 sink: Callable[[bytes], None] | None = None) -> None:
        import threading

        self.proc, self.stream, self.name, self.cap, self.sink = proc, stream, name, cap, sink
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = False
        self.thread = threading.Thread(target=self._drain, name=f"capped {name}", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        import signal

        try:
            while True:
                chunk = self.stream.read1(self._CHUNK) if hasattr(self.stream, "read1") else self.stream.read(self._CHUNK)
                if not chunk:
                    return
                if self.size + len(chunk) > self.cap:
                    self.overflowed = True
                    kill_group(self.proc, signal)
                    return
                self.size += len(chunk)
                if self.sink is not None:
                    self.sink(chunk)
                else:
                    self.chunks.append(chunk)
        except (OSError, ValueError):  # the pipe was closed under us: keep what was read
            return
        finally:
            try:
                self.stream.close()
            except (OSError, ValueError):
                pass

    def data(self) -> bytes:
        return b"".join(self.chunks)


class PipeDrain:
    """Drains a process's stdout and stderr in one thread (a poll loop), keeping at most `cap`
    bytes of each; past that it kills the process group at once and names the stream in
    `overflowed`. `thread` ends when both pipes are at end of file (or after the kill)."""

    _CHUNK = 64 * 1024
    NAMES = ("stdout", "stderr")

    def __init__(self, proc: subprocess.Popen[bytes], cap: int = PROBE_OUTPUT_CAP) -> None:
        import threading

        self.proc, self.cap = proc, cap
        self.chunks: dict[str, list[bytes]] = {name: [] for name in self.NAMES}
        self.overflowed = ""
        # select() takes only sockets on Windows: there each pipe gets its CappedReader.
        self.readers = [CappedReader(proc, getattr(proc, name), name, cap=cap) for name in self.NAMES] \
            if os.name != "posix" else []
        target = self._wait_readers if self.readers else self._drain
        self.thread = threading.Thread(target=target, name="pipes", daemon=True)
        self.thread.start()

    def _wait_readers(self) -> None:
        for reader in self.readers:
            reader.thread.join()
            if reader.overflowed:
                self.overflowed = self.overflowed or reader.name
            self.chunks[reader.name] = reader.chunks

    def _drain(self) -> None:
        import selectors
        import signal

        streams = {name: getattr(self.proc, name) for name in self.NAMES}
        sizes = dict.fromkeys(self.NAMES, 0)
        try:
            with selectors.DefaultSelector() as selector:
                for name, stream in streams.items():
                    if stream is not None:
                        selector.register(stream.fileno(), selectors.EVENT_READ, name)
                while selector.get_map():
                    for key, _ in selector.select():
                        chunk = os.read(key.fd, self._CHUNK)
                        if not chunk:
                            selector.unregister(key.fd)
                            continue
                        if sizes[key.data] + len(chunk) > self.cap:
                            self.overflowed = key.data
                            kill_group(self.proc, signal)
                            return
                        sizes[key.data] += len(chunk)
                        self.chunks[key.data].append(chunk)
        except (OSError, ValueError):  # a pipe closed under us: keep what was read
            return
        finally:
            for stream in streams.values():
                try:
                    if stream is not None:
                        stream.close()
                except (OSError, ValueError):
                    pass

    def data(self, name: str) -> bytes:
        return b"".join(self.chunks[name])


def feed_stdin(proc: subprocess.Popen[bytes], source: bytes) -> None:
    """Write the probe to the target's stdin; a target that closes it early is judged by its output."""
    stdin = proc.stdin
    if stdin is None:  # never: the probe is always started with stdin=PIPE
        return
    try:
        stdin.write(source)
        stdin.close()
    except (OSError, ValueError):  # BrokenPipeError: not a Python (e.g. /bin/true) or it died
        try:
            stdin.close()
        except (OSError, ValueError):
            pass
    proc.stdin = None  # wait() and abandon() must not touch the closed pipe again


def feed_at_once(proc: subprocess.Popen[bytes], source: bytes) -> threading.Thread | None:
    """Write `source` to the process's stdin now, without blocking: it usually fits in the pipe
    (64 KiB on Linux), and then no thread is needed. What does not fit is fed by a thread,
    returned so the caller can wait for it; None when all is written (or the target closed it)."""
    stdin = proc.stdin
    if stdin is None:
        return None
    try:
        fd = stdin.fileno()
        os.set_blocking(fd, False)
    except (OSError, ValueError):  # no non-blocking pipes here (Windows before 3.12): all by thread
        fd, written = -1, 0
    else:
        try:
            written = os.write(fd, source)
        except BlockingIOError:  # a pipe that takes nothing yet
            written = 0
        except OSError:  # BrokenPipeError: not a Python, or it died; judged by its output
            written = len(source)
        finally:
            _blocking_again(fd)
    if written >= len(source):
        try:
            stdin.close()
        except (OSError, ValueError):
            pass
        proc.stdin = None
        return None
    import threading

    feeder = threading.Thread(target=feed_stdin, args=(proc, source[written:]), daemon=True)
    feeder.start()
    return feeder


def _blocking_again(fd: int) -> None:
    try:
        os.set_blocking(fd, True)  # the feeder thread, if any, writes the rest blocking
    except OSError:
        pass


def kill_group(proc: subprocess.Popen[bytes], signal: Any) -> None:
    import subprocess  # loaded already by the caller that started `proc`

    killpg = getattr(os, "killpg", None)  # POSIX only; elsewhere kill the process itself
    try:
        if killpg is None:
            raise OSError("no process groups")
        killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # a zombie we cannot reap must not hang the report
        pass


def output_excerpt(text: str, limit: int = 300) -> str:
    """A one-line summary of an output: its first line (what failed: a pyenv shim's "pyenv:
    python3.8: command not found") and its last two (how it ended: a traceback's exception),
    shortened at a word boundary, never mid-word."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    picked = lines if len(lines) <= 3 else [lines[0], "…", *lines[-2:]]
    from doctor.words import shorten

    return shorten(" | ".join(picked), limit)
