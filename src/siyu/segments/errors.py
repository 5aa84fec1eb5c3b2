"""What can go wrong with tags, rules and segments, each with a stable code."""

from __future__ import annotations

from enum import StrEnum

from siyu.errors import InvalidInputError, NotFoundError


class RuleErrorCode(StrEnum):
    INVALID_DOCUMENT = "invalid_document"
    VERSION_MISMATCH = "version_mismatch"
    UNKNOWN_CONDITION = "unknown_condition"
    UNKNOWN_KEY = "unknown_key"
    MISSING_KEY = "missing_key"
    UNKNOWN_FIELD = "unknown_field"
    WRONG_OPERATOR = "wrong_operator"
    WRONG_VALUE_TYPE = "wrong_value_type"
    WRONG_VALUE = "wrong_value"
    UNKNOWN_TAG = "unknown_tag"
    AMBIGUOUS_TAG = "ambiguous_tag"
    UNKNOWN_SEGMENT = "unknown_segment"
    UNKNOWN_CATALOGUE_ITEM = "unknown_catalogue_item"
    CYCLE = "cycle"
    NOT_AVAILABLE = "not_available"


class RuleError(InvalidInputError):
    """An invalid rule: where (a JSON path such as `$.rule.and[2].field`) and why."""

    code = "invalid_rule"

    def __init__(self, path: str, reason: str, kind: RuleErrorCode) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.kind = kind


class SegmentNotFoundError(NotFoundError):
    code = "segment_not_found"


class TagNotFoundError(NotFoundError):
    code = "tag_not_found"


class SegmentReadOnlyError(InvalidInputError):
    code = "segment_read_only"


class TagError(InvalidInputError):
    code = "invalid_tag_action"


class CustomerSelectionError(InvalidInputError):
    code = "invalid_customer_selection"
