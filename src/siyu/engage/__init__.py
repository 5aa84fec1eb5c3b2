"""Reach with care: channels, the outbox, the contact-pressure governor and the worker.

Every outbound message is an outbox row with an idempotency key and a state. The governor
places it in an allowed slot (consent, frequency caps, WeCom quotas, quiet hours, the customer's
own hours, no repeated content) when it is planned, and checks again when a worker claims it.
Channels (WeCom, SMS, e-mail, webhook, console) share one interface.
"""
