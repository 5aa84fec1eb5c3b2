"""Accounts: staff (shopping-guide) WeCom accounts, their contacts, and customer groups."""
