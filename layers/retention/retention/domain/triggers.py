"""Retention triggers: which are due, which come next, and which are still true.

A trigger's key names the reason it exists (the customer, the kind, and the order or the
inactivity step), so the same reason always gives the same key. The key is what keeps a
trigger from being enqueued or sent twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from retention.domain.lifecycle import Stage, days_after, next_stage_change, stage_of
from retention.domain.profiles import Profile
from retention.domain.rules import RetentionRules


class TriggerKind(StrEnum):
    WELCOME = "welcome"
    POST_PURCHASE = "post_purchase"
    WIN_BACK = "win_back"


# Every trigger kind so far is marketing; transactional payment notices will not be.
MARKETING = frozenset(TriggerKind)


class Trigger(BaseModel):
    """One retention action for one customer; this is also the queue message body."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: TriggerKind
    tenant: str
    customer_key: str
    due_at: datetime
    expires_at: datetime | None = None
    order_id: str | None = None
    step_days: int | None = None


class Suppression(StrEnum):
    NO_LONGER_TRUE = "no_longer_true"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    NO_CONSENT = "no_consent"


@dataclass(frozen=True)
class Plan:
    stage: Stage
    due: list[Trigger]
    next_action: str | None
    next_action_at: datetime | None


def candidates(profile: Profile, rules: RetentionRules) -> list[Trigger]:
    """Every trigger that the profile's facts imply, whenever it falls due."""
    found: list[Trigger] = []
    base = f"{profile.tenant}/{profile.customer_key}"

    if profile.first_order_at:
        found.append(
            _trigger(
                profile,
                f"{base}/welcome",
                TriggerKind.WELCOME,
                profile.first_order_at,
                rules.welcome_grace_days,
            )
        )

    if profile.last_fulfilled_at and profile.last_fulfilled_order_id:
        order_id = profile.last_fulfilled_order_id
        due = days_after(
            profile.last_fulfilled_at,
            rules.post_purchase_delay_days,
            rules,
            hour=rules.send_hour,
        )
        found.append(
            _trigger(
                profile,
                f"{base}/post_purchase/{order_id}",
                TriggerKind.POST_PURCHASE,
                due,
                rules.post_purchase_grace_days,
                order_id=order_id,
            )
        )

    if profile.last_order_at and profile.last_order_id:
        for step in rules.win_back_steps_days:
            due = days_after(profile.last_order_at, step, rules, hour=rules.send_hour)
            found.append(
                _trigger(
                    profile,
                    f"{base}/win_back/{profile.last_order_id}/{step}",
                    TriggerKind.WIN_BACK,
                    due,
                    grace_days=None,
                    order_id=profile.last_order_id,
                    step_days=step,
                )
            )

    return found


def plan(profile: Profile, rules: RetentionRules, now: datetime) -> Plan:
    """What to enqueue now, and when to look at this customer again."""
    found = candidates(profile, rules)
    enqueued = set(profile.triggers_enqueued)

    due = [
        trigger
        for trigger in _current(found, now)
        if trigger.key not in enqueued and _consented(profile, trigger)
    ]
    upcoming = [t for t in found if t.due_at > now and t.key not in enqueued]
    next_trigger = min(upcoming, key=lambda t: t.due_at, default=None)
    stage_change = next_stage_change(profile.last_order_at, rules, now)

    next_action, next_action_at = _earliest(next_trigger, stage_change)
    return Plan(
        stage=stage_of(profile.order_count, profile.last_order_at, rules, now),
        due=due,
        next_action=next_action,
        next_action_at=next_action_at,
    )


def suppression(
    trigger: Trigger,
    profile: Profile,
    rules: RetentionRules,
    now: datetime,
) -> Suppression | None:
    """Why a queued trigger must not be sent any more, or ``None`` if it still holds.

    A win-back whose customer has ordered since no longer appears among the candidates (its
    key names the last order), so it is dropped rather than sent; one that waited in the
    queue until a further step fell due is superseded by that step.
    """
    found = candidates(profile, rules)
    current = {t.key: t for t in found}
    if trigger.key not in current:
        return Suppression.NO_LONGER_TRUE
    if not _within_window(current[trigger.key], now):
        return Suppression.EXPIRED
    if trigger.key not in {t.key for t in _current(found, now)}:
        return Suppression.SUPERSEDED
    if not _consented(profile, trigger):
        return Suppression.NO_CONSENT
    return None


def _trigger(
    profile: Profile,
    key: str,
    kind: TriggerKind,
    due_at: datetime,
    grace_days: int | None,
    order_id: str | None = None,
    step_days: int | None = None,
) -> Trigger:
    expires_at = None if grace_days is None else due_at + timedelta(days=grace_days)
    return Trigger(
        key=key,
        kind=kind,
        tenant=profile.tenant,
        customer_key=profile.customer_key,
        due_at=due_at,
        expires_at=expires_at,
        order_id=order_id,
        step_days=step_days,
    )


def _within_window(trigger: Trigger, now: datetime) -> bool:
    return trigger.due_at <= now and (trigger.expires_at is None or now <= trigger.expires_at)


def _current(found: list[Trigger], now: datetime) -> list[Trigger]:
    """Triggers due now; of the win-back steps reached, only the furthest one."""
    due = [t for t in found if _within_window(t, now)]
    win_backs = [t for t in due if t.kind is TriggerKind.WIN_BACK]
    furthest = max(win_backs, key=lambda t: t.step_days or 0, default=None)
    return [t for t in due if t.kind is not TriggerKind.WIN_BACK or t is furthest]


def _consented(profile: Profile, trigger: Trigger) -> bool:
    return trigger.kind not in MARKETING or profile.consent.email is True


def _earliest(
    trigger: Trigger | None,
    stage_change: datetime | None,
) -> tuple[str | None, datetime | None]:
    if trigger and (stage_change is None or trigger.due_at <= stage_change):
        return trigger.kind.value, trigger.due_at
    if stage_change:
        return "stage_change", stage_change
    return None, None
