"""The `chat-doctor` command line: Typer wiring only; each command lives in doctor/commands/.

Start-up is measured (README "Performance", scripts/bench.py), so nothing here is imported
before it is needed: `main` launches the interpreter probe before typer is even imported,
and the app it runs holds only the command named on the command line (`check` never imports
the smoke test's, the mock server's or the report's modules). `--help`, a mistyped command
and `doctor.cli.app` (the tests' in-process runner) get every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    import typer

# Command name -> its module in doctor/commands/, in --help's order (one line per command).
COMMANDS = {
    "check": "check",
    "smoke": "smoke",
    "demo": "demo",
    "mock-server": "mock_server",
    "pythons": "pythons",
    "report": "report",
    "fix": "fix",
}
_ALL = object()  # build_app's "every command"


def _version_callback(value: bool) -> None:
    if value:
        import typer

        from doctor import __version__

        typer.echo(f"chat-doctor {__version__}")
        raise typer.Exit()


def build_app(only: Any = _ALL) -> typer.Typer:
    """The Typer app with every command, or with only the command `only` (None: no command,
    which is all `--version` needs)."""
    import importlib

    import typer

    app = typer.Typer(
        name="chat-doctor",
        help="Checks that this Python environment can talk to an OpenAI-compatible chat API, "
        "explains why not, and measures time to first token.",
        no_args_is_help=True,
        add_completion=False,
        # Locals may hold the API key: never print them in a traceback.
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: Optional[bool] = typer.Option(
            None, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """chat-doctor: is this environment ready for the chat API?"""

    for name, module in COMMANDS.items():
        if only is _ALL or name == only:
            app.command(name)(importlib.import_module(f"doctor.commands.{module}").command)
    return app


def command_in(argv: Sequence[str]) -> Any:
    """Which commands the app for `argv` needs: the one named first, None for a lone
    `--version`, every command otherwise (--help lists them, a typo gets "did you mean")."""
    args = list(argv[1:])
    if args and args[0] in COMMANDS:
        return args[0]
    if args and all(arg == "--version" for arg in args):
        return None
    return _ALL


_FULL_APP: list[typer.Typer] = []


def __getattr__(name: str) -> Any:
    """`doctor.cli.app`: the app with every command, built on first use (PEP 562)."""
    if name == "app":
        if not _FULL_APP:
            _FULL_APP.append(build_app())
        return _FULL_APP[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The command line run in-process: doctor.process owns the streams, the errors and the exit
    code, which ends it as SystemExit (callers such as scripts/bench_startup.py catch it)."""
    import sys

    sys.exit(_run())


def script() -> None:
    """The `chat-doctor` script and `python -m doctor`: as `main`, then the process ends at once
    (doctor.process.end: atexit handlers run, streams flushed, no module teardown)."""
    from doctor import process

    process.end(_run())


def _run() -> int:
    import sys

    from doctor import process

    argv = list(sys.argv)

    def app(**kwargs: Any) -> Any:  # built inside process.run, after prestart
        return build_app(command_in(argv))(**kwargs)

    return process.run(app, argv, before=_prestart)


def _prestart(argv: Sequence[str]) -> None:
    """What may start before typer is imported: `check`'s GET /models (doctor.commands.check_early),
    then the interpreter probe (another process); both wait while typer, rich and the checks
    load, and both decline whenever argv is not simple enough to be sure of.

    The request first: against a slow endpoint the run cannot end before its answer, so the
    probe's launch (subprocess, tempfile, the spawn: ~30 ms) is better spent while the server
    thinks (scripts/bench.py network). The probe still starts before typer is imported, and
    the command goes on only once both have, so a fast endpoint's run is as long as before."""
    from doctor.commands.check_early import start_early

    start_early(argv)
    from doctor.probe.interpreters import prestart  # only now: its imports (~15 ms) would delay the request

    prestart(argv)
