from tests.support.helpers import run_cli, run_subprocess


def test_version_in_process_and_as_process() -> None:
    assert run_cli(["--version"]).stdout.strip() == "chat-doctor 0.1.0"
    proc = run_subprocess(["--version"])
    assert proc.exit_code == 0 and proc.stdout.strip() == "chat-doctor 0.1.0"
