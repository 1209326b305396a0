"""Rules and secrets, read through Powertools parameters with a cache age.

A rotated secret or an edited rule is picked up within ``config_max_age`` seconds, without
a redeploy and without a call to Secrets Manager or SSM on every request.
"""

from typing import Any

from aws_lambda_powertools.utilities import parameters

from retention.domain.rules import RetentionRules
from retention.settings import Settings


class ConfigError(Exception):
    """A secret or the rules are missing or malformed; the operator must fix them."""


def rules(settings: Settings) -> RetentionRules:
    if not settings.rules_parameter_name:
        return RetentionRules()

    raw = parameters.get_parameter(
        settings.rules_parameter_name,
        transform="json",
        max_age=settings.config_max_age,
    )
    try:
        return RetentionRules.model_validate(raw)
    except ValueError as error:
        raise ConfigError(f"retention rules are invalid: {error}") from error


def secret(name: str, settings: Settings) -> dict[str, Any]:
    """A JSON secret; an unset name reads as an empty one."""
    if not name:
        return {}

    value = parameters.get_secret(name, transform="json", max_age=settings.config_max_age)
    if not isinstance(value, dict):
        raise ConfigError("secret is not a JSON object")
    return value
