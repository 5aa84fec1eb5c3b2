"""The contact-pressure governor: consent, caps, WeCom quotas, quiet and preferred hours."""
