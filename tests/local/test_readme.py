"""The README stays true: its codes table is the registry's, its commands exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from tests.support.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_codes_table_matches_the_registry() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import readme_codes

    expected = readme_codes.replace_block(README, readme_codes.codes_table())
    assert README == expected, "README codes table is stale: run `python scripts/readme_codes.py --write`"


def test_every_registered_code_has_a_readme_row() -> None:
    from doctor.knowledge.diagnoses import all_diagnoses

    for diagnosis in all_diagnoses():
        assert f"| `{diagnosis.code}` |" in README, diagnosis.code


def test_quick_start_commands_are_the_real_entry_points() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    assert blocks[0].strip().endswith("chat-doctor demo")
    assert blocks[1].strip() == "scripts/test"
    ci = (REPO / ".ci" / "run").read_text()
    assert "scripts/test" in ci


def test_documented_commands_exist() -> None:
    help_text = subprocess.run(
        [str(Path(sys.executable).with_name("chat-doctor")), "--help"], capture_output=True, text=True, env={"COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    ).stdout
    for command in re.findall(r"\| `chat-doctor ([a-z-]+)`", README):
        assert command in help_text, command
