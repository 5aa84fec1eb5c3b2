"""Every scheduled job the workers run. Adding a job is one line here:

    Job("campaigns.launch_due", timedelta(minutes=1), campaigns.launch_due),

where the function is `(engine, now, settings: EngageSettings) -> str` (a one-line summary for
`siyu jobs list`), lives in its capability, commits its own transactions, and is safe to run
again (a run can be cut short by a crash). `enabled=` skips a job when its service is not
configured. A job's name is its `job_runs` key: keep it once released.
"""

from __future__ import annotations

from datetime import timedelta

from siyu.engage import jobs as engage
from siyu.workers.jobs import Job

JOBS: tuple[Job, ...] = (
    Job("learn_contact_hours", timedelta(days=1), engage.learn_hours),
    Job("wecom_followup", timedelta(minutes=2), engage.wecom_followup, engage.wecom_configured),
    Job("sms_receipts", timedelta(minutes=5), engage.sms_receipts, engage.sms_configured),
    Job("campaigns.launch_due", timedelta(minutes=1), engage.launch_due),
    Job("journeys.tick", timedelta(minutes=5), engage.run_journeys),
)
