"""``greenfin serve create-key`` / ``revoke-key`` through the real command (no server needed)."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.store import init_db
from greenfin.store._access import ApiKey, authenticate_key

runner = CliRunner()


def test_create_key_prints_it_once_and_stores_only_its_digest(sqlite_url: str) -> None:
    result = runner.invoke(
        app, ["serve", "--db", sqlite_url, "create-key", "--tenant", "bank-a", "--role", "bank", "--json"]
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert issued["key"].startswith(f"gfk_{issued['key_id']}_")
    engine = init_db(sqlite_url)
    with Session(engine) as session:
        principal = authenticate_key(session, issued["key"])
        row = session.get(ApiKey, issued["key_id"])
        assert principal is not None
        assert (principal.tenant_id, principal.role) == ("bank-a", "bank")
        assert row is not None
        assert issued["key"].split("_", 2)[2] not in row.secret_sha256
    result = runner.invoke(app, ["serve", "revoke-key", issued["key_id"], "--db", sqlite_url, "--json"])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert authenticate_key(session, issued["key"]) is None
    engine.dispose()


def test_bad_role_is_one_line_and_exit_2(sqlite_url: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "serve",
            "create-key",
            "--tenant",
            "bank-a",
            "--role",
            "teller",
            "--db",
            sqlite_url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "'role' parameter of issue_key" in proc.stderr


def test_serve_help_lists_the_options() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--workers", "create-key", "revoke-key"):
        assert option in result.output
