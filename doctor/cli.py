"""The `chat-doctor` command line: Typer wiring only; each command lives in doctor/commands/."""

from __future__ import annotations

from typing import Optional

import typer

from doctor.commands import check, demo, fix, mock_server, pythons, report, smoke

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


def _version_callback(value: bool) -> None:
    if value:
        from doctor import __version__

        typer.echo(f"chat-doctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """chat-doctor: is this environment ready for the chat API?"""


app.command("check")(check.command)
app.command("smoke")(smoke.command)
app.command("demo")(demo.command)
app.command("mock-server")(mock_server.command)
app.command("pythons")(pythons.command)
app.command("report")(report.command)
app.command("fix")(fix.command)


def main() -> None:
    """The `chat-doctor` script: doctor.process owns the streams, the errors and the exit code."""
    import sys

    from doctor import process
    from doctor.probe.interpreters import prestart

    # prestart: the interpreter probe runs while typer and rich load.
    sys.exit(process.run(app, sys.argv, before=prestart))
