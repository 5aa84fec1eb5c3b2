"""Built-in journey templates, after the operators' articles (docs/reach.md "Journeys and SOPs").

Their spirit: service before selling, one guide who answers, few messages that are worth
reading, and leaving people alone once they bought or said no. Every template exits on opt-out,
keeps a 10% holdout to measure what it adds, and lets the governor cap the pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siyu.engage.journeys.definition import JourneyDefinition, parse_definition


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str  # Chinese, as operators call it
    description: str
    document: dict[str, Any]

    def definition(self) -> JourneyDefinition:
        return parse_definition(self.document)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "definition": self.definition().as_json(),
        }


def _send(text: str, purpose: str = "marketing", **extra: Any) -> dict[str, Any]:
    return {
        "type": "send",
        "channel": "wecom",
        "purpose": purpose,
        "content": {"text": text},
        **extra,
    }


def _task(title: str, note: str = "", due_days: int = 1) -> dict[str, Any]:
    return {"type": "task", "title": title, "note": note, "due_days": due_days}


def _wait(days: int) -> dict[str, Any]:
    return {"type": "wait", "days": days}


def _journey(
    name: str, trigger: dict[str, Any], steps: list[Any], exits: list[str]
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": name,
        "trigger": trigger,
        "steps": steps,
        "exits": exits,
        "holdout_share": 0.1,
    }


def _segment(code: str) -> dict[str, Any]:
    return {"type": "entered_segment", "segment": code}


AFTER_SALES = Template(
    "after_sales_sop",
    "售后服务SOP",
    "Delivery care when the order is received, usage tips at day 7 with a guide follow-up, and "
    "a gentle repurchase reminder two days before the expected next purchase (BG/NBD).",
    _journey(
        "售后服务SOP",
        {"type": "order_delivered"},
        [
            _send(
                "您好，您的订单已经签收啦。收到的商品如有任何问题，直接回复我就好，"
                "我是您的专属顾问，会一直在。",
                "service",
            ),
            _wait(7),
            _send(
                "用了一周，感觉怎么样？整理了几条使用小贴士供您参考，"
                "有不合适的地方也请告诉我，我们负责到底。",
                "service",
            ),
            _task("回访使用体验", "一对一问问顾客的使用感受，记录问题与建议，不推销。", 2),
            {"type": "wait", "until": "next_purchase_on", "offset_days": -2},
            _send(
                "算着时间，您上次选的商品可能快用完了。需要补货的话回复我，我帮您留意最合适的优惠。"
            ),
        ],
        ["ordered", "opted_out"],
    ),
)
SECOND_ORDER = Template(
    "second_order",
    "二购转化",
    "First-time buyers (built-in segment second_order_targets): a thank-you with picks from "
    "the category they like after 3 days, then a guide's personal follow-up after 2 weeks.",
    _journey(
        "二购转化",
        _segment("second_order_targets"),
        [
            _wait(3),
            _send(
                "谢谢您第一次选择我们！按您喜欢的品类挑了几款口碑好物，"
                "想看的话回复“看看”，我发给您。",
                "personalised",
            ),
            _wait(14),
            _task("二购跟进", "看看顾客对首单是否满意，按其偏好推荐一款，不打扰不强推。", 3),
        ],
        ["ordered", "opted_out", "left_segment"],
    ),
)
THIRD_ORDER = Template(
    "third_order",
    "三购转化",
    "Two-time buyers (third_order_targets): member benefits explained after 5 days; VIPs "
    "get a guide's call, others a reminder of their benefits 10 days later.",
    _journey(
        "三购转化",
        _segment("third_order_targets"),
        [
            _wait(5),
            _send(
                "感谢您一直以来的信任！您已是我们的老朋友，会员积分和专属权益已为您准备好，随时可以查看。"
            ),
            {"type": "condition", "check": {"kind": "segment", "segment": "vip"}, "otherwise": 5},
            _task("VIP 三购关怀", "致电或私聊感谢，了解需求，提供专属服务。", 2),
            _wait(10),
            _send("老朋友专享：本月为您保留了一份回购礼遇，需要时回复我即可。"),
        ],
        ["ordered", "opted_out", "left_segment"],
    ),
)
PRICE_DROP = Template(
    "semi_private_price_drop",
    "半私域加购降价提醒",
    "Semi-private members who add to cart without buying: one note a day later, only while "
    "the item is on offer (enable it for the offer's duration), and only if they still have no "
    "order.",
    _journey(
        "半私域加购降价提醒",
        {"type": "event", "event_type": "cart"},
        [
            _wait(1),
            {
                "type": "condition",
                "check": {"kind": "segment", "segment": "semi_private_targets"},
                "otherwise": "end",
            },
            _send(
                "您加购的商品正在限时优惠，价格比加购时更划算。需要的话随时下单，有疑问也可以直接问我。"
            ),
        ],
        ["ordered", "opted_out"],
    ),
)
TRIAL = Template(
    "semi_private_trial",
    "高潜客户试用",
    "High-potential prospects (semi-private members active in the last 90 days): a trial "
    "sample offer, and a guide's follow-up a week later.",
    _journey(
        "高潜客户试用",
        _segment("semi_private_targets"),
        [
            {"type": "condition", "check": {"kind": "segment", "segment": "active"}},
            _send("感谢您一直关注我们！为您准备了一份免费试用装，回复地址即可领取，先试试再决定。"),
            _wait(7),
            _task("试用回访", "询问试用感受，解答疑问，合适再推荐正装。", 2),
        ],
        ["ordered", "opted_out", "left_segment"],
    ),
)
WIN_BACK = Template(
    "win_back",
    "沉睡高价值召回",
    "Dormant customers in the top 30% by CLV (win_back): a caring note first, a guide's "
    "personal message a week later, no discount spam.",
    _journey(
        "沉睡高价值召回",
        _segment("win_back"),
        [
            _send("好久不见，最近还好吗？我们上新了几款您可能喜欢的商品，想了解的话回复我就行。"),
            _wait(7),
            _task("沉睡客户关怀", "以关心为主：问问近况与需求，如有售后遗留问题优先解决。", 3),
        ],
        ["ordered", "opted_out", "left_segment"],
    ),
)
LAUNCH = Template(
    "new_product_launch",
    "新品上市",
    "New product: seeding first to VIP customers (trial invitation), then three days later "
    "one announcement to every live WeCom customer group.",
    _journey(
        "新品上市",
        _segment("vip"),
        [
            _send("新品抢先体验：作为我们的老朋友，邀请您先试用并提提意见，回复“体验”即可报名。"),
            _wait(3),
            _send(
                "新品上市啦！感谢老朋友们的试用与建议，详情可在群公告查看，有问题群里随时问。",
                to="groups",
            ),
        ],
        ["opted_out"],
    ),
)
TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (AFTER_SALES, SECOND_ORDER, THIRD_ORDER, PRICE_DROP, TRIAL, WIN_BACK, LAUNCH)
}
