"""Priority rules: the highest rule that applies, and every applying rule's label for the desk."""

from __future__ import annotations

from desk.desk_config import DeskConfig, load_desk_config
from desk.priority import Facts, Priority, priority_of

CONFIG = load_desk_config()


def test_no_rule_applies() -> None:
    assert priority_of(CONFIG.priorities, Facts(reason="request", contacts_about_case=2)) == Priority(0, ())


def test_a_complaint_is_raised_and_says_why() -> None:
    assert priority_of(CONFIG.priorities, Facts(reason="complaint")) == Priority(2, ("شکایت",))


def test_the_third_contact_about_a_case() -> None:
    assert priority_of(CONFIG.priorities, Facts(reason="request", contacts_about_case=3)).value == 2
    assert priority_of(CONFIG.priorities, Facts(reason="request", contacts_about_case=4)).value == 2


def test_a_case_waiting_on_the_citizen() -> None:
    result = priority_of(CONFIG.priorities, Facts(reason="misunderstood", case_waiting_on_citizen=True))
    assert result == Priority(1, ("پرونده منتظر اقدام شهروند است",))


def test_several_rules_give_the_highest_priority_and_all_labels_highest_first() -> None:
    facts = Facts(reason="complaint", contacts_about_case=3, case_waiting_on_citizen=True)
    result = priority_of(CONFIG.priorities, facts)
    assert result.value == 2
    assert result.reasons == ("شکایت", "سومین تماس درباره یک پرونده", "پرونده منتظر اقدام شهروند است")


def test_rules_come_from_configuration() -> None:
    config = DeskConfig.model_validate(
        {
            "office_hours": {"saturday": {"open": "08:00", "close": "16:00"}},
            "priorities": [
                {"name": "rule", "when": {"reason_is": "rule"}, "priority": 5, "label": "قانون"},
                {"name": "second", "when": {"contacts_about_case_at_least": 2}, "priority": 3, "label": "دومین تماس"},
            ],
        }
    )
    assert priority_of(config.priorities, Facts(reason="rule", contacts_about_case=2)) == Priority(5, ("قانون", "دومین تماس"))
    assert priority_of(config.priorities, Facts(reason="complaint")) == Priority(0, ())
