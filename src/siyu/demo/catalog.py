"""The demo merchant: 「安肌」, a skincare brand for sensitive skin, its products, shops and staff.

Everything here is constant data. Platform product ids are derived from the SKU's position, so
the same SKU has the same id in every generated data set.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BRAND = "安肌"
CATEGORIES = ("洁面", "精华", "面霜", "防晒", "面膜", "套装", "小样")


@dataclass(frozen=True, slots=True)
class Sku:
    sku_code: str  # 商家编码 (规格维度)
    product_code: str  # 商家编码 (商品维度)
    title: str
    spec: str
    category: str
    price_fen: int
    popularity: float

    @property
    def full_title(self) -> str:
        return f"{BRAND} {self.title} {self.spec}"


def _sku(code: str, title: str, spec: str, category: str, yuan: int, popularity: float) -> Sku:
    product_code = code.rsplit("-", 1)[0]
    return Sku(code, product_code, title, spec, category, yuan * 100, popularity)


SKUS: tuple[Sku, ...] = (
    _sku("AJ-CL01-120", "氨基酸温和洁面乳", "120g", "洁面", 89, 9),
    _sku("AJ-CL02-150", "净澈控油洁面泡沫", "150ml", "洁面", 79, 5),
    _sku("AJ-CL03-200", "舒缓卸妆洁颜油", "200ml", "洁面", 129, 3),
    _sku("AJ-SE01-30", "积雪草修护精华液", "30ml", "精华", 269, 10),
    _sku("AJ-SE01-50", "积雪草修护精华液", "50ml", "精华", 399, 5),
    _sku("AJ-SE02-30", "烟酰胺焕亮精华", "30ml", "精华", 239, 6),
    _sku("AJ-SE03-30", "玻色因紧致精华", "30ml", "精华", 459, 3),
    _sku("AJ-SE04-150", "神经酰胺屏障精华水", "150ml", "精华", 169, 6),
    _sku("AJ-CR01-50", "神经酰胺修护面霜", "50g", "面霜", 299, 8),
    _sku("AJ-CR02-50", "积雪草舒缓保湿霜", "50g", "面霜", 219, 5),
    _sku("AJ-CR03-30", "视黄醇抗皱晚霜", "30g", "面霜", 369, 3),
    _sku("AJ-CR04-100", "清透保湿乳", "100ml", "面霜", 159, 4),
    _sku("AJ-SS01-50", "轻薄水感防晒乳 SPF50+ PA++++", "50ml", "防晒", 139, 7),
    _sku("AJ-SS02-40", "敏感肌物理防晒霜 SPF30", "40ml", "防晒", 159, 3),
    _sku("AJ-MK01-5P", "积雪草修护面膜", "5片装", "面膜", 99, 7),
    _sku("AJ-MK01-10P", "积雪草修护面膜", "10片装", "面膜", 179, 4),
    _sku("AJ-MK02-5P", "玻尿酸补水面膜", "5片装", "面膜", 79, 5),
    _sku("AJ-MK03-100", "净颜清洁泥膜", "100g", "面膜", 119, 3),
    _sku("AJ-ST01-3", "修护屏障三件套（洁面+精华+面霜）", "1套", "套装", 599, 3),
    _sku("AJ-ST02-2", "补水保湿礼盒（精华水+面霜）", "1盒", "套装", 429, 2),
    _sku("AJ-ST03-4", "旅行便携套装", "4件", "套装", 199, 2),
    _sku("AJ-TR01-5X3", "修护精华小样", "5ml×3", "小样", 39, 6),
    _sku("AJ-TR02-15", "修护面霜体验装", "15g", "小样", 49, 5),
    _sku("AJ-TR03-15", "水感防晒小样", "15ml", "小样", 39, 3),
)
GIFT = _sku("AJ-GF01-5", "【赠品】积雪草修护精华小样", "5ml", "小样", 0, 0)
GIFT_THRESHOLD_FEN = 19_900  # Douyin orders from ¥199 get a gift sub-order at 0.00


def sku_arrays() -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Prices (fen) and popularity weights of SKUS, index-aligned."""
    prices = np.array([sku.price_fen for sku in SKUS], dtype=np.int64)
    weights = np.array([sku.popularity for sku in SKUS], dtype=np.float64)
    return prices, weights / weights.sum()


def platform_product_id(index: int, digits: int, salt: int) -> str:
    """A stable, id-like product number for SKU `index` on one platform."""
    low = 10 ** (digits - 1)
    return str(low + (salt * 7_919 + (index + 1) * 104_729_357) % (9 * low))


class ShopKey(enum.IntEnum):
    TMALL = 0
    JD = 1
    PDD = 2
    DOUYIN = 3
    MINI = 4


@dataclass(frozen=True, slots=True)
class Shop:
    key: ShopKey
    name: str
    platform: str  # the platform code the store uses
    format: str  # the importer's registry name
    home_weight: float  # share of buyers whose first order is here
    wecom_rate: float  # share of first-time buyers whom the package card brings into WeCom
    state: str  # the 「联系我」 channel code printed on this shop's package card
    discount_rates: tuple[float, ...]  # usual order-level discounts (coupons, 满减)


SHOPS: tuple[Shop, ...] = (
    Shop(ShopKey.TMALL, "安肌官方旗舰店", "tmall", "taobao", 0.36, 0.33, "pkgcard_tmall",
         (0.0, 0.0, 0.05, 0.10, 0.15)),
    Shop(ShopKey.JD, "安肌京东旗舰店", "jd", "jd", 0.14, 0.30, "pkgcard_jd", (0.0, 0.05, 0.10)),
    Shop(ShopKey.PDD, "安肌拼多多官方旗舰店", "pdd", "pdd", 0.16, 0.24, "pkgcard_pdd",
         (0.10, 0.15, 0.20)),
    Shop(ShopKey.DOUYIN, "安肌抖音官方旗舰店", "douyin", "douyin", 0.22, 0.30, "pkgcard_douyin",
         (0.0, 0.10, 0.15)),
    Shop(ShopKey.MINI, "安肌官方商城小程序", "mini_program", "orders-csv", 0.12, 0.55, "miniapp",
         (0.0, 0.05, 0.08)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Staff:
    userid: str
    name: str
    weight: float


STAFF: tuple[Staff, ...] = (
    Staff("AnJi_XiaoAn", "小安", 0.40),
    Staff("AnJi_XiaoJi", "小肌", 0.35),
    Staff("AnJi_XiaoMei", "小美", 0.25),
)

SKIN_TAGS = (  # corp tags (group 肤质) the guides put on customers: (tag_id, name)
    ("etAnJiDemoSkin0Dry000000000000A", "干皮"),
    ("etAnJiDemoSkin0Oily00000000000B", "油皮"),
    ("etAnJiDemoSkin0Mixed0000000000C", "混合皮"),
    ("etAnJiDemoSkin0Sensitive000000D", "敏感肌"),
)
REMOVED_TAG = ("etAnJiDemoLost0DeletedGuide000E", "已删除导购")
