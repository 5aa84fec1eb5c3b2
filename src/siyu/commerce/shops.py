"""Finding or creating the shop an import belongs to."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import PLATFORMS, Shop
from siyu.errors import InvalidInputError

PLATFORM_ALIASES = {
    "tmall": "tmall",
    "天猫": "tmall",
    "taobao": "taobao",
    "淘宝": "taobao",
    "jd": "jd",
    "京东": "jd",
    "pdd": "pdd",
    "pinduoduo": "pdd",
    "拼多多": "pdd",
    "douyin": "douyin",
    "抖音": "douyin",
    "youzan": "youzan",
    "有赞": "youzan",
    "weixin_shop": "weixin_shop",
    "微信小店": "weixin_shop",
    "mini_program": "mini_program",
    "miniprogram": "mini_program",
    "小程序": "mini_program",
    "offline": "offline",
    "orders-csv": "offline",
    "门店": "offline",
}


def platform_code(value: str | None, default: str = "offline") -> str:
    """A platform name as the files spell it → one of PLATFORMS."""
    if not value:
        return default
    code = PLATFORM_ALIASES.get(value.strip().lower())
    if code is None:
        raise InvalidInputError(f"unknown platform {value!r}: use one of {', '.join(PLATFORMS)}")
    return code


def find_or_create_shop(session: Session, name: str, platform: str) -> Shop:
    """The shop whose code or name is `name`; created with `platform` when there is none."""
    shop = session.scalars(select(Shop).where(or_(Shop.code == name, Shop.name == name))).first()
    if shop is not None:
        return shop
    shop = Shop(code=name[:64], name=name[:200], platform=platform)
    session.add(shop)
    session.flush()
    return shop
