"""Message catalogs: the console speaks Simplified Chinese first, English second.

Strings are written in English in the code and templates (`_("Customers")`) and translated by
the gettext catalogs `locale/zh_CN/LC_MESSAGES/*.po`, read with Babel at start-up: `messages.po`
for the shell and one catalog per capability (`campaigns.po`, `loyalty.po`, …), merged in name
order, so capabilities add their strings without touching each other's files.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
CATALOGS = Path(__file__).with_name("locale")


@cache
def catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((CATALOGS / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=locale)
        merged.update(
            (str(message.id), str(message.string))
            for message in parsed
            if message.id and message.string
        )
    return merged


Translate = Callable[..., str]


def translator(locale: str) -> Translate:
    messages = catalog(locale if locale in LOCALES else DEFAULT_LOCALE)

    def translate(text: str, **values: object) -> str:
        translated = messages.get(text, text)
        return translated.format(**values) if values else translated

    return translate
