"""Customers: OneID identity resolution, behaviour, and the customer 360."""
