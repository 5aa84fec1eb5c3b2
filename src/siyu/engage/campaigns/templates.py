"""Content templates with placeholders: `{name}`, `{last_product}`, `{coupon}`.

A template is checked when the campaign is created (an unknown placeholder or a stray brace is
an error naming it); `{{` and `}}` write literal braces. A value a customer lacks renders as the
placeholder's fallback, never as the placeholder itself.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from siyu.engage.campaigns.errors import CampaignError, CampaignErrorCode

FALLBACKS: Mapping[str, str] = {
    "name": "亲爱的顾客",  # no display name
    "last_product": "您喜欢的商品",  # no paid order yet
    "coupon": "会员中心的优惠券",  # no coupon template, or none could be issued
}
PLACEHOLDERS = tuple(FALLBACKS)
_FORMATTER = string.Formatter()


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    fields: frozenset[str]

    @property
    def is_personal(self) -> bool:
        return bool(self.fields)

    def render(self, values: Mapping[str, str | None]) -> str:
        filled = {name: values.get(name) or FALLBACKS[name] for name in self.fields}
        return self.text.format_map(filled)


def parse_template(text: str, *, where: str = "text") -> Template:
    """The template, or a CampaignError naming the unknown placeholder or the broken brace."""
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError as error:
        raise CampaignError(
            CampaignErrorCode.INVALID_TEMPLATE,
            f"{where}: {error} (write {{{{ and }}}} for literal braces)",
        ) from error
    fields: set[str] = set()
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in FALLBACKS or spec or conversion:
            known = ", ".join("{" + known + "}" for known in PLACEHOLDERS)
            raise CampaignError(
                CampaignErrorCode.INVALID_TEMPLATE,
                f"{where}: unknown placeholder {{{name}}} (known: {known})",
            )
        fields.add(name)
    return Template(text, frozenset(fields))
