"""The WeCom callback receiver as pure functions, for the web layer to mount.

GET  ?msg_signature&timestamp&nonce&echostr  → `verify_url` → answer the plaintext.
POST ?msg_signature&timestamp&nonce, body `<xml><Encrypt>…</Encrypt></xml>` → `receive`
     → answer `success` within 5 s (WeCom retries an unanswered event 3 times; the retries are
     dropped by the de-duplication in `apply_callback_events`).
A bad signature or a ciphertext for another corp raises EngageError (answer 400/403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.engage.content import Content
from siyu.engage.wecom.apply import CallbackCounts, apply_callback_events
from siyu.engage.wecom.crypto import WXBizMsgCrypt
from siyu.engage.wecom.events import parse_event_xml

SUCCESS = "success"


@dataclass(frozen=True, slots=True)
class CallbackQuery:
    msg_signature: str
    timestamp: str
    nonce: str
    echostr: str = ""


def verify_url(crypto: WXBizMsgCrypt, query: CallbackQuery) -> str:
    return crypto.verify_url(query.msg_signature, query.timestamp, query.nonce, query.echostr)


def receive(
    session: Session,
    crypto: WXBizMsgCrypt,
    query: CallbackQuery,
    body: bytes,
    *,
    now: datetime,
    welcome: Content | None = None,
) -> CallbackCounts:
    """Check, decrypt, parse and apply one event POST; the caller commits and answers SUCCESS."""
    plaintext = crypto.decrypt_post(query.msg_signature, query.timestamp, query.nonce, body)
    return apply_callback_events(session, [parse_event_xml(plaintext)], now=now, welcome=welcome)
