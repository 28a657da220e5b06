"""doctor.fix.choose_urllib3: which urllib3 change fixes its TLS check, and when a pin is refused."""

from __future__ import annotations

from doctor.fix.choose_urllib3 import IMPORT_ERROR_CODE, WARNING_CODE, choose
from tests.support.facts import LIBRESSL, OPENSSL_3, OPENSSL_102, make_facts

REQUESTS = ("requests", "2.32.5", ["urllib3<3,>=1.21.1", "idna<4,>=2.5"])
NEEDS_V2 = ("botocore", "1.40.0", ["urllib3!=2.2.0,<3,>=1.25.4; python_version >= '3.10'", "urllib3>=2.0.0"])


def test_old_openssl_pins_1_26() -> None:
    choice = choose(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=[REQUESTS]), IMPORT_ERROR_CODE)
    assert choice.requirement == "urllib3<2"
    assert "older than 1.1.1" in choice.why and choice.blockers == ()


def test_old_openssl_refuses_a_pin_that_breaks_a_package_and_names_it() -> None:
    choice = choose(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=[REQUESTS, NEEDS_V2]), IMPORT_ERROR_CODE)
    assert choice.requirement is None
    assert choice.blockers == (("botocore", ">=2.0.0"),)
    assert "botocore (needs urllib3>=2.0.0)" in choice.why


def test_libressl_under_2_0_2_upgrades_to_a_release_that_only_warns_keeping_requirers_specifiers() -> None:
    choice = choose(make_facts("3.11.7", LIBRESSL, "2.0.2", dists=[REQUESTS]), IMPORT_ERROR_CODE)
    assert choice.requirement is not None
    assert ">=2.0.3" in choice.requirement and "<3" in choice.requirement and choice.requirement.startswith("urllib3")
    assert "only warn" in choice.why


def test_libressl_under_2_0_2_with_an_upper_bound_below_2_0_3_pins_instead() -> None:
    capped = ("oldlib", "1.0", ["urllib3<2.0.3"])
    choice = choose(make_facts("3.11.7", LIBRESSL, "2.0.2", dists=[capped]), IMPORT_ERROR_CODE)
    assert choice.requirement == "urllib3<2"


def test_libressl_with_filters_making_the_warning_fatal_pins_rather_than_upgrading() -> None:
    fatal = {"urllib3 v2.0": "error", "urllib3 v2": "error"}
    two_o_two = choose(make_facts("3.11.7", LIBRESSL, "2.0.2", actions=fatal), IMPORT_ERROR_CODE)
    assert two_o_two.requirement == "urllib3<2"
    current = choose(make_facts("3.11.7", LIBRESSL, "2.6.3", actions=fatal), IMPORT_ERROR_CODE)
    assert current.requirement == "urllib3<2" and "warning filters" in current.why


def test_the_warning_alone_changes_nothing_unless_a_pin_is_asked_for() -> None:
    facts = make_facts("3.11.7", LIBRESSL, "2.6.3", dists=[REQUESTS])
    untouched = choose(facts, WARNING_CODE)
    assert untouched.requirement is None
    assert "silence" in untouched.why and "--pin-urllib3" in untouched.why and "OpenSSL" in untouched.why
    assert choose(facts, WARNING_CODE, pin_requested=True).requirement == "urllib3<2"


def test_a_requested_pin_is_still_refused_when_it_breaks_a_package() -> None:
    facts = make_facts("3.11.7", LIBRESSL, "2.6.3", dists=[NEEDS_V2])
    choice = choose(facts, WARNING_CODE, pin_requested=True)
    assert choice.requirement is None and choice.blockers == (("botocore", ">=2.0.0"),)


def test_nothing_installed_changes_nothing() -> None:
    choice = choose(make_facts("3.8.18", OPENSSL_102, None), IMPORT_ERROR_CODE)
    assert choice.requirement is None and "not installed" in choice.why


def test_a_marker_false_requirement_does_not_block() -> None:
    # Applies only on Python < 3.8: on 3.11 it is not a requirement at all.
    old_only = ("legacy", "1.0", ["urllib3>=2; python_version < '3.8'"])
    choice = choose(make_facts("3.11.7", OPENSSL_102, "2.6.3", dists=[old_only]), IMPORT_ERROR_CODE)
    assert choice.requirement == "urllib3<2"


def test_openssl_3_never_reaches_here_but_would_pin_rather_than_guess() -> None:
    # The check reports no TLS finding on OpenSSL 3; a stray call must still give a safe answer.
    assert choose(make_facts("3.11.7", OPENSSL_3, "2.6.3"), IMPORT_ERROR_CODE).requirement == "urllib3<2"
