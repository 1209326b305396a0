"""The retention rules an operator writes, as JSON, in Parameter Store."""

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from retention.domain.rules import RetentionRules


def test_defaults_follow_the_product():
    # Given no rules written by the operator
    # When the rules are read
    rules = RetentionRules()

    # Then at risk after 45 days, lapsed after 60, win-backs at 45 and 60, in UTC
    assert (rules.at_risk_after_days, rules.lapsed_after_days) == (45, 60)
    assert rules.win_back_steps_days == (45, 60)
    assert rules.post_purchase_delay_days == 7
    assert rules.send_hour == 10
    assert rules.zone == ZoneInfo("UTC")


def test_rules_are_read_from_the_parameters_json():
    # Given the rules as an operator types them into Parameter Store
    document = '{"timezone": "Asia/Kolkata", "win_back_steps_days": [90, 45, 60, 45]}'

    # When they are read
    rules = RetentionRules.model_validate_json(document)

    # Then the zone is the store's and the steps are sorted, each once
    assert rules.zone == ZoneInfo("Asia/Kolkata")
    assert rules.win_back_steps_days == (45, 60, 90)


@pytest.mark.parametrize("zone", ["Asia/Kolkatta", "Mars/Olympus", "../etc/passwd", ""])
def test_unknown_time_zone_is_a_validation_error(zone):
    # Given a misspelt or invalid time zone
    # When the rules are read
    with pytest.raises(ValidationError) as invalid:
        RetentionRules(timezone=zone)

    # Then the error is a validation error naming the field, which config turns into a reason
    assert invalid.value.errors()[0]["loc"] == ("timezone",)


@pytest.mark.parametrize(
    "document",
    [
        {"win_back_steps_days": [0, 45]},
        {"at_risk_after_days": 60, "lapsed_after_days": 45},
        {"send_hour": 24},
        {"post_purchase_delay_days": -1},
        {"recent_orders_kept": 0},
        {"lapsed_after_day": 90},
    ],
    ids=[
        "step-of-zero-days",
        "lapsed-before-at-risk",
        "no-hour-24",
        "negative-delay",
        "no-recent-orders",
        "misspelt-rule",
    ],
)
def test_impossible_rules_are_refused(document):
    # Given rules that cannot hold, or a rule name with a typo
    # When they are read
    # Then they are refused rather than silently ignored
    with pytest.raises(ValidationError):
        RetentionRules.model_validate(document)
