"""Long-running interfaces: the scheduled jobs that `siyu worker` runs between outbox claims."""
