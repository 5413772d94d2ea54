"""Stores bound to a caller's session (``in_session``) commit and roll back with the caller, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from greenfin.errors import ConflictError
from greenfin.store import PledgeRegistry

RIGHT = {
    "right_id": "W1",
    "owner_id": "B1",
    "right_type": "water_right",
    "certificate_no": "取水(赣)2024-001",
    "registry": "movable_unified",
    "term_end": dt.date(2035, 12, 31),
}
PLEDGE = {"loan_ref": "L-1", "amount_cny": 1e6, "start": dt.date(2026, 7, 1), "end": dt.date(2029, 6, 30)}


def test_bound_registry_changes_follow_the_callers_transaction(database_url: str) -> None:
    own = PledgeRegistry(database_url)  # migrates, and reads with its own transactions
    own.add_right(**RIGHT)
    with Session(own.engine) as session:
        PledgeRegistry.in_session(session, actor="test").pledge("W1", **PLEDGE)
        session.rollback()
    assert own.pledges().height == 0
    assert "pledge" not in own.audit_log()["action"].to_list()
    with Session(own.engine) as session:
        pledge_id = PledgeRegistry.in_session(session, actor="test").pledge("W1", **PLEDGE)
        assert own.pledges().height == 0  # not committed yet: invisible to others
        session.commit()
    assert own.pledges()["pledge_id"].to_list() == [pledge_id]
    own.close()


def test_bound_registry_conflict_rolls_back_and_names_the_loan(database_url: str) -> None:
    own = PledgeRegistry(database_url)
    own.add_right(**RIGHT)
    own.pledge("W1", **PLEDGE)
    with Session(own.engine) as session:
        bound = PledgeRegistry.in_session(session, actor="test")
        with pytest.raises(ConflictError, match="L-1"):
            bound.pledge("W1", **{**PLEDGE, "loan_ref": "L-2"})
        with pytest.raises(ConflictError, match="already registered"):
            bound.add_right(**RIGHT)
        assert not session.in_transaction()  # the refused write's transaction was rolled back
    assert own.pledges()["loan_ref"].to_list() == ["L-1"]
    own.close()
