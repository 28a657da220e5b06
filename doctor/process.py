"""The process around a command: its standard streams, its last-resort errors, its exit code.

`run` is what the `chat-doctor` script does. It makes three promises whatever happens outside
the checks (README, "Exit codes"):

- Output that cannot be written never raises. stdout and stderr are replaced by writers that
  keep the first failure and drop what follows, so the checks run to the end and the report
  still decides the exit code. A reader that went away (`| head -1`) ends the run quietly with
  the report's own code; a report that could not be delivered (stdout closed, disk full) is
  one line on stderr and exit 3, never 0, so CI cannot mistake a lost report for a pass.
- Characters the terminal's encoding cannot show (`PYTHONIOENCODING=ascii`) are written as
  plain ASCII (`…` as `...`), never a UnicodeEncodeError.
- Every error is one line on stderr: click's usage errors (exit 2, its "did you mean" kept),
  Ctrl-C (exit 130), anything unexpected (exit 3, the traceback only with -v).
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import select
import sys
import unicodedata
from typing import Any, Callable, NoReturn, Optional, Sequence

PROG = "chat-doctor"
NOT_DELIVERED = 3  # as doctor.model.ExitCode.CHECK_ERROR: something broke, and it is not the setup
UNEXPECTED = 3
INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

# The reader went away: not an error of the run, the report's exit code stands.
_READER_GONE = (errno.EPIPE, errno.ECONNRESET)

# --- plain ASCII for encodings that cannot show what the console prints ----------------------

_ASCII_FORMS = {
    "…": "...", "✓": "ok", "✗": "x", "○": "o", "●": "*", "☠": "!", "·": "-", "•": "*",
    "—": "-", "–": "-", "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "±": "+/-", "×": "x",
    "“": '"', "”": '"', "‘": "'", "’": "'", "µ": "u", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o",
}
_ERRORS = "chat-doctor-ascii"


def _ascii_form(char: str) -> str:
    known = _ASCII_FORMS.get(char)
    if known is not None:
        return known
    # é -> e; anything without an ASCII base letter becomes "?".
    base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return base or "?"


def _encode_error(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_ascii_form(c) for c in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_ERRORS, _encode_error)


# --- standard streams that never raise --------------------------------------------------------


class _Sink(io.RawIOBase):
    """Writes to a file descriptor; the first failure is kept and later output is dropped.

    After a failure the descriptor is pointed at /dev/null, so nothing else that writes to
    it (the interpreter's final flush, a C library, a child process) fails again; that is
    what would otherwise print "Exception ignored ... BrokenPipeError" at shutdown.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.failure: Optional[OSError] = None

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        try:
            return os.isatty(self._fd)
        except OSError:
            return False

    def write(self, data: Any) -> int:
        size = len(memoryview(data))
        while self.failure is None:
            try:
                return os.write(self._fd, data)
            except BlockingIOError:  # a non-blocking stdout that is full: wait, it is not lost
                select.select([], [self._fd], [], 1.0)
            except OSError as exc:
                self.failure = exc
                _point_at_devnull(self._fd)
        return size

    @property
    def reader_gone(self) -> bool:
        return self.failure is not None and self.failure.errno in _READER_GONE


def _point_at_devnull(fd: int, flags: int = os.O_WRONLY) -> None:
    try:
        null = os.open(os.devnull, flags)
    except OSError:
        return
    if null != fd:  # a closed descriptor may have been reused by the open itself
        os.dup2(null, fd)
        os.close(null)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _guarded(stream: Any, fd: int) -> tuple[io.TextIOWrapper, _Sink]:
    sink = _Sink(fd)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    wrapper = io.TextIOWrapper(
        io.BufferedWriter(sink),
        encoding=encoding,
        errors=_ERRORS,
        line_buffering=bool(getattr(stream, "line_buffering", False)),
    )
    return wrapper, sink


class Streams:
    """The guarded stdout and stderr of this process (see `guard_streams`)."""

    def __init__(self, stdout_sink: Optional[_Sink], stdout_closed: bool) -> None:
        self.stdout_sink = stdout_sink  # stderr's failures are not kept: there is nowhere to tell them
        self.stdout_closed = stdout_closed

    def undelivered(self) -> Optional[str]:
        """Why the output on stdout was lost, or None when it was written (or its reader left)."""
        sink = self.stdout_sink
        if sink is None or sink.failure is None or sink.reader_gone:
            return None
        return sink.failure.strerror or type(sink.failure).__name__


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # an original stream that fails, or was closed: nothing to save
            pass


def guard_streams() -> Streams:
    """Replace sys.stdout and sys.stderr with writers that never raise (see the module doc).

    A standard descriptor that was closed (`>&-`) is opened on /dev/null first: otherwise the
    next file or socket the process opens would get that number, and output meant for the
    terminal would land in it.
    """
    if sys.platform == "win32":
        # A Windows console is not a byte stream (WindowsConsoleIO): keep the streams there and
        # only spell out what their encoding cannot show.
        for stream in (sys.stdout, sys.stderr):
            if stream is not None and hasattr(stream, "reconfigure"):
                stream.reconfigure(errors=_ERRORS)
        return Streams(None, stdout_closed=sys.stdout is None)
    stdout_closed = not _is_open(1)
    for fd in (0, 1, 2):
        if not _is_open(fd):
            _point_at_devnull(fd, os.O_RDONLY if fd == 0 else os.O_WRONLY)
    _flush_standard_streams()  # anything already written goes out before the swap
    sys.stdout, stdout_sink = _guarded(sys.stdout, 1)
    sys.stderr, _ = _guarded(sys.stderr, 2)
    return Streams(stdout_sink, stdout_closed)


def say(message: str) -> None:
    """One line on stderr (which may itself be gone: then nothing). The message may quote a
    flag's value or an exception: its control characters are shown escaped (doctor.render.inert)."""
    from doctor.render.inert import inert

    line = inert(" ".join(message.split()))
    try:
        sys.stderr.write(f"{line}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


# --- the run ----------------------------------------------------------------------------------


def run(app: Callable[..., Any], argv: Sequence[str],
        before: Callable[[Sequence[str]], None] = lambda _argv: None) -> int:
    """Run the Typer `app` on `argv` as the `chat-doctor` process; returns the exit code.

    `before(argv)` runs first, inside the same error handling (cli.main: the probe's prestart)."""
    streams = guard_streams()
    if streams.stdout_closed:
        # Nothing the command prints could reach anyone: say so at once instead of working
        # for a minute to produce a report that is thrown away.
        say(f"{PROG}: error: stdout is closed, so the report cannot be written; "
            "redirect it to a file or to /dev/null instead")
        return NOT_DELIVERED
    try:
        before(argv)
        code = _invoke(app, argv)
    except KeyboardInterrupt:
        code = INTERRUPTED
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except Exception as exc:  # noqa: BLE001  # the last resort: one line, never a traceback dump
        code = _unexpected(exc, argv)
    _flush_standard_streams()
    lost = streams.undelivered()
    if lost is not None:
        say(f"{PROG}: error: the report could not be written to stdout ({lost})")
        return NOT_DELIVERED
    return code


def end(code: int) -> NoReturn:
    """Leave the process with `code` once `run` returned, skipping the interpreter's teardown.

    Finalising the ~400 modules a `check` loads (and the garbage collection that comes with it)
    costs about 0.1 s after the report is out (scripts/bench.py network). os._exit skips exactly
    that, and nothing else that matters, because by then:
    - every output file is closed: doctor only writes files inside `with` blocks
      (doctor/commands/ci.py, svg.py; output_path closes its descriptor), and the standard
      streams, guarded or original, are flushed below;
    - the atexit handlers have run, here: they kill a prestarted probe nobody used
      (doctor.probe.interpreters), remove weakref.finalize'd temporary files, shut logging;
    - no thread is left that the interpreter would wait for: with a non-daemon thread alive
      (its work is not known to be over) this falls back to sys.exit and the usual teardown;
      daemon threads (a dropped head start) would be stopped mid-way by either;
    - the exit code is the same number sys.exit would give the shell.
    Not on Windows, where the streams are the console's own and this is not measured."""
    import atexit
    import threading

    main = threading.main_thread()
    if sys.platform == "win32" or any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()  # the handlers sys.exit would run; they are removed as they run
    _flush_standard_streams()
    for stream in (sys.__stdout__, sys.__stderr__):  # what went to the originals before the swap
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code % 256)  # what the shell sees of sys.exit(code) too (-1 is 255)


def _invoke(app: Callable[..., Any], argv: Sequence[str]) -> int:
    """Run typer without its own error handling, and give each outcome its one line and code."""
    import typer

    click_exception, help_error = _click_exceptions()
    try:
        returned = app(args=list(argv[1:]), prog_name=PROG, standalone_mode=False)
    except typer.Abort as exc:
        # Older typer turns Ctrl-C into Abort; newer into Exit(130), returned below.
        if isinstance(exc.__cause__, KeyboardInterrupt) or isinstance(exc.__context__, KeyboardInterrupt):
            return INTERRUPTED
        say(f"{PROG}: aborted")
        return 1
    except click_exception as exc:
        return _click_error(exc, help_error)
    return _exit_status(returned)


def _click_exceptions() -> tuple[type[Exception], Any]:
    """click's ClickException and NoArgsIsHelpError (None in click < 8.2), found through typer's
    public BadParameter: newer typer carries its own copy of click, older ones use click itself."""
    import typer

    base: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    return base, getattr(sys.modules[base.__module__], "NoArgsIsHelpError", None)


def _click_error(exc: Any, help_error: Any) -> int:  # help_error: click's NoArgsIsHelpError, or None
    if help_error is not None and isinstance(exc, help_error):
        # Bare `chat-doctor`: typer has already printed the help (rich prints as it formats).
        text = exc.format_message()
        if text.strip():
            sys.stdout.write(text.rstrip("\n") + "\n")
        return int(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", None) or PROG
    say(f"{where}: error: {exc.format_message()}")
    return int(exc.exit_code)


def _exit_status(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    say(str(value))
    return 1


def _unexpected(exc: BaseException, argv: Sequence[str]) -> int:
    from doctor.render.inert import inert

    scrub = _scrubber()
    if _verbose(argv):
        import traceback  # only here: loading it (~5 ms) at start would delay every run

        # An exception's message may quote a flag's value or a server's text: escaped like `say`.
        for line in traceback.format_exception(type(exc), exc, exc.__traceback__):
            sys.stderr.write(inert(scrub(line), keep_newlines=True))
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    hint = "" if _verbose(argv) else " (run with -v for the traceback)"
    say(scrub(f"{PROG}: error: unexpected {detail}{hint}"))
    return UNEXPECTED


def _scrubber() -> Callable[[str], str]:
    """Tracebacks and messages may quote a key (a header value, a URL): redact like a report."""
    from doctor.redact import Redactor

    try:
        from doctor.credentials import redactor_for
        from doctor.settings import working_directory

        return redactor_for(dict(os.environ), working_directory()).text
    except Exception:  # noqa: BLE001  # what broke may be this very machinery: the variables at least
        return Redactor.from_env(dict(os.environ)).text


def _verbose(argv: Sequence[str]) -> bool:
    """-v/--verbose anywhere before `--`, alone or in a cluster of flags (`-qv`).

    Read from argv rather than from the parsed options: the exception may come before or
    during parsing.
    """
    for arg in argv[1:]:
        if arg == "--":
            return False
        if arg == "--verbose" or (arg.startswith("-") and not arg.startswith("--") and "v" in arg
                                  and set(arg[1:]) <= {"v", "q"}):
            return True
    return False
