"""The contact policy and the channels' configuration, read once from the environment.

A channel is configured when its variables are set; the worker only claims messages of
configured channels (others wait, and expire at the end of their window). Secrets shorter than
16 characters are refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from siyu.engage.channels.base import Channel, Envelope
from siyu.engage.channels.console import ConsoleChannel
from siyu.engage.channels.email import EmailChannel, SmtpConfig
from siyu.engage.channels.sms import SmsChannel, SmsConfig
from siyu.engage.channels.webhook import WebhookChannel
from siyu.engage.governor.policy import Cap, ContactPolicy, WecomQuota
from siyu.engage.interactions import make_unsubscribe_token
from siyu.engage.tables import CHANNELS
from siyu.engage.wecom.channel import WecomChannel
from siyu.engage.wecom.client import WecomClient, WecomConfig
from siyu.errors import ConfigError
from siyu.settings import DEFAULT_TIMEZONE

MIN_SECRET = 16


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str
    timeout: float = 10.0
    batch_size: int = 1


@dataclass(frozen=True, slots=True)
class EngageSettings:
    policy: ContactPolicy = field(default_factory=ContactPolicy)
    webhook: WebhookConfig | None = None
    smtp: SmtpConfig | None = None
    unsubscribe_url: str = ""
    unsubscribe_secret: str = ""
    sms: SmsConfig | None = None
    wecom: WecomConfig | None = None
    console: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngageSettings:
        env = os.environ if environ is None else environ
        return cls(
            policy=policy_from_env(env),
            webhook=_webhook(env),
            smtp=_smtp(env),
            unsubscribe_url=env.get("SIYU_UNSUBSCRIBE_URL", ""),
            unsubscribe_secret=_secret(env, "SIYU_UNSUBSCRIBE_SECRET", needed="SIYU_SMTP_HOST"),
            sms=_sms(env),
            wecom=_wecom(env),
            console=env.get("SIYU_CONSOLE_CHANNEL", "1") not in ("0", "false", "no"),
        )

    def channels(self, *, concurrency: int = 8) -> dict[str, Channel]:
        """One instance per configured channel (each owns its HTTP client)."""
        made: dict[str, Channel] = {}
        if self.console:
            made["console"] = ConsoleChannel()
        if self.webhook:
            made["webhook"] = WebhookChannel(
                self.webhook.url,
                self.webhook.secret,
                timeout=self.webhook.timeout,
                batch_size=self.webhook.batch_size,
                concurrency=concurrency,
            )
        if self.smtp:
            made["email"] = EmailChannel(self.smtp, self.unsubscribe_link)
        if self.sms:
            made["sms"] = SmsChannel(self.sms, concurrency=concurrency)
        if self.wecom:
            made["wecom"] = WecomChannel(WecomClient(self.wecom))
        return made

    def unsubscribe_link(self, envelope: Envelope) -> str:
        token = make_unsubscribe_token(
            self.unsubscribe_secret,
            envelope.customer_id or 0,
            envelope.channel,
            envelope.message_id,
        )
        return f"{self.unsubscribe_url}{token}"


def policy_from_env(env: Mapping[str, str]) -> ContactPolicy:
    quiet = env.get("SIYU_QUIET_HOURS", "21-9")
    start, end = (0, 0) if quiet in ("off", "none", "") else _hours_range(quiet)
    default_hour = env.get("SIYU_DEFAULT_HOUR", "10")
    return ContactPolicy(
        timezone_name=env.get("SIYU_TIMEZONE") or DEFAULT_TIMEZONE,
        quiet_start=start,
        quiet_end=end,
        default_hour=None
        if default_hour in ("none", "")
        else _int(default_hour, "SIYU_DEFAULT_HOUR"),
        all_channels=Cap(
            per_day=_optional_int(env.get("SIYU_CAP_DAY", "1"), "SIYU_CAP_DAY"),
            per_week=_optional_int(env.get("SIYU_CAP_WEEK", "3"), "SIYU_CAP_WEEK"),
        ),
        channel_caps=_channel_caps(env.get("SIYU_CHANNEL_CAPS", "")),
        wecom_quota=_quota(env.get("SIYU_WECOM_QUOTA", "month")),
        staff_daily_limit=_int(
            env.get("SIYU_WECOM_STAFF_DAILY", "10000"), "SIYU_WECOM_STAFF_DAILY"
        ),
        repeat_days=_int(env.get("SIYU_REPEAT_DAYS", "30"), "SIYU_REPEAT_DAYS"),
    )


def _quota(text: str) -> WecomQuota:
    try:
        return WecomQuota(text)
    except ValueError as error:
        raise ConfigError(f"SIYU_WECOM_QUOTA={text!r}: use month, week or day") from error


def _hours_range(text: str) -> tuple[int, int]:
    try:
        start, end = (int(part) for part in text.split("-"))
    except ValueError as error:
        raise ConfigError(f"SIYU_QUIET_HOURS={text!r}: use START-END hours, e.g. 21-9") from error
    if not (0 <= start < 24 and 0 <= end < 24):
        raise ConfigError(f"SIYU_QUIET_HOURS={text!r}: hours are 0-23")
    return start, end


def _channel_caps(text: str) -> dict[str, Cap]:
    """`sms=1/2,email=1/3`: per channel, per day / per 7 days."""
    caps: dict[str, Cap] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, limits = item.partition("=")
        day, _, week = limits.partition("/")
        if name not in CHANNELS:
            raise ConfigError(f"SIYU_CHANNEL_CAPS: unknown channel {name!r}")
        caps[name] = Cap(
            _optional_int(day, "SIYU_CHANNEL_CAPS"), _optional_int(week, "SIYU_CHANNEL_CAPS")
        )
    return caps


def _int(text: str, name: str) -> int:
    if not text.strip().isdigit():
        raise ConfigError(f"{name}={text!r} is not a whole number")
    return int(text)


def _optional_int(text: str, name: str) -> int | None:
    return None if text.strip() in ("", "none") else _int(text, name)


def _secret(env: Mapping[str, str], name: str, *, needed: str) -> str:
    value = env.get(name, "")
    if env.get(needed) and len(value) < MIN_SECRET:
        raise ConfigError(f"{name} must be set (at least {MIN_SECRET} characters) with {needed}")
    return value


def _webhook(env: Mapping[str, str]) -> WebhookConfig | None:
    url = env.get("SIYU_WEBHOOK_URL")
    if not url:
        return None
    return WebhookConfig(
        url=url,
        secret=_secret(env, "SIYU_WEBHOOK_SECRET", needed="SIYU_WEBHOOK_URL"),
        timeout=float(env.get("SIYU_WEBHOOK_TIMEOUT", "10")),
        batch_size=_int(env.get("SIYU_WEBHOOK_BATCH", "1"), "SIYU_WEBHOOK_BATCH"),
    )


def _smtp(env: Mapping[str, str]) -> SmtpConfig | None:
    host = env.get("SIYU_SMTP_HOST")
    if not host:
        return None
    if not env.get("SIYU_UNSUBSCRIBE_URL"):
        raise ConfigError("SIYU_UNSUBSCRIBE_URL must be set with SIYU_SMTP_HOST")
    return SmtpConfig(
        host=host,
        port=_int(env.get("SIYU_SMTP_PORT", "25"), "SIYU_SMTP_PORT"),
        sender=env.get("SIYU_SMTP_FROM", "noreply@localhost"),
        username=env.get("SIYU_SMTP_USER", ""),
        password=env.get("SIYU_SMTP_PASSWORD", ""),
        starttls=env.get("SIYU_SMTP_STARTTLS", "0") in ("1", "true", "yes"),
        timeout=float(env.get("SIYU_SMTP_TIMEOUT", "10")),
    )


def _sms(env: Mapping[str, str]) -> SmsConfig | None:
    key_id = env.get("SIYU_SMS_ACCESS_KEY_ID")
    if not key_id:
        return None
    return SmsConfig(
        access_key_id=key_id,
        access_key_secret=_secret(
            env, "SIYU_SMS_ACCESS_KEY_SECRET", needed="SIYU_SMS_ACCESS_KEY_ID"
        ),
        sign_name=env.get("SIYU_SMS_SIGN_NAME", ""),
        endpoint=env.get("SIYU_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    )


def _wecom(env: Mapping[str, str]) -> WecomConfig | None:
    corpid = env.get("SIYU_WECOM_CORPID")
    if not corpid:
        return None
    return WecomConfig(
        corpid=corpid,
        secret=_secret(env, "SIYU_WECOM_SECRET", needed="SIYU_WECOM_CORPID"),
        base_url=env.get("SIYU_WECOM_BASE_URL", "https://qyapi.weixin.qq.com/cgi-bin/"),
    )
