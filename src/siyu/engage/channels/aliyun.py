"""Alibaba Cloud RPC request signing, signature version 1.0 (HMAC-SHA1), as documented for
dysmsapi 2017-05-25 (help.aliyun.com docs 157269 and 154849; see docs/reach.md).

1. Sort the parameters (common + API ones, without `Signature`) by name.
2. Percent-encode names and values per RFC 3986: `A-Za-z0-9-_.~` stay, space is `%20`,
   `*` is `%2A`, `~` stays; join as `name=value&…` (the canonical query).
3. StringToSign = METHOD & pct("/") & pct(canonical query).
4. Signature = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    key = (access_key_secret + "&").encode()
    digest = hmac.new(key, string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
