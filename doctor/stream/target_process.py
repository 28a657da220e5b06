"""The target runner's process (doctor.stream.target_launch): started, fed, read line by line,
bounded in time and output, killed whole.

Started as the interpreter probe is (doctor.probe.interpreters, whose helpers it uses): plain
`python -c` (not -I/-E: the user site-packages and PYTHONPATH are what the app sees), the user's
environment plus the key variable, an empty temporary working directory (a stray openai.py there
would shadow the real one), its own process group (killed whole), stdin fed by a thread, stdout
and stderr drained by capped readers. Unlike the probe, stdout is split into lines as it arrives,
so the caller can print the reply live; one line longer than LINE_CAP is a flood too.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable, List, Mapping, Optional

from doctor.probe.interpreters import CappedReader, feed_stdin, kill_group, output_excerpt, target_env
from doctor.stream.budget import EVENT_BYTES
from doctor.stream.target_runner import NAMESPACE

# One event may carry EVENT_BYTES of text, JSON-escaped up to 6 bytes a character, plus its fields.
LINE_CAP = 6 * EVENT_BYTES + 64 * 1024
_POLL_S = 0.1  # how often the reading loop looks at the clock while no line arrives

# Any Python from 2.7 on runs this: a too-old one answers with its version instead of failing on
# the runner's syntax; a supported one execs the runner's files in one namespace and runs main.
BOOTSTRAP = r"""
import sys, json
if sys.version_info < (3, 8):
    import platform
    sys.stdout.write(json.dumps({"event": "too_old", "python": platform.python_version()}) + "\n")
else:
    payload = json.loads(sys.stdin.read())
    namespace = {"__name__": %r}
    for name, source in payload["sources"]:
        exec(compile(source, "<chat-doctor " + name + ">", "exec"), namespace)
    namespace["main"](payload["job"])
""" % (NAMESPACE,)  # noqa: UP031  # Python source for 2.7: %r keeps its braces plain


class _Lines:
    """CappedReader's sink: complete lines go to the queue; an endless line, or more lines than
    the runner can have events, kills the group (the queue never holds more than that)."""

    def __init__(self, lines: queue.Queue) -> None:
        self.lines = lines
        self.partial: List[bytes] = []
        self.size = 0
        self.count = 0
        self.max_lines = 0
        self.proc: Any = None
        self.flooded: Optional[str] = None  # "line" (one too long) or "lines" (too many)

    def feed(self, data: bytes) -> None:
        if self.flooded:
            return
        *complete, rest = data.split(b"\n")
        for piece in complete:
            self.count += 1
            if self.count > self.max_lines:
                self._flood("lines")
                return
            self.lines.put(b"".join(self.partial) + piece)
            self.partial, self.size = [], 0
        if rest:
            self.partial.append(rest)
            self.size += len(rest)
            if self.size > LINE_CAP:
                self._flood("line")

    def _flood(self, how: str) -> None:
        self.flooded = how
        self.partial = []
        kill_group(self.proc, signal)

    def rest(self) -> Optional[bytes]:
        return b"".join(self.partial) if self.partial and not self.flooded else None


class RunnerProcess:
    """One runner process; `start` never raises for a target that cannot run (see `error`)."""

    def __init__(self, error: Optional[str]) -> None:
        self.error = error
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.returncode: Optional[int] = None
        self.flooded_stream = "stdout"
        self.flood_cap = 0
        self._lines: queue.Queue = queue.Queue()
        self._sink = _Lines(self._lines)
        self._readers: List[CappedReader] = []
        self._empty_dir: Any = None

    @classmethod
    def start(cls, python: str, env: Mapping[str, str], key: Optional[str], key_variable: str, stdin: bytes,
              cap: int, stderr_cap: int, max_lines: int) -> RunnerProcess:
        child = target_env(dict(env))
        child.pop(key_variable, None)
        if key:
            child[key_variable] = key
        empty_dir = tempfile.TemporaryDirectory(prefix="chat-doctor-runner-")
        try:
            proc = subprocess.Popen([python, "-c", BOOTSTRAP], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, cwd=empty_dir.name, env=child, start_new_session=True)
        except OSError as exc:
            empty_dir.cleanup()
            return cls(str(exc.strerror or exc))
        running = cls(None)
        running.proc, running._empty_dir, running._sink.proc, running.flood_cap = proc, empty_dir, proc, cap
        running._sink.max_lines = max_lines
        running._readers = [CappedReader(proc, proc.stdout, "stdout", cap=cap, sink=running._sink.feed),
                            CappedReader(proc, proc.stderr, "stderr", cap=stderr_cap)]
        threading.Thread(target=feed_stdin, args=(proc, stdin), daemon=True).start()
        return running

    def pump(self, on_line: Callable[[bytes], None], done: Callable[[], bool], deadline: float, grace_s: float) -> str:
        """Hand every stdout line to `on_line` until stdout ends, `done()` has held for `grace_s`,
        or `deadline` (time.monotonic) passes; returns "exited", "hung" or "flooded"."""
        proc = self.proc
        assert proc is not None  # start() succeeded
        out = self._readers[0]
        done_at: Optional[float] = None
        ended = "exited"
        try:
            while True:
                now = time.monotonic()
                if done_at is None and done():
                    done_at = now
                stop = deadline if done_at is None else min(deadline, done_at + grace_s)
                if now >= stop:
                    ended = "hung" if done_at is None else "exited"
                    break
                try:
                    line = self._lines.get(timeout=min(_POLL_S, stop - now))
                except queue.Empty:
                    if not out.thread.is_alive() and self._lines.empty():
                        break
                    continue
                on_line(line)
            if self._finish(proc, stop, on_line) and done_at is None:
                ended = "hung"  # stdout closed, but the process went on without finishing
        finally:
            self._empty_dir.cleanup()
        flood = next((reader for reader in self._readers if reader.overflowed), None)
        if self._sink.flooded == "lines":
            self.flooded_stream, self.flood_cap = "lines", self._sink.max_lines
        elif flood is not None or self._sink.flooded:
            self.flooded_stream = flood.name if flood is not None else "stdout"
            self.flood_cap = flood.cap if flood is not None else LINE_CAP
        else:
            return ended
        return "flooded"

    def _finish(self, proc: subprocess.Popen[bytes], stop: float, on_line: Callable[[bytes], None]) -> bool:
        """Let it exit until `stop`, then kill the group (True); the lines already written still count."""
        killed = False
        try:
            proc.wait(timeout=max(0.05, stop - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_group(proc, signal)
            killed = True
        for reader in self._readers:
            reader.thread.join(timeout=1.0)
        while not self._lines.empty():
            on_line(self._lines.get_nowait())
        rest = self._sink.rest()
        if rest:
            on_line(rest)
        self.returncode = proc.poll()
        return killed

    def stderr_excerpt(self) -> str:
        if len(self._readers) < 2:
            return ""
        return output_excerpt(self._readers[1].data().decode("utf-8", "replace"))

