"""Options shared by every command, and the workspace they open.

Only typer is imported here: ``creditfarm --help`` must not pay for pandas, SQLAlchemy or the
settings. The library is imported when a command opens its workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from creditfarm.workspace import Workspace

# `--db` is taken before the command (`creditfarm --db URL rates`) and after it
# (`creditfarm rates --db URL`); given after the command it wins.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: CREDITFARM_DATABASE_URL or data/creditfarm.db)",
        metavar="URL",
        show_default=False,
    ),
]

_state: dict[str, str | None] = {"db": None}


def global_options(db: DbOption = None) -> None:
    """creditfarm: 农户建档 · 预授信 · 信用村评定."""
    _state["db"] = db


def database_url(db: str | None) -> str | None:
    """``--db`` given after the command, else before it (None: the settings decide)."""
    return db or _state["db"]


def workspace(db: str | None = None, *, writes_payments: bool = False) -> Workspace:
    """The workspace of ``--db`` (after the command, else before it, else the settings).
    ``writes_payments``: check its payment store now, so that a machine without the shared
    store refuses before importing anything rather than file by file."""
    from creditfarm.settings import get_settings
    from creditfarm.workspace import WorkspaceError, open_workspace

    try:
        ws = open_workspace(get_settings(), database_url=database_url(db))
        if writes_payments:
            ws.payments_root  # noqa: B018  (the property checks the store's marker)
        return ws
    except WorkspaceError as exc:
        fail(str(exc))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a clear error on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


if TYPE_CHECKING:
    from creditfarm.access import Permission, Principal


def origin() -> str:
    """Where a command runs, for the audit trail."""
    import os

    return f"cli@{os.uname().nodename}"


def acting_principal(ws: Workspace, needs: Permission) -> Principal:
    """Who runs this command, holding ``needs`` (else the command is refused).

    ``CREDITFARM_USER`` names an account: its password comes from ``CREDITFARM_PASSWORD`` (for
    scripts) or a prompt, and is checked as at the app's sign-in (lock-out included). Without
    it, only in demo mode, the command runs as the demo operator ``demo`` in the role the
    command needs; outside demo mode it is refused.
    """
    import getpass
    import os

    from creditfarm.access import PERMISSIONS, AccessDenied, Role, require, system_principal
    from creditfarm.accounts import SignInRefused, authenticate, record_event

    username = os.environ.get("CREDITFARM_USER", "").strip()
    if not username:
        if not ws.settings.demo_mode:
            fail("set CREDITFARM_USER (and CREDITFARM_PASSWORD, or answer the prompt): 请先登录")
        # The county-wide role that holds it (a loan officer would see no village).
        role = next(r for r in (Role.credit_supervisor, Role.admin) if needs in PERMISSIONS[r])
        return system_principal(role=role, username="demo")
    password = os.environ.get("CREDITFARM_PASSWORD")
    if password is None:
        password = getpass.getpass(f"{username} 的密码: ")
    try:
        principal = authenticate(ws, username=username, password=password)
    except SignInRefused as exc:
        record_event(ws, actor=username, action="signin_failed", origin=origin())
        fail(str(exc))
    record_event(ws, actor=principal, action="signin", origin=origin())
    try:
        require(principal, needs)
    except AccessDenied as exc:
        fail(str(exc))
    return principal
