"""Retention rules an operator sets (in SSM Parameter Store, as JSON)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class RetentionRules(BaseModel):
    """Day counts are whole days in the store's time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = "UTC"
    base_currency: str | None = None
    at_risk_after_days: int = Field(default=45, ge=1)
    lapsed_after_days: int = Field(default=60, ge=1)
    win_back_steps_days: tuple[int, ...] = (45, 60)
    post_purchase_delay_days: int = Field(default=7, ge=0)
    send_hour: int = Field(default=10, ge=0, le=23)
    welcome_grace_days: int = Field(default=3, ge=0)
    post_purchase_grace_days: int = Field(default=3, ge=0)
    recent_orders_kept: int = Field(default=5, ge=1, le=20)
    products_kept: int = Field(default=100, ge=1, le=500)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # An unknown key raises a KeyError, which pydantic would let through unconverted.
        try:
            ZoneInfo(value)
        except ZoneInfoNotFoundError as error:
            raise ValueError("not a known IANA time zone") from error
        return value

    @field_validator("win_back_steps_days")
    @classmethod
    def _sorted_steps(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(step < 1 for step in value):
            raise ValueError("win-back steps are whole days of at least 1")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _lapsed_after_at_risk(self) -> "RetentionRules":
        if self.lapsed_after_days < self.at_risk_after_days:
            raise ValueError("lapsed_after_days must not be less than at_risk_after_days")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
