"""HTTP API latency and throughput against a real ``greenfin serve`` on loopback (127.0.0.1 only).

Starts ``greenfin serve`` as a subprocess on a free loopback port with a fresh SQLite database, issues
a bank key, uploads a scorecard fitted on the bundled county borrowers, then for each route:

* ``fixed_rate``: an open-loop load at ``--rate`` requests/s for ``--seconds`` with at most
  ``--max-in-flight`` outstanding requests (latency is measured from each request's *scheduled* send time,
  so a stalled server cannot hide queueing; a request that cannot start on time is counted ``late``);
* ``saturation``: ``--workers`` closed-loop clients for ``--sat-seconds``; throughput is completed
  requests per second.

Routes: single-borrower scoring (``score_borrower``) and single-right valuation (``value_right``).
Load comes from one asyncio process writing prepared HTTP/1.1 requests on keep-alive connections (a few
microseconds of client CPU per request, so on this 2-core machine the client does not starve the server;
httpx would cost about as much CPU per request as the route itself). Every loop is bounded in count and
time and the server is stopped at the end. Nothing asserts on time.

    python -m benchmarks.api [--rate 200] [--seconds 30] [--sat-seconds 10] [--workers 16] [--server-workers 1]
                             [--routes score_borrower value_right]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks._harness import emit, machine

HOST = "127.0.0.1"  # loopback only, never another address
REPO = Path(__file__).resolve().parents[1]
WATER = {
    "right_id": "W1",
    "borrower_id": "B1",
    "right_type": "water_right",
    "term_end": "2035-12-31",
    "permit_quantity_per_year": 1.36e8,
    "unit_price_cny": 0.15,
    "registry": "movable_unified",
}
FEATURES = ("past_delinquencies", "eco_points")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _start_server(db_url: str, port: int, log: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "GREENFIN_RATE_LIMIT_PER_SECOND": "100000",
        "GREENFIN_RATE_LIMIT_BURST": "100000",
    }
    out = log.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--db",
            db_url,
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        cwd=REPO,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"greenfin serve exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"http://{HOST}:{port}/ready", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"greenfin serve did not become ready in 60 s; see {log}")


def _setup(db_url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Key, model files and one borrower, prepared in-process before the server starts."""
    from sqlalchemy.orm import Session

    from greenfin.datasets import load_sample
    from greenfin.scoring import Scorecard, save_model
    from greenfin.store import init_db
    from greenfin.store._access import issue_key

    engine = init_db(db_url)
    with Session(engine) as session, session.begin():
        key = issue_key(session, "bench-bank", "bank", label="benchmark").key
    engine.dispose()
    df = load_sample("county_borrowers")
    card = Scorecard().fit(df.select(*FEATURES), df["default_flag"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(save_model(card, Path(tmp) / "card"))
        files = {p.name: p.read_text(encoding="utf-8") for p in path.iterdir() if p.is_file()}
    borrower = df.select(*FEATURES).row(0, named=True)
    return key, files, {"borrower_id": "B1", "features": borrower}


class _Connection:
    """One keep-alive HTTP/1.1 connection sending one prepared request (a few microseconds of client CPU).

    httpx spends about as much CPU per request as the server's whole route does; on a 2-core machine the
    load generator would then measure itself. This client writes prepared bytes and reads the status
    line, the headers and exactly ``Content-Length`` bytes of body, nothing else.
    """

    def __init__(self, host: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.host, self.port = host, port
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(host, port, reader, writer)

    async def send(self, request: bytes) -> int:
        """The response status, or 0 when the connection broke (it is then opened again for the next request)."""
        try:
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            return 0
        return status

    def close(self) -> None:
        self.writer.close()


def _request_bytes(host: str, port: int, path: str, headers: dict[str, str], body: Any) -> bytes:
    payload = json.dumps(body).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _pool(host: str, port: int, size: int) -> asyncio.Queue[_Connection]:
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(size):
        idle.put_nowait(await _Connection.open(host, port))
    return idle


async def _fixed_rate(
    host: str, port: int, request: bytes, rate: float, seconds: float, max_in_flight: int
) -> dict[str, Any]:
    """Open loop: a scheduler starts request i at ``start + i / rate``; latency counts from that instant.

    ``max_in_flight`` connections (like the connections of wrk2): a request that cannot start on time
    because every connection is busy is counted as ``late`` (an error: the server is overloaded).
    """
    n = int(rate * seconds)
    latencies = np.full(n, np.nan)
    statuses = np.zeros(n, dtype=np.int64)
    idle = await _pool(host, port, max_in_flight)
    tasks: set[asyncio.Task[None]] = set()
    late = 0

    async def one(i: int, scheduled: float, conn: _Connection) -> None:
        statuses[i] = await conn.send(request)
        latencies[i] = time.perf_counter() - scheduled
        idle.put_nowait(conn)

    start = time.perf_counter() + 0.1
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if idle.empty():
            late += 1
            continue
        task = asyncio.create_task(one(i, scheduled, idle.get_nowait()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        _, pending = await asyncio.wait(set(tasks), timeout=30)  # bounded drain
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().close()
    ok = int((statuses == 200).sum())
    done = np.isfinite(latencies)
    ms = latencies[done] * 1000.0
    return {
        "requests": n,
        "ok": ok,
        "errors": n - ok,
        "late": late,
        "max_in_flight": max_in_flight,
        "achieved_rps": round(ok / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if ms.size else None,
        "p90_ms": round(float(np.percentile(ms, 90)), 2) if ms.size else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 2) if ms.size else None,
        "max_ms": round(float(ms.max()), 2) if ms.size else None,
    }


async def _saturation(host: str, port: int, request: bytes, workers: int, seconds: float) -> dict[str, Any]:
    stop = time.perf_counter() + seconds
    cap = 200_000  # bound on requests whatever the speed
    counts = {"ok": 0, "errors": 0}
    latencies: list[float] = []

    async def worker() -> None:
        conn = await _Connection.open(host, port)
        try:
            while time.perf_counter() < stop and counts["ok"] + counts["errors"] < cap:
                t0 = time.perf_counter()
                status = await conn.send(request)
                counts["ok" if status == 200 else "errors"] += 1
                latencies.append(time.perf_counter() - t0)
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(workers))), timeout=seconds + 60)  # bounded
    elapsed = time.perf_counter() - t0
    ms = np.array(latencies) * 1000.0
    return {
        "workers": workers,
        "ok": counts["ok"],
        "errors": counts["errors"],
        "throughput_rps": round(counts["ok"] / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


async def _run(
    host: str, port: int, key: str, files: dict[str, str], borrower: dict[str, Any], args: argparse.Namespace
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    base = f"http://{host}:{port}"
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        uploaded = await client.post("/v1/scoring/models", json={"model_id": "bench-card", "files": files})
        assert uploaded.status_code == 201, uploaded.text
        routes = {
            "score_borrower": ("/v1/scoring/models/bench-card/scores", borrower),
            "value_right": ("/v1/collateral/valuations", {"right": WATER, "as_of": "2026-06-30"}),
        }
        for name, (path, body) in routes.items():
            if args.routes and name not in args.routes:
                continue
            for _ in range(20 * args.server_workers):  # warm-up (imports, caches) of every worker process
                response = await client.post(path, json=body)
                assert response.status_code == 200, response.text
            request = _request_bytes(host, port, path, headers, body)
            fixed = await _fixed_rate(host, port, request, args.rate, args.seconds, args.max_in_flight)
            emit(f"api.{name}.fixed_rate", target_rps=args.rate, seconds=args.seconds, **fixed)
            sat = await _saturation(host, port, request, args.workers, args.sat_seconds)
            emit(f"api.{name}.saturation", seconds=args.sat_seconds, **sat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="Open-loop requests per second.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Length of the fixed-rate run.")
    parser.add_argument("--sat-seconds", type=float, default=10.0, help="Length of the saturation run.")
    parser.add_argument("--workers", type=int, default=16, help="Closed-loop clients at saturation.")
    parser.add_argument("--max-in-flight", type=int, default=32, help="Outstanding requests in the open loop.")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes (greenfin serve).")
    parser.add_argument("--routes", nargs="*", choices=("score_borrower", "value_right"), help="Only these routes.")
    args = parser.parse_args()
    if args.rate * args.seconds > 20_000 or args.seconds > 120 or args.sat_seconds > 60:
        raise SystemExit("refusing an unbounded run: keep rate x seconds <= 20000, seconds <= 120, sat <= 60")
    with tempfile.TemporaryDirectory(prefix="greenfin-bench-api-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        key, files, borrower = _setup(db_url)
        port = _free_port()
        proc = _start_server(db_url, port, Path(tmp) / "serve.log", args.server_workers)
        try:
            emit(
                "api.machine",
                **machine(),
                server=f"greenfin serve (uvicorn, {args.server_workers} worker process(es), SQLite)",
                client="asyncio keep-alive HTTP/1.1 on prepared requests, 1 process",
                load_average=os.getloadavg()[0],
            )
            asyncio.run(_run(HOST, port, key, files, borrower, args))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
