"""Members and fission: tiers, the points ledger, coupons, referrals and distributors.

Tables are in `tables.py`; reads and writes in one module per sub-capability. Every write takes
the session keyword-only and flushes; the entry point commits. Ledgers are append-only and
balances are always derived from them.
"""
