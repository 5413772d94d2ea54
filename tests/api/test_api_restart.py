"""Records written through a real ``greenfin serve`` process survive ``kill -9`` and a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from greenfin.store import init_db
from greenfin.store._access import issue_key

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GREENFIN_DATABASE_URL", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from greenfin.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--db",
                url,
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"greenfin serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"greenfin serve did not become ready:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_records_survive_kill_9_and_restart(database_url: str, tmp_path: Path) -> None:
    engine = init_db(database_url)
    with Session(engine) as session, session.begin():
        key = issue_key(session, "bank-a", "bank").key
    engine.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = _serve(database_url, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        right = {
            "right_id": "W1",
            "owner_id": "B1",
            "right_type": "water_right",
            "certificate_no": "c-1",
            "registry": "movable_unified",
            "term_end": "2035-12-31",
        }
        assert httpx.post(f"{base}/v1/rights", json=right, headers=headers, timeout=30).status_code == 201
        pledge = {"loan_ref": "L-1", "amount_cny": 123_456.78, "start": "2026-07-01", "end": "2029-06-30"}
        created = httpx.post(f"{base}/v1/rights/W1/pledges", json=pledge, headers=headers, timeout=30)
        assert created.status_code == 201
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    port = _free_port()
    proc = _serve(database_url, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        pledges = httpx.get(f"{base}/v1/rights/W1/pledges", headers=headers, timeout=30).json()
        assert pledges == [created.json()]
        audit = httpx.get(f"{base}/v1/audit", headers=headers, timeout=30).json()
        assert [e["action"] for e in audit if e["detail"].get("via") == "api"] == ["right.register", "pledge.create"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
