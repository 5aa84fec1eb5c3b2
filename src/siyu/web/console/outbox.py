"""Console: the outbox, filterable, and one message with its attempts and suppression reason.
A guide sees only the messages to their own customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from siyu.engage.tables import CHANNELS, STATES
from siyu.web.api.outbox import message, outbox
from siyu.web.console.render import page
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    state: Annotated[str | None, Query(max_length=16)] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    customer_id: Annotated[str | None, Query(max_length=20)] = None,
    source: Text = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    customer = int(customer_id) if customer_id and customer_id.isdigit() else None
    found = outbox(
        session, actor, state=state or None, channel=channel or None, customer_id=customer,
        source=source or None, page=page_number, page_size=50,
    )  # fmt: skip
    filters = {"state": state or "", "channel": channel or "", "source": source or "",
               "customer_id": customer_id or ""}  # fmt: skip
    return page(
        request, "outbox.html", actor, found=found, filters=filters, states=STATES,
        channels=CHANNELS, page_number=page_number,
    )  # fmt: skip


@router.get("/outbox/{message_id}", response_class=HTMLResponse)
def message_page(
    request: Request, session: DbSession, actor: CurrentActor, message_id: int
) -> HTMLResponse:
    detail = message(session, actor, message_id)
    return page(request, "message.html", actor, detail=detail)
