"""Generate the README's diagnosis-codes table from the registry (doctor/knowledge/codes/).

    python scripts/readme_codes.py          # print the table
    python scripts/readme_codes.py --write  # replace it in README.md between the markers

One row per code, with every (check, status) the registry declares for it (`Diagnosis.where`):
the same pairs `diagnose()` enforces when a check reports the code.

tests/local/test_readme.py fails when README.md and the registry disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- codes:start -->", "<!-- codes:end -->"


def codes_table() -> str:
    sys.path.insert(0, str(ROOT))
    from doctor.knowledge.diagnoses import all_diagnoses

    rows = ["| code | check: status | what it means | fix |", "| --- | --- | --- | --- |"]
    for d in sorted(all_diagnoses(), key=_report_order):
        rows.append(f"| `{d.code}` | {_where(d.where)} | {_cell(d.cause)} | {_cell(d.fix)} |")
    return "\n".join(rows)


def _where(pairs) -> str:  # type: ignore[no-untyped-def]
    """Every check the code appears on with its status there, the checks in the registry's order:
    "`api.auth` warn; `stream.chat` fail", "`config.base_url` fail or warn", "any check: skip"."""
    from doctor.checks import registry

    order = [check.id for check in registry()[0]]
    statuses: dict = {}
    for check, status in sorted(pairs, key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order)):
        statuses.setdefault(check, []).append(status.value)
    return "; ".join(
        f"{'any check' if check == '*' else f'`{check}`'}{':' if check == '*' else ''} {' or '.join(values)}"
        for check, values in statuses.items()
    )


_GROUP_ORDER = ("python", "packages", "config", "net", "api", "stream", "*")


def _report_order(diagnosis) -> tuple:  # type: ignore[no-untyped-def]
    """The order of the report itself: groups as printed, then the codes any check may give."""
    group = diagnosis.check.split(".", 1)[0]
    rank = _GROUP_ORDER.index(group) if group in _GROUP_ORDER else len(_GROUP_ORDER)
    return (rank, diagnosis.check, diagnosis.code)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def replace_block(readme: str, table: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list) -> int:
    table = codes_table()
    if "--write" in argv:
        path = ROOT / "README.md"
        path.write_text(replace_block(path.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
