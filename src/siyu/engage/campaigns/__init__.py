"""Campaigns: one message (in A/B/n variants) to a saved segment, with a stratified holdout,
planned through the governor into the outbox, and results measured against the holdout."""
