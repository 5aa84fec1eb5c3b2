"""The JSON API under /api/v1: thin routes over the capabilities, with token or session auth."""
