"""`--only` and `--skip`: the group names (doctor.session.GROUPS) are the registry's, parsed from
commas or repeated flags, and the selection is --only first, then minus --skip."""

from __future__ import annotations

import pytest

from doctor.session import GROUPS, group_names, select_groups
from doctor.settings import UsageError


def test_the_groups_are_the_registrys_in_printed_order() -> None:
    from doctor.checks import registry

    checks, _ = registry()
    assert tuple(dict.fromkeys(check.id.split(".", 1)[0] for check in checks)) == GROUPS


def test_the_help_lists_the_same_groups() -> None:
    from doctor.commands import options

    assert options.GROUP_LIST == ", ".join(GROUPS)


def test_names_come_from_commas_and_repeats_in_order_once() -> None:
    assert group_names(["net,api", "python"]) == ("net", "api", "python")
    assert group_names([" net , net,", "api"]) == ("net", "api")
    assert group_names([","]) == ()


def test_an_unknown_group_names_the_groups_there_are() -> None:
    with pytest.raises(UsageError) as caught:
        group_names(["python,network"])
    assert str(caught.value) == "unknown group 'network'; the groups are python, packages, config, net, api, stream"


def test_only_then_skip_in_the_commands_order() -> None:
    candidates = ("python", "packages", "config", "net", "api")
    assert select_groups(candidates) == candidates
    assert select_groups(candidates, only=("api", "python")) == ("python", "api")
    assert select_groups(candidates, skip=("net", "api")) == ("python", "packages", "config")
    assert select_groups(candidates, only=("net", "api"), skip=("net",)) == ("api",)
    assert select_groups(candidates, only=("stream",)) == ()  # not a candidate: nothing
