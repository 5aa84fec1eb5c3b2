"""`siyu worker`, `siyu outbox list|show`, `siyu consent set|show`, `siyu quota show`."""

from __future__ import annotations

import signal
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.engage.governor.consent import load_consents, set_consent
from siyu.engage.governor.quota import quota_view
from siyu.engage.queries import list_messages, show_message
from siyu.engage.settings import EngageSettings
from siyu.engage.worker import Worker, WorkerOptions, default_name
from siyu.workers.jobs import JobRunner
from siyu.workers.registry import JOBS

outbox_app = typer.Typer(help="Look at outbound messages and their attempts.", no_args_is_help=True)
consent_app = typer.Typer(help="Record and show customers' consent.", no_args_is_help=True)
quota_app = typer.Typer(help="Show how much contact a customer has left.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
CustomerArgument = Annotated[int, typer.Argument(metavar="CUSTOMER", help="Customer id.")]


def engage_settings(ctx: typer.Context) -> EngageSettings:
    settings = EngageSettings.from_env()
    zone = cli_context(ctx).settings.timezone_name
    return replace(settings, policy=replace(settings.policy, timezone_name=zone))


def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit.")] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Messages per claim.")] = 200,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Parallel calls per channel.")
    ] = 8,
    lease: Annotated[
        float,
        typer.Option("--lease", min=1.0, help="Seconds a claim holds before others retake it."),
    ] = 60.0,
    poll: Annotated[
        float, typer.Option("--poll", min=0.05, help="Seconds to wait when idle.")
    ] = 1.0,
    name: Annotated[str | None, typer.Option("--name", help="Worker name (host:pid).")] = None,
    jobs: Annotated[
        bool,
        typer.Option("--jobs/--no-jobs", help="Run due scheduled jobs between claims."),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Send due outbox messages through the configured channels (SIYU_* settings).

    Runs until interrupted (Ctrl-C or SIGTERM finish the batch in hand), or with --once until
    nothing is due. Several workers may run at once: none ever sends a message another holds.
    Between claims it runs the scheduled jobs that are due (`siyu jobs list`); each due job
    runs in one worker only.
    """
    engine = cli_context(ctx).engine()
    settings = engage_settings(ctx)
    options = WorkerOptions(
        name=name or default_name(), batch=batch, lease_seconds=lease, poll_seconds=poll
    )
    runner = JobRunner(engine, JOBS, settings, runner=options.name) if jobs else None
    running = Worker(
        engine,
        settings.channels(concurrency=concurrency),
        policy=settings.policy,
        options=options,
        jobs=runner,
    )
    try:
        report = running.drain() if once else _run_until_stopped(running)
    finally:
        running.close()
    if as_json:
        emit_json(report.as_dict())
    else:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) or "nothing"
        typer.echo(
            f"{options.name}: {report.claimed} claimed in {report.batches} batches: {outcomes}"
        )


def _run_until_stopped(running: Worker) -> Any:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        return running.run(stop)
    except KeyboardInterrupt:
        stop.set()
        return running.run(stop)


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel.")] = None,
    customer: Annotated[int | None, typer.Option("--customer", help="Only this customer.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List outbox messages, newest first, with the count per state."""
    with transaction(cli_context(ctx).engine()) as session:
        rows, counts = list_messages(
            session, state=state, channel=channel, customer_id=customer, source=source, limit=limit
        )
    if as_json:
        emit_json({"counts": counts, "messages": [row.as_dict() for row in rows]})
        return
    typer.echo("  ".join(f"{name} {count}" for name, count in counts.items()) or "no messages")
    for row in rows:
        when = row.scheduled_at.isoformat() if row.scheduled_at else "-"
        typer.echo(
            f"{row.id:>8}  {row.state:<10} {row.channel:<8} {when:<26} "
            f"{row.idempotency_key}  {row.reason or ''}"
        )


@outbox_app.command("show")
def outbox_show(
    ctx: typer.Context,
    message: Annotated[str, typer.Argument(metavar="ID|KEY", help="Message id or key.")],
    as_json: JsonOption = False,
) -> None:
    """Show one message: its state, reason, content and every attempt."""
    with transaction(cli_context(ctx).engine()) as session:
        detail = show_message(session, message)
    if as_json:
        emit_json(detail.as_dict())
        return
    for name, value in detail.message.items():
        typer.echo(f"{name:>16}: {value}")
    typer.echo(f"{'content':>16}: {detail.content.get('text', '')}")
    for attempt in detail.attempts:
        typer.echo(
            f"  attempt {attempt['attempt']} by {attempt['worker']}: {attempt['outcome']} "
            f"{attempt['error_kind'] or ''} {attempt['detail']}"
        )


@consent_app.command("set")
def consent_set(
    ctx: typer.Context,
    customer: CustomerArgument,
    channel: Annotated[str, typer.Option("--channel", help="wecom|sms|email|webhook|console|all")],
    purpose: Annotated[str, typer.Option("--purpose", help="marketing|personalised|service")],
    granted: Annotated[bool, typer.Option("--grant/--refuse", help="Grant or refuse.")],
    source: Annotated[str, typer.Option("--source", help="Where the decision came from.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Record a customer's consent decision; a refusal suppresses pending messages at once."""
    with transaction(cli_context(ctx).engine()) as session:
        suppressed = set_consent(
            session,
            customer_id=customer,
            channel=channel,
            purpose=purpose,
            granted=granted,
            source=source,
            at=datetime.now(UTC),
        )
    result = {
        "customer_id": customer,
        "channel": channel,
        "purpose": purpose,
        "granted": granted,
        "suppressed": suppressed,
    }
    if as_json:
        emit_json(result)
    else:
        verb = "granted" if granted else "refused"
        typer.echo(f"customer {customer}: {purpose} by {channel} {verb}; {suppressed} suppressed")


@consent_app.command("show")
def consent_show(
    ctx: typer.Context, customer: CustomerArgument, as_json: JsonOption = False
) -> None:
    """Show a customer's effective consent per channel and purpose, and the recorded rows."""
    engine = cli_context(ctx).engine()
    with transaction(engine) as session:
        view = quota_view(
            session, customer, policy=engage_settings(ctx).policy, now=datetime.now(UTC)
        )
        rows = load_consents(session, [customer])
    recorded = [
        {"channel": c, "purpose": p, "granted": bool(g)}
        for c, p, g in zip(
            rows.channel.tolist(), rows.purpose.tolist(), rows.granted.tolist(), strict=True
        )
    ]
    if as_json:
        emit_json({"customer_id": customer, "effective": view.consent, "recorded": recorded})
        return
    for channel, purposes in view.consent.items():
        allowed = ", ".join(p for p, ok in purposes.items() if ok) or "nothing"
        typer.echo(f"{channel:<8} allows {allowed}")


@quota_app.command("show")
def quota_show(ctx: typer.Context, customer: CustomerArgument, as_json: JsonOption = False) -> None:
    """Show what contact a customer has left today, in 7 days and in WeCom's quota period."""
    with transaction(cli_context(ctx).engine()) as session:
        view = quota_view(
            session, customer, policy=engage_settings(ctx).policy, now=datetime.now(UTC)
        )
    if as_json:
        emit_json(view.as_dict())
        return
    every = view.all_channels.as_dict()
    typer.echo(
        f"customer {customer}: {every['left_today']} left today, {every['left_7_days']} in 7 days"
    )
    wecom = view.wecom_quota
    typer.echo(
        f"  WeCom quota ({wecom['mode']} from {wecom['period_start']}): {wecom['left']} left"
    )
    typer.echo(f"  best hour {view.best_hour}; quiet {view.quiet_hours}")
