"""A journey definition: a versioned JSON document, validated into pydantic models.

```json
{"schema_version": 1, "name": "售后关怀", "trigger": {"type": "order_delivered"},
 "steps": [{"type": "send", "channel": "wecom", "content": {"text": "…"}},
           {"type": "wait", "days": 7}, …],
 "exits": ["ordered"], "holdout_share": 0.1}
```

Steps are numbered from 1 in the order given; a condition continues with the next step when
its check holds and otherwise jumps forward (`otherwise`: a later step number, or "end").
Errors name the JSON path of the bad field (`$.steps[2].channel: …`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from siyu.engage.journeys.errors import InvalidJourneyError
from siyu.engage.tables import CHANNELS, PURPOSES

SCHEMA_VERSION = 1
EVENT_TYPES = ("search", "view", "follow", "favourite", "cart", "share")
EXITS = ("ordered", "opted_out", "left_segment")
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class EnteredSegment(Strict):
    type: Literal["entered_segment"]
    segment: Name  # a segment's code or name


class OrderPaid(Strict):
    type: Literal["order_paid"]


class OrderShipped(Strict):
    type: Literal["order_shipped"]


class OrderDelivered(Strict):
    """Orders record no carrier delivery time: delivered is the order's completion (确认收货)."""

    type: Literal["order_delivered"]


class ContactAdded(Strict):
    type: Literal["contact_added"]


class NoOrderFor(Strict):
    type: Literal["no_order_for"]
    days: int = Field(ge=1, le=3650)


class Birthday(Strict):
    """Reads the optional customer attribute `attribute` (`YYYY-MM-DD` or `MM-DD`)."""

    type: Literal["birthday"]
    attribute: Name = "birthday"


class EventHappened(Strict):
    type: Literal["event"]
    event_type: Literal["search", "view", "follow", "favourite", "cart", "share"]


Trigger = Annotated[
    EnteredSegment
    | OrderPaid
    | OrderShipped
    | OrderDelivered
    | ContactAdded
    | NoOrderFor
    | Birthday
    | EventHappened,
    Field(discriminator="type"),
]


class Wait(Strict):
    """A duration, or until a profile date (the expected next purchase) plus `offset_days`;
    without that date, `fallback_days` (or the customer leaves with reason `no_date`)."""

    type: Literal["wait"]
    days: int = Field(default=0, ge=0, le=365)
    hours: int = Field(default=0, ge=0, le=23)
    until: Literal["next_purchase_on"] | None = None
    offset_days: int = Field(default=0, ge=-60, le=60)
    fallback_days: int | None = Field(default=None, ge=0, le=365)

    @model_validator(mode="after")
    def _some_wait(self) -> Wait:
        if self.until is None and self.days == 0 and self.hours == 0:
            raise ValueError("a wait needs days, hours or until")
        return self


ProfileField = Literal[
    "stage",
    "order_stage",
    "orders",
    "net_revenue_fen",
    "clv_fen",
    "p_alive",
    "rfm_segment",
    "top_category",
    "expected_purchases_90",
    "reachable",
]
Scalar = str | int | float | bool
LARGEST = 2**53
PROFILE_KINDS: dict[str, type] = {
    "stage": str,
    "order_stage": str,
    "orders": float,
    "net_revenue_fen": float,
    "clv_fen": float,
    "p_alive": float,
    "rfm_segment": str,
    "top_category": str,
    "expected_purchases_90": float,
    "reachable": bool,
}


class ProfileCheck(Strict):
    kind: Literal["profile"]
    field: ProfileField
    op: Literal["eq", "ne", "lt", "lte", "gt", "gte", "in"]
    value: Scalar | list[Scalar]

    @model_validator(mode="after")
    def _value_fits(self) -> ProfileCheck:
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError("op 'in' takes a list of values, the others one value")
        kind = PROFILE_KINDS[self.field]
        for value in self.value if isinstance(self.value, list) else [self.value]:
            if not _is_kind(value, kind):
                raise ValueError(
                    f"{self.field} compares with {kind.__name__} values, not {value!r}"
                )
            if kind is float and abs(value) > LARGEST:  # type: ignore[arg-type]
                raise ValueError(f"{self.field}: {value!r} is out of range")
        if kind is bool and self.op not in ("eq", "ne"):
            raise ValueError(f"{self.field} takes op eq or ne")
        return self


def _is_kind(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


class SegmentCheck(Strict):
    kind: Literal["segment"]
    segment: Name


class TagCheck(Strict):
    kind: Literal["tag"]
    tag: Name
    group: Name | None = None


Check = Annotated[ProfileCheck | SegmentCheck | TagCheck, Field(discriminator="kind")]


class Condition(Strict):
    type: Literal["condition"]
    check: Check
    negate: bool = False
    otherwise: int | Literal["end"] = "end"  # a later step number


class MessageContent(Strict):
    text: str = Field(min_length=1, max_length=1000)
    subject: str = Field(default="", max_length=200)
    link_url: str = Field(default="", max_length=500)
    template_code: str = Field(default="", max_length=64)
    template_params: dict[str, str] = Field(default_factory=dict, max_length=20)


class Send(Strict):
    """To the customer, or (`to: groups`, WeCom) once to every live customer group."""

    type: Literal["send"]
    channel: Literal["wecom", "sms", "email", "webhook", "console"]
    purpose: Literal["marketing", "personalised", "service"] = "marketing"
    content: MessageContent
    to: Literal["customer", "groups"] = "customer"
    window_days: int = Field(default=3, ge=1, le=31)

    @model_validator(mode="after")
    def _channel_fits(self) -> Send:
        if self.to == "groups" and self.channel != "wecom":
            raise ValueError("messages to groups go through the wecom channel only")
        if self.channel == "sms" and not self.content.template_code:
            raise ValueError("SMS content needs a template_code")
        return self


class AddTag(Strict):
    type: Literal["tag"]
    tag: Name
    group: Name | None = None


class StaffTaskStep(Strict):
    """A task for the customer's shopping guide (their latest live WeCom contact)."""

    type: Literal["task"]
    title: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=1000)
    due_days: int = Field(default=1, ge=0, le=60)


class IssueCoupon(Strict):
    """One coupon of a template (siyu coupon …) to each customer at this step, within the
    template's per-customer limit; at most one per step and enrolment day."""

    type: Literal["coupon"]
    template_id: int = Field(ge=1, le=2**62)


Step = Annotated[
    Wait | Condition | Send | AddTag | StaffTaskStep | IssueCoupon, Field(discriminator="type")
]


class JourneyDefinition(Strict):
    schema_version: Literal[1] = 1
    name: Name
    description: str = Field(default="", max_length=2000)
    trigger: Trigger
    steps: list[Step] = Field(min_length=1, max_length=50)
    exits: list[Literal["ordered", "opted_out", "left_segment"]] = Field(
        default_factory=list, max_length=3
    )
    holdout_share: float = Field(default=0.1, ge=0.0, lt=1.0)
    backfill_days: int = Field(default=0, ge=0, le=90)

    @model_validator(mode="after")
    def _consistent(self) -> JourneyDefinition:
        if len(set(self.exits)) != len(self.exits):
            raise ValueError("exits: each exit at most once")
        if "left_segment" in self.exits and not isinstance(self.trigger, EnteredSegment):
            raise ValueError("exit left_segment needs an entered_segment trigger")
        for number, step in enumerate(self.steps, start=1):
            jump = step.otherwise if isinstance(step, Condition) else "end"
            if isinstance(jump, int) and not number < jump <= len(self.steps):
                raise ValueError(
                    f"step {number}: otherwise must be a later step (up to "
                    f"{len(self.steps)}) or 'end', not {jump}"
                )
        return self

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def parse_definition(document: Any) -> JourneyDefinition:
    """The validated definition, or InvalidJourneyError naming the first bad fields' paths."""
    text = _nul_path(document, "$")
    if text is not None:
        raise InvalidJourneyError(f"invalid journey: {text}: text may not contain NUL characters")
    try:
        return JourneyDefinition.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{json_path(document, item['loc'])}: {item['msg']}" for item in error.errors()[:5]
        ]
        raise InvalidJourneyError("invalid journey: " + "; ".join(problems)) from None


def _nul_path(node: Any, path: str) -> str | None:
    """The path of the first string (or key) with a NUL character, which no database stores."""
    if isinstance(node, str):
        return path if "\x00" in node else None
    children: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and "\x00" in key:
                return path
            children.append((f"{path}.{key}", value))
    elif isinstance(node, list):
        children = [(f"{path}[{index}]", value) for index, value in enumerate(node)]
    for child_path, child in children:
        found = _nul_path(child, child_path)
        if found is not None:
            return found
    return None


def json_path(document: Any, location: tuple[int | str, ...]) -> str:
    """`$.steps[2].channel` from a pydantic location, without the union tags it adds."""
    path, node = "$", document
    for part in location:
        if isinstance(node, dict) and part not in node and _is_tag(node, part):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        else:
            path += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return path


def _is_tag(node: dict[Any, Any], part: int | str) -> bool:
    return part in (node.get("type"), node.get("kind")) or str(part).startswith(
        ("function-", "int", "literal", "str", "list", "float", "bool")
    )


__all__ = ["CHANNELS", "EXITS", "PURPOSES", "JourneyDefinition", "parse_definition"]
