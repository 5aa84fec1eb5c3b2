"""The contact policy an admin edits in the console, stored in the database.

The stored document overlays the policy a process starts with (SIYU_* variables or code
defaults): each stored field wins. The planner, the worker's send-time recheck and the quota
view all read the effective policy, so a change applies to the next plan without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from siyu.engage.governor.policy import Cap, ContactPolicy
from siyu.engage.tables import CHANNELS
from siyu.merchant.store import CONTACT_POLICY, SettingError, read_setting, write_setting

MAX_CAP = 1_000
MAX_REPEAT_DAYS = 365


@dataclass(frozen=True, slots=True)
class ContactSettings:
    """The editable part of the contact policy."""

    cap_per_day: int | None
    cap_per_week: int | None
    quiet_start: int
    quiet_end: int
    default_hour: int | None
    repeat_days: int
    channel_caps: dict[str, Cap] = field(default_factory=dict)

    @classmethod
    def of(cls, policy: ContactPolicy) -> ContactSettings:
        return cls(
            cap_per_day=policy.all_channels.per_day,
            cap_per_week=policy.all_channels.per_week,
            quiet_start=policy.quiet_start,
            quiet_end=policy.quiet_end,
            default_hour=policy.default_hour,
            repeat_days=policy.repeat_days,
            channel_caps=dict(policy.channel_caps),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "cap_per_day": self.cap_per_day,
            "cap_per_week": self.cap_per_week,
            "quiet_start": self.quiet_start,
            "quiet_end": self.quiet_end,
            "default_hour": self.default_hour,
            "repeat_days": self.repeat_days,
            "channel_caps": {
                name: {"per_day": cap.per_day, "per_week": cap.per_week}
                for name, cap in sorted(self.channel_caps.items())
            },
        }

    def check(self) -> None:
        _cap("cap_per_day", self.cap_per_day)
        _cap("cap_per_week", self.cap_per_week)
        _caps_agree("cap", self.cap_per_day, self.cap_per_week)
        for name in ("quiet_start", "quiet_end", "default_hour"):
            hour = getattr(self, name)
            if hour is not None and not 0 <= hour <= 23:
                raise SettingError(name, f"an hour is 0–23, got {hour}")
        if not 0 <= self.repeat_days <= MAX_REPEAT_DAYS:
            raise SettingError("repeat_days", f"0–{MAX_REPEAT_DAYS} days, got {self.repeat_days}")
        for channel, cap in self.channel_caps.items():
            if channel not in CHANNELS:
                raise SettingError(
                    f"channel_caps.{channel}", f"unknown channel: use {', '.join(CHANNELS)}"
                )
            _cap(f"channel_caps.{channel}.per_day", cap.per_day)
            _cap(f"channel_caps.{channel}.per_week", cap.per_week)
            _caps_agree(f"channel_caps.{channel}", cap.per_day, cap.per_week)

    def applied_to(self, policy: ContactPolicy) -> ContactPolicy:
        return replace(
            policy,
            all_channels=Cap(self.cap_per_day, self.cap_per_week),
            quiet_start=self.quiet_start,
            quiet_end=self.quiet_end,
            default_hour=self.default_hour,
            repeat_days=self.repeat_days,
            channel_caps=dict(self.channel_caps),
        )


def effective_policy(session: Session, base: ContactPolicy) -> ContactPolicy:
    """`base` with the stored settings applied (the stored ones win)."""
    stored = read_setting(session, CONTACT_POLICY)
    return base if stored is None else _from_dict(stored).applied_to(base)


def save_contact_settings(session: Session, settings: ContactSettings, *, by: str) -> None:
    settings.check()
    write_setting(session, CONTACT_POLICY, settings.as_dict(), by=by)


def _from_dict(stored: dict[str, Any]) -> ContactSettings:
    caps = stored.get("channel_caps") or {}
    return ContactSettings(
        cap_per_day=stored.get("cap_per_day"),
        cap_per_week=stored.get("cap_per_week"),
        quiet_start=int(stored["quiet_start"]),
        quiet_end=int(stored["quiet_end"]),
        default_hour=stored.get("default_hour"),
        repeat_days=int(stored["repeat_days"]),
        channel_caps={
            name: Cap(cap.get("per_day"), cap.get("per_week")) for name, cap in caps.items()
        },
    )


def _cap(name: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_CAP:
        raise SettingError(name, f"a cap is 0–{MAX_CAP} messages (or none), got {value}")


def _caps_agree(name: str, per_day: int | None, per_week: int | None) -> None:
    if per_day is not None and per_week is not None and per_week < per_day:
        raise SettingError(
            f"{name}_per_week" if "." not in name else f"{name}.per_week",
            f"the weekly cap ({per_week}) is below the daily cap ({per_day})",
        )
