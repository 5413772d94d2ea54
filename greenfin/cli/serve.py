"""``greenfin serve``: run the HTTP API with uvicorn, and manage its API keys.

``greenfin serve [--host 127.0.0.1] [--port 8000] [--db URL]`` migrates the database (creating the embedded
SQLite file if needed) and hands uvicorn the import string ``api.main:create_app`` with ``factory=True``,
so nothing in greenfin imports the web layer. ``greenfin serve create-key --tenant bank-a --role bank``
prints a new key once.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from greenfin.cli._common import emit

NAME = "serve"

app = typer.Typer(
    help="Run the HTTP API (uvicorn) on the embedded database, or manage API keys.",
    invoke_without_command=True,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy database URL [default: $GREENFIN_DATABASE_URL or sqlite:///greenfin.sqlite]."
    ),
]


def _database_url(ctx: typer.Context, db: str | None) -> str:
    """``--db`` of the sub-command, else ``--db`` given before it (``greenfin serve --db URL create-key``)."""
    from greenfin.store import database_url

    parent = ctx.parent.params.get("db") if ctx.parent is not None else None
    return database_url(db or parent)


@app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (keep 127.0.0.1 behind a reverse proxy).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    db: DbOption = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (rate limits and caches are per process).")
    ] = 1,
) -> None:
    """Start the API (OpenAPI docs at /docs); sub-commands manage API keys."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from greenfin.store import init_db

    url = _database_url(ctx, db)
    init_db(url)
    os.environ["GREENFIN_DATABASE_URL"] = url
    os.environ["GREENFIN_LOG_LEVEL"] = log_level.upper()
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,  # the API writes its own JSON access line with the request id
        proxy_headers=True,
        server_header=False,
        workers=workers,
    )


@app.command("create-key")
def create_key(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(help="Tenant id, e.g. bank-a (created if new).")],
    role: Annotated[str, typer.Option(help="bank, insurer, finance_office or admin.")],
    label: Annotated[str, typer.Option(help="Free text to recognise the key later.")] = "",
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue an API key and print it once (only its SHA-256 digest is stored)."""
    from sqlalchemy.orm import Session

    from greenfin.store import init_db
    from greenfin.store._access import issue_key

    engine = init_db(_database_url(ctx, db))
    with Session(engine) as session, session.begin():
        issued = issue_key(session, tenant, role, label=label)
    engine.dispose()
    emit(
        {
            "key": issued.key,
            "key_id": issued.principal.key_id,
            "tenant_id": issued.principal.tenant_id,
            "role": issued.principal.role,
            "note": "Store the key now: it cannot be shown again.",
        },
        as_json=as_json,
        title="greenfin API key",
    )


@app.command("revoke-key")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="Public id of the key (the 12 hex digits after gfk_).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Revoke an API key; it stops working at once."""
    from sqlalchemy.orm import Session

    from greenfin.store import init_db
    from greenfin.store._access import revoke_key

    engine = init_db(_database_url(ctx, db))
    with Session(engine) as session, session.begin():
        revoke_key(session, key_id)
    engine.dispose()
    emit({"revoked": key_id}, as_json=as_json, title="greenfin API key")
