"""What a message says, stored once per distinct body and referred to by its hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Content:
    """A message body. `text` is what a person reads (WeCom, e-mail, webhook, console); SMS
    sends the approved `template_code` with `template_params` (Alibaba renders the text).
    `welcome_code` makes a WeCom message a welcome reply (send_welcome_msg)."""

    text: str
    subject: str = ""
    link_url: str = ""
    template_code: str = ""
    template_params: Mapping[str, str] = field(default_factory=dict)
    welcome_code: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "subject": self.subject,
            "link_url": self.link_url,
            "template_code": self.template_code,
            "template_params": dict(sorted(self.template_params.items())),
            "welcome_code": self.welcome_code,
        }

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.body(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Content:
        return cls(
            text=str(body.get("text", "")),
            subject=str(body.get("subject", "")),
            link_url=str(body.get("link_url", "")),
            template_code=str(body.get("template_code", "")),
            template_params={str(k): str(v) for k, v in body.get("template_params", {}).items()},
            welcome_code=str(body.get("welcome_code", "")),
        )
