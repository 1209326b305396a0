"""Each function's environment, validated once per cold start.

The environment holds names only (tables, queue, secret and parameter names); secrets and
rules are read through Powertools parameters with a cache age, so a rotated secret or an
edited rule is picked up without a redeploy.
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    profiles_table: str = Field(min_length=1)
    trigger_queue_url: str = ""
    idempotency_table: str = ""
    outbox_table: str = ""
    webhook_secrets_name: str = ""
    api_credentials_name: str = ""
    rules_parameter_name: str = ""
    hubspot_base_url: str = "https://api.hubapi.com"
    klaviyo_base_url: str = "https://a.klaviyo.com"
    config_max_age: int = Field(default=300, ge=0)
    dedupe_days: int = Field(default=7, ge=1)
