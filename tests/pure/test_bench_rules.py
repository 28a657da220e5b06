"""The rules of scripts/bench.py's table (the rows, the budgets, the exit code) and of the CLI's
lazy app (which commands a command line needs). Pure: no figure is measured here (speed is
scripts/bench.py's job, not the suite's)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent.parent / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import bench  # noqa: E402  # scripts/ is not a package: importable once on the path
import bench_common as bc  # noqa: E402  # idem


def test_ratio_row_compares_medians_and_spreads_the_pairwise_ratios() -> None:
    row = bc.ratio_row("startup", "check", [0.3, 0.2, 0.4], "ref", [0.1, 0.2, 0.2], budget=1.8)
    assert (row.value, row.reference) == pytest.approx((300.0, 200.0))
    assert row.ratio == pytest.approx(1.5)
    assert (row.low, row.high) == pytest.approx((1.0, 3.0))
    assert row.budget == "<= 1.8x" and row.ok is True


def test_ratio_row_over_budget_is_a_miss_and_without_budget_no_verdict() -> None:
    assert bc.ratio_row("g", "w", [0.4], "ref", [0.2], budget=1.8).ok is False
    assert bc.ratio_row("g", "w", [0.4], "ref", [0.2]).ok is None


def test_value_row_judges_the_median_against_its_own_budget() -> None:
    row = bc.value_row("ttft", "error", [1.0, 9.0, 3.0], unit="ms", reference_label="raw", reference=1.5, budget=5.0)
    assert row.value == 3.0 and row.ratio == 2.0 and row.ok is True
    assert (row.low, row.high) == (1.0, 9.0)
    assert bc.value_row("ttft", "error", [6.0], unit="ms", budget=5.0).ok is False


def test_table_has_one_line_per_row_and_names_a_miss() -> None:
    rows = [bc.ratio_row("startup", "check --offline", [0.4], "requests.help", [0.2], budget=1.8),
            bc.Row("memory", "check", 31.0, "MB")]
    lines = bc.render(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[0].split()[:3] == ["figure", "value", "reference"]
    assert "startup: check --offline" in lines[2] and lines[2].rstrip().endswith("MISS")
    assert lines[3].rstrip().endswith("-")  # no budget, no verdict


def test_json_lists_the_rows_and_the_misses() -> None:
    rows = [bc.ratio_row("pythons", "pythons", [3.0], "slowest probe", [1.0], budget=1.5)]
    document = json.loads(bc.as_json(rows))
    assert document["missed"] == ["pythons: pythons"]
    assert document["rows"][0]["ratio"] == 3.0 and document["rows"][0]["ok"] is False


def test_bench_exits_1_on_a_missed_budget_and_2_on_an_unknown_section(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    miss = bc.ratio_row("g", "w", [2.0], "ref", [1.0], budget=1.5)
    monkeypatch.setattr(bench, "SECTIONS", {"fake": lambda _runs: [miss]})
    assert bench.main(["fake"]) == 1
    assert "MISS" in capsys.readouterr().out
    monkeypatch.setattr(bench, "SECTIONS", {"fake": lambda _runs: [bc.Row("g", "w", 1.0, "")]})
    assert bench.main(["fake", "--json"]) == 0
    with pytest.raises(SystemExit) as exc:
        bench.main(["nonesuch"])
    assert exc.value.code == 2


def test_the_cli_builds_only_the_command_it_runs() -> None:
    from doctor import cli

    assert cli.command_in(["chat-doctor", "check", "--offline"]) == "check"
    assert cli.command_in(["chat-doctor", "--version"]) is None
    everything = cli.command_in(["chat-doctor", "--help"])
    assert cli.command_in(["chat-doctor"]) is everything and cli.command_in(["chat-doctor", "chek"]) is everything
    assert [c.name for c in cli.build_app("pythons").registered_commands] == ["pythons"]
    assert [c.name for c in cli.build_app(None).registered_commands] == []
    assert [c.name for c in cli.app.registered_commands] == list(cli.COMMANDS)
