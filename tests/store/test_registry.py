"""The pledge registry on SQLite and PostgreSQL: one active pledge per right, history kept, refusals."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from greenfin.errors import ConflictError, DataError, SpecError
from greenfin.store import PledgeRegistry, make_engine

D = dt.date


def _registry(url: str) -> PledgeRegistry:
    reg = PledgeRegistry(url, actor="test")
    reg.add_right(
        right_id="F1",
        owner_id="B00001",
        right_type="forest_right",
        certificate_no="赣(2024)样本县不动产权第0000001号",
        registry="real_estate",
        term_end=D(2040, 12, 31),
        parcel_id="P000001",
    )
    return reg


def test_second_active_pledge_is_refused_and_release_keeps_history(database_url: str) -> None:
    reg = _registry(database_url)
    first = reg.pledge("F1", loan_ref="L1", amount_cny=500_000.0, start=D(2026, 7, 1), end=D(2029, 6, 30))
    with pytest.raises(ConflictError, match=r"already has an active pledge .*loan L1"):
        reg.pledge("F1", loan_ref="L2", amount_cny=100.0, start=D(2026, 7, 1), end=D(2027, 6, 30))
    assert reg.release("F1", on=D(2027, 1, 15), reason="repaid") == first
    second = reg.pledge("F1", loan_ref="L2", amount_cny=300_000.01, start=D(2027, 2, 1), end=D(2030, 1, 31))
    history = reg.pledges(right_id="F1")
    assert history["pledge_id"].to_list() == [first, second]
    assert history["status"].to_list() == ["released", "active"]
    assert history["release_reason"].to_list() == ["repaid", None]
    assert history["amount_cny"].to_list() == [500_000.0, 300_000.01]
    assert reg.pledges(status="active").height == 1
    assert reg.release("F1", on=D(2030, 1, 1), reason="repaid") == second
    with pytest.raises(ConflictError, match="no active pledge"):
        reg.release("F1", on=D(2031, 1, 1), reason="again")
    actions = reg.audit_log()["action"].to_list()
    assert actions == ["register", "pledge", "release", "pledge", "release"]
    reg.close()


def test_fifty_concurrent_pledges_leave_exactly_one(database_url: str) -> None:
    reg = _registry(database_url)
    n = 50
    registries = [PledgeRegistry(make_engine(database_url), actor=f"thread-{i}") for i in range(n)]
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = registries[i].pledge(
                "F1", loan_ref=f"L{i:02d}", amount_cny=1000.0 + i, start=D(2026, 7, 1), end=D(2028, 6, 30)
            )
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in registries:
        r.close()
    wins = [o for o in outcomes if isinstance(o, int)]
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    others = [o for o in outcomes if not isinstance(o, int | ConflictError)]
    assert others == []
    assert len(wins) == 1
    assert len(conflicts) == n - 1
    assert all("already has an active pledge" in str(c) or "concurrent" in str(c) for c in conflicts)
    active = reg.pledges(status="active")
    assert active.height == 1
    assert active["pledge_id"][0] == wins[0]
    assert reg.pledges().height == 1
    reg.close()


def test_database_refuses_second_active_row_directly(database_url: str) -> None:
    reg = _registry(database_url)
    reg.pledge("F1", loan_ref="L1", amount_cny=1.0, start=D(2026, 7, 1), end=D(2027, 6, 30))
    with reg.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(
            text(
                "INSERT INTO pledges (right_pk, loan_ref, amount_fen, start_date, end_date, status, created_at)"
                " SELECT right_pk, 'L9', 100, start_date, end_date, 'active', created_at FROM pledges"
            )
        )
    reg.close()


@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("audit_log", "UPDATE audit_log SET actor = 'someone else'"),
        ("audit_log", "DELETE FROM audit_log"),
        ("revaluations", "UPDATE revaluations SET value_fen = 1"),
        ("pledges", "DELETE FROM pledges"),
        ("pledges", "UPDATE pledges SET amount_fen = 1"),
    ],
)
def test_history_cannot_be_overwritten(database_url: str, table: str, statement: str) -> None:
    reg = _registry(database_url)
    reg.pledge("F1", loan_ref="L1", amount_cny=10.0, start=D(2026, 7, 1), end=D(2027, 6, 30))
    reg.revalue("F1", as_of=D(2026, 6, 30), method="harvest_present_value", value_cny=1e6, inputs={"v": "2026.1"})
    with reg.engine.connect() as conn, pytest.raises(DBAPIError, match=r"append-only|history|active to released"):
        conn.execute(text(statement))
    reg.close()


def test_revaluations_are_kept_as_history(database_url: str) -> None:
    reg = _registry(database_url)
    reg.revalue("F1", as_of=D(2025, 12, 31), method="harvest_present_value", value_cny=900_000.0, inputs={})
    reg.revalue("F1", as_of=D(2026, 6, 30), method="harvest_present_value", value_cny=950_000.5, inputs={"k": 1})
    hist = reg.revaluations("F1")
    assert hist["value_cny"].to_list() == [900_000.0, 950_000.5]
    assert hist["as_of"].to_list() == [D(2025, 12, 31), D(2026, 6, 30)]
    reg.close()


def test_refusals_name_the_reason(database_url: str) -> None:
    reg = _registry(database_url)
    with pytest.raises(SpecError, match="No right 'nope'"):
        reg.pledge("nope", loan_ref="L", amount_cny=1.0, start=D(2026, 7, 1), end=D(2027, 1, 1))
    with pytest.raises(SpecError, match="past the right's term end 2040-12-31"):
        reg.pledge("F1", loan_ref="L", amount_cny=1.0, start=D(2026, 7, 1), end=D(2041, 6, 30))
    with pytest.raises(SpecError, match="expired"):
        reg.pledge("F1", loan_ref="L", amount_cny=1.0, start=D(2041, 1, 1), end=D(2042, 1, 1))
    with pytest.raises(SpecError, match="must be > 0"):
        reg.pledge("F1", loan_ref="L", amount_cny=0.0, start=D(2026, 7, 1), end=D(2027, 1, 1))
    with pytest.raises(SpecError, match="end after it starts"):
        reg.pledge("F1", loan_ref="L", amount_cny=1.0, start=D(2026, 7, 1), end=D(2026, 7, 1))
    reg.add_right(
        right_id="F2",
        owner_id="B00002",
        right_type="forest_right",
        certificate_no="C2",
        registry="real_estate",
        term_end=D(2040, 1, 1),
        encumbrances=[{"kind": "seizure", "note": "court order 2026-03"}],
    )
    with pytest.raises(ConflictError, match=r"encumbered \(seizure"):
        reg.pledge("F2", loan_ref="L", amount_cny=1.0, start=D(2026, 7, 1), end=D(2027, 1, 1))
    with pytest.raises(ConflictError, match="already registered"):
        reg.add_right(
            right_id="F3",
            owner_id="B00003",
            right_type="forest_right",
            certificate_no="C2",
            registry="real_estate",
            term_end=D(2040, 1, 1),
        )
    with pytest.raises(SpecError, match="Unknown right type"):
        reg.add_right(
            right_id="X", owner_id="B", right_type="gep", certificate_no="c", registry="none", term_end=D(2030, 1, 1)
        )
    with pytest.raises(SpecError, match="Unknown registry"):
        reg.add_right(
            right_id="X",
            owner_id="B",
            right_type="water_right",
            certificate_no="c",
            registry="bank",
            term_end=D(2030, 1, 1),
        )
    assert reg.pledges().height == 0
    reg.close()


def test_add_rights_needs_its_columns(database_url: str) -> None:
    import polars as pl

    reg = PledgeRegistry(database_url)
    with pytest.raises(DataError, match="certificate_no"):
        reg.add_rights(pl.DataFrame({"right_id": ["a"], "borrower_id": ["b"], "right_type": ["water_right"]}))
    reg.close()
