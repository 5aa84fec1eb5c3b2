"""E-mail over SMTP (smtplib, with a timeout), with an unsubscribe link in the text and the
`List-Unsubscribe` / `List-Unsubscribe-Post` headers (RFC 2369, RFC 8058 one-click).

SMTP answers are classified by their code: 4xx is transient (the server asks to try later),
5xx permanent; a dropped connection or a timeout is transient.
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy.orm import Session

from siyu.engage.channels.base import DeliveryError, Envelope, Outcome, Status


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str  # the From address
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0
    domain: str = "siyu.local"  # right-hand side of Message-IDs


class EmailChannel:
    name = "email"
    transactional = False

    def __init__(self, config: SmtpConfig, unsubscribe_link: Callable[[Envelope], str]) -> None:
        self.config = config
        self.unsubscribe_link = unsubscribe_link

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]:
        if not batch:
            return []
        try:
            connection = self._connect()
        except DeliveryError as error:
            return [error.outcome(envelope.message_id) for envelope in batch]
        outcomes: list[Outcome] = []
        try:
            for envelope in batch:
                outcomes.append(self._send(connection, envelope))
        finally:
            _quit(connection)
        return outcomes

    def message(self, envelope: Envelope) -> EmailMessage:
        link = self.unsubscribe_link(envelope)
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = envelope.address
        message["Subject"] = envelope.content.subject or envelope.content.text[:60]
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(envelope.idempotency_key, self.config.domain)
        message["X-Siyu-Idempotency-Key"] = envelope.idempotency_key
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        text = envelope.content.text
        if envelope.content.link_url:
            text += f"\n\n{envelope.content.link_url}"
        message.set_content(f"{text}\n\n--\n退订 / Unsubscribe: {link}\n")
        return message

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        try:
            connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            if config.starttls:
                connection.starttls()
            if config.username:
                connection.login(config.username, config.password)
        except smtplib.SMTPResponseException as error:
            raise _classified(error.smtp_code, str(error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError("network", f"SMTP connect: {error!r}", transient=True) from error
        return connection

    def _send(self, connection: smtplib.SMTP, envelope: Envelope) -> Outcome:
        message = self.message(envelope)
        try:
            refused = connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return _classified(code, _text(text)).outcome(envelope.message_id)
        except smtplib.SMTPResponseException as error:
            detail = _text(error.smtp_error)
            return _classified(error.smtp_code, detail).outcome(envelope.message_id)
        except (OSError, smtplib.SMTPException) as error:
            failure = DeliveryError("network", f"SMTP send: {error!r}", transient=True)
            return failure.outcome(envelope.message_id)
        if refused:
            code, text = next(iter(refused.values()))
            return _classified(code, _text(text)).outcome(envelope.message_id)
        return Outcome(envelope.message_id, Status.SENT, external_id=message["Message-ID"])

    def close(self) -> None:
        return None


def message_id(idempotency_key: str, domain: str) -> str:
    """A stable Message-ID per idempotency key, so a resent copy can be recognised."""
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


def _classified(code: int, detail: str) -> DeliveryError:
    transient = 400 <= code < 500
    kind = "smtp_4xx" if transient else "smtp_5xx"
    return DeliveryError(kind, f"SMTP {code}: {detail[:200]}", transient=transient)


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (TimeoutError, OSError, smtplib.SMTPException):
        connection.close()
