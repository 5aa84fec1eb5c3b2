"""Flat WeCom XML documents (`<xml><Name>value</Name>…</xml>`) to and from dicts."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping

from siyu.engage.errors import EngageError, EngageErrorCode


def parse_flat(document: str | bytes) -> dict[str, str]:
    """The child elements of the root, as text; refuses DTDs (no entity expansion)."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise EngageError(EngageErrorCode.BAD_CALLBACK, "callback XML must not carry a DTD")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise EngageError(EngageErrorCode.BAD_CALLBACK, f"callback XML: {error}") from error
    return {child.tag: (child.text or "").strip() for child in root}


def render_flat(fields: Mapping[str, str | int], *, cdata: frozenset[str] = frozenset()) -> str:
    parts = []
    for name, value in fields.items():
        text = str(value)
        parts.append(
            f"<{name}><![CDATA[{text}]]></{name}>" if name in cdata else f"<{name}>{text}</{name}>"
        )
    return "<xml>" + "".join(parts) + "</xml>"
