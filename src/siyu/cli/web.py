"""`siyu serve` and `siyu user create|password|token`."""

from __future__ import annotations

import getpass
import os
import secrets
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.errors import NotFoundError
from siyu.security.tables import ROLES, User
from siyu.security.users import create_token, create_user, set_password
from siyu.settings import DATABASE_VARIABLE, SECURE_COOKIES_VARIABLE

user_app = typer.Typer(
    help="Console users: create, reset passwords, API tokens.", no_args_is_help=True
)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark session cookies Secure (when served over HTTPS).")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes on the one port: one per CPU core serves a crowd best "
            "(docs/deploy.md). Each runs SIYU_WEB_THREADS handler threads.",
        ),
    ] = 1,
) -> None:
    """Serve the console at / and the JSON API at /api/v1 (OpenAPI at /api/v1/docs)."""
    from siyu.web.app import create_app, secret_key
    from siyu.web.processes import serve_processes

    context = cli_context(ctx)
    engine = context.engine()
    typer.echo(
        f"siyu console: http://{host}:{port}/   (API docs: http://{host}:{port}/api/v1/docs)"
    )
    if workers == 1:
        app = create_app(context.settings, engine=engine, secure_cookies=secure_cookies)
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    secret_key(engine)  # made once here, so that every process signs cookies with the same key
    os.environ[DATABASE_VARIABLE] = context.settings.database_url
    os.environ[SECURE_COOKIES_VARIABLE] = "1" if secure_cookies else "0"
    raise typer.Exit(serve_processes(host, port, workers))


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "operator",
    staff: Annotated[
        str | None,
        typer.Option(help="For guides: their WeCom userid (they see only their customers)."),
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="The password (prompted when omitted; 10+ characters).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a console user with an argon2-hashed password."""
    secret = password or getpass.getpass("password: ")
    with transaction(cli_context(ctx).engine()) as session:
        user = create_user(
            session, username=username, password=secret, role=role, staff_userid=staff
        )
        result = {"id": user.id, "username": user.username, "role": user.role}
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"user {username} ({role}) created")


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an API token (shown once) for `Authorization: Bearer …`."""
    with transaction(cli_context(ctx).engine()) as session:
        user = _user(session, username)
        token = create_token(session, user, name)
    if as_json:
        emit_json({"username": username, "token": token})
    else:
        typer.echo(token)


def ensure_demo_admin(session: Session) -> tuple[str, str]:
    """The demo's admin login: created, or its password reset, and returned to print."""
    password = secrets.token_urlsafe(12)
    user = session.scalar(select(User).where(User.username == "admin"))
    if user is None:
        create_user(session, username="admin", password=password, role="admin")
    else:
        set_password(session, user, password)
    return "admin", password


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user
