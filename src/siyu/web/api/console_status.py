"""HTTP statuses of the error codes the segments, tags, outbox and settings API can answer."""

from __future__ import annotations

CONSOLE_STATUS = {
    "segment_not_found": 404,
    "tag_not_found": 404,
    "unknown_message": 404,
    "unknown_customer": 404,
    "invalid_rule": 422,
    "invalid_setting": 422,
    "segment_read_only": 409,
    "invalid_tag_action": 422,
    "invalid_customer_selection": 422,
    "invalid_request": 422,
}
