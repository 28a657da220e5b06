"""The order probes start in (doctor.probe.discovery.probe_order): an interpreter whose prefix
holds urllib3 runs its real import, the longest probe, so it starts first; the rest keep the
discovery order, and so does the table. Trees made in tmp_path, nothing run."""

from __future__ import annotations

from pathlib import Path

from doctor.probe.discovery import Candidate, has_urllib3, probe_order


def _python(prefix: Path, packages: str = "", version: str = "python3.12") -> str:
    (prefix / "bin").mkdir(parents=True)
    python = prefix / "bin" / "python3"
    python.write_text("")
    if packages:
        (prefix / "lib" / version / packages / "urllib3").mkdir(parents=True)
    return str(python)


def test_urllib3_in_site_packages_or_debians_dist_packages_counts(tmp_path: Path) -> None:
    assert has_urllib3(_python(tmp_path / "a", "site-packages"))
    assert has_urllib3(_python(tmp_path / "b", "dist-packages", version="python3"))
    assert not has_urllib3(_python(tmp_path / "c"))
    assert not has_urllib3(str(tmp_path / "missing" / "bin" / "python3"))


def test_a_venv_is_judged_by_its_own_prefix_and_a_link_by_its_target(tmp_path: Path) -> None:
    base = _python(tmp_path / "base")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python3").symlink_to(base)  # a venv's python links to its base
    (venv / "lib" / "python3.12" / "site-packages" / "urllib3").mkdir(parents=True)
    assert has_urllib3(str(venv / "bin" / "python3")) and not has_urllib3(base)
    linked = tmp_path / "links" / "python3"
    linked.parent.mkdir()
    linked.symlink_to(_python(tmp_path / "with", "site-packages"))
    assert has_urllib3(str(linked))


def test_probe_order_puts_urllib3_first_and_keeps_the_rest_in_order(tmp_path: Path) -> None:
    plain = [Candidate(_python(tmp_path / f"p{n}"), ("PATH",)) for n in range(3)]
    slow = Candidate(_python(tmp_path / "slow", "site-packages"), ("pyenv",))
    ordered = probe_order((plain[0], plain[1], slow, plain[2]))
    assert ordered == (slow, plain[0], plain[1], plain[2])
    assert probe_order(tuple(plain)) == tuple(plain) and probe_order(()) == ()
