"""Security: console users and roles, API tokens, access checks, the audit log."""
