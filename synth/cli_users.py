"""`synth users …` (accounts, roles, tokens) and `synth audit` (who did what). Operators run these on the
server; each change is itself audited, with the operating-system user as the actor."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from synth.cli_common import err, out, services

users_app = typer.Typer(help="Users of the API and the web pages: roles, tokens, passwords.", no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="read the password (12+ characters) from "
                                             "standard input, e.g. `printf %s \"$PW\" | synth users add …`")]


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return "cli"


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        err.print("[red]error:[/] --password-stdin: nothing on standard input")
        raise typer.Exit(1)
    return password


@users_app.command("add")
def users_add(name: str, role: Annotated[str, typer.Option(help="admin, coordinator, leadership or note_taker")],
              password_stdin: PasswordStdin = False) -> None:
    """Create a user; prints their API token as the last line (shown once: only its hash is kept)."""
    password = _read_password() if password_stdin else None
    with services() as svc:
        token = svc.users.add(name, role, password)
        svc.audit.record(_operator(), "users.add", name, {"role": role, "password": password is not None})
    err.print(f"created {escape(name)} ({role}); the API token follows. Send it as "
              "`Authorization: Bearer <token>`; it is not shown again.")
    out.print(token)


@users_app.command("token")
def users_token(name: str) -> None:
    """Issue another API token for a user (printed as the last line)."""
    with services() as svc:
        token = svc.users.issue_token(name)
        svc.audit.record(_operator(), "users.token", name)
    out.print(token)


@users_app.command("revoke")
def users_revoke(name: str) -> None:
    """Revoke every API token and web session of a user."""
    with services() as svc:
        count = svc.users.revoke(name)
        svc.audit.record(_operator(), "users.revoke", name, {"revoked": count})
    out.print(f"revoked {count} token(s) and session(s) of {escape(name)}")


@users_app.command("password")
def users_password(name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's web sign-in password (ends their web sessions)."""
    if not password_stdin:
        err.print("[red]error:[/] pass the new password on standard input with --password-stdin")
        raise typer.Exit(1)
    password = _read_password()
    with services() as svc:
        svc.users.set_password(name, password)
        svc.audit.record(_operator(), "users.password", name)
    out.print(f"password set for {escape(name)}")


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Users, their roles, whether they can sign in on the web, and how many API tokens they hold."""
    with services() as svc:
        users = svc.users.list()
    if as_json:
        print(json.dumps([{"name": n, "role": r.value, "password": p, "tokens": t} for n, r, p, t in users]))
        return
    table = Table("name", "role", "web sign-in", "API tokens")
    for name, role, has_password, tokens in users:
        table.add_row(escape(name), role.value, "yes" if has_password else "no", str(tokens))
    out.print(table)


def audit(actor: Annotated[str | None, typer.Option(help="only this user (cli:NAME for operators)")] = None,
          action: Annotated[str | None, typer.Option(help="an action or its prefix, e.g. themes. or records.read")]
          = None,
          since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
          limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The audit trail, newest first: who read which district's records and quotes, who changed the taxonomy,
    ingested, or managed users."""
    try:
        start = dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None
    except ValueError:
        err.print(f"[red]error:[/] --since {since!r}: use YYYY-MM-DD")
        raise typer.Exit(1) from None
    with services() as svc:
        entries = svc.audit.entries(actor=actor, action=action, since=start, limit=limit)
    if as_json:
        print(json.dumps([{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                           "target": e.target, "detail": e.detail} for e in entries]))
        return
    table = Table("at (UTC)", "actor", "action", "target", "detail")
    for e in entries:
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M:%S"), escape(e.actor), e.action, escape(e.target),
                      escape(json.dumps(e.detail, sort_keys=True)))
    out.print(table)
