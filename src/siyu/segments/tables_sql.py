"""The Core tables rules read, and the tables other capabilities will add (by name only)."""

from __future__ import annotations

from sqlalchemy import column, table

from siyu.analytics.tables import CustomerProfile
from siyu.commerce.tables import Order, OrderLine
from siyu.customers.tables import BehaviourEvent, Customer
from siyu.db.base import table_of
from siyu.segments.tables import CustomerTag

CUSTOMERS = table_of(Customer)
PROFILES = table_of(CustomerProfile)
EVENTS = table_of(BehaviourEvent)
ORDERS = table_of(Order)
ORDER_LINES = table_of(OrderLine)
CUSTOMER_TAGS = table_of(CustomerTag)

# Added by the reach capability: one current decision per customer, channel ('all' = every
# channel) and purpose; the latest decision (by `at`, then `id`) wins.
CONSENTS = table(
    "consents",
    column("id"),
    column("customer_id"),
    column("channel"),
    column("purpose"),
    column("granted"),
    column("at"),
)
CONSENT_ALL_CHANNELS = "all"
DEFAULT_CONSENT_PURPOSE = "marketing"
# Added by the loyalty capability: who invited whom; `status` says whether it qualified.
REFERRALS = table("referrals", column("inviter_id"), column("invitee_id"), column("status"))
QUALIFIED_REFERRAL_STATUSES = ("qualified", "rewarded")
# Added by the loyalty capability: each member's current tier, and the configured levels.
MEMBER_TIERS = table("member_tiers", column("customer_id"), column("tier_id"))
TIER_LEVELS = table("tier_levels", column("id"), column("code"))
