"""Scoring: upload a fitted model (its saved artefact files) and score one borrower with it.

Models are stored per tenant in the database as the text of the files ``greenfin.scoring.save_model``
writes (JSON and LightGBM text, never pickles); every load checks the manifest's hashes. A bank sees
only its own models: another bank's model id answers 404.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BankDep, StoreDep, WriteDep
from api.errors import PROBLEM_RESPONSES, problem_doc
from api.routers._common import finite
from api.routing import TransactionalRoute
from greenfin.errors import DataError
from greenfin.scoring import load_model, score_record
from greenfin.store._access import get_model_files, save_model_files

__all__ = ["router"]

router = APIRouter(route_class=TransactionalRoute, prefix="/v1/scoring", tags=["scoring"], responses=PROBLEM_RESPONSES)

_ARTEFACT_FILES = ("manifest.json", "model.json", "booster.txt", "model_card.md")
_CACHE_SIZE = 64
ModelId = Annotated[
    str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="The bank's model id.")
]
FeatureValue = float | int | str | bool | None


class ModelUpload(BaseModel):
    """A saved model: the text of the files ``greenfin.scoring.save_model`` wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="Your name for it.")
    files: dict[str, str] = Field(
        description=f"File name to content; names among {list(_ARTEFACT_FILES)}; manifest.json is required."
    )


class ModelPublic(BaseModel):
    """A stored model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(description="The model id.")
    kind: str = Field(description="Scorecard, BoostedPD or SegmentedScorecard.")
    content_sha256: str = Field(description="Digest of the stored files.")


class ScoreRequest(BaseModel):
    """One borrower's features (the model's columns; extra ones are ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    borrower_id: str | None = Field(default=None, max_length=64, description="Borrower id, echoed back.")
    features: dict[str, FeatureValue] = Field(description="Feature name to value, e.g. {'eco_points': 72}.")


class Reason(BaseModel):
    """One reason the borrower lost points."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feature: str = Field(description="Feature.")
    text_en: str | None = Field(description="Reason in English.")
    text_zh: str | None = Field(description="Reason in Chinese.")
    points_lost: float | None = Field(description="Points lost.")


class ScorePublic(BaseModel):
    """PD, points, grade and the top reasons for one borrower."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    borrower_id: str | None = Field(description="Borrower id from the request.")
    model_id: str = Field(description="Model used.")
    pd: float | None = Field(description="Probability of the bad outcome (fraction).")
    points: float | None = Field(description="Score points (higher is safer).")
    grade: str | None = Field(description="Master-scale grade.")
    reasons: tuple[Reason, ...] = Field(description="Up to three reasons, largest loss first.")
    counterfactual_en: str | None = Field(description="What would raise the score (scorecards).")
    counterfactual_zh: str | None = Field(description="Same, in Chinese.")


_CACHE_LOCK = threading.Lock()


def _load_checked(files: dict[str, str], source: str) -> Any:
    """Write the files to a private temporary directory and load them with the manifest hash check."""
    unknown = sorted(set(files) - set(_ARTEFACT_FILES))
    if unknown or "manifest.json" not in files:
        raise DataError(
            f"model files must include manifest.json and only {list(_ARTEFACT_FILES)}; got {sorted(files)}. "
            "Upload the files greenfin.scoring.save_model wrote, unchanged.",
            source=source,
        )
    with tempfile.TemporaryDirectory(prefix="greenfin-model-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        return load_model(tmp)


def _model(request: Request, tenant_id: str, model_id: str, session: Any) -> Any:
    """The tenant's model, loaded once per process: stored models are immutable (an id is never reused)."""
    cache: OrderedDict[tuple[str, str], Any] = request.app.state.model_cache
    key = (tenant_id, model_id)
    with _CACHE_LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    stored = get_model_files(session, tenant_id, model_id)
    if stored is None:
        raise HTTPException(404, f"No model {model_id!r} for tenant {tenant_id!r}.")
    model = _load_checked(stored[1], f"stored model {model_id}")
    with _CACHE_LOCK:
        cache[key] = model
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return model


@router.post(
    "/models",
    operation_id="upload_model",
    response_model=ModelPublic,
    status_code=201,
    responses=problem_doc(409, "A model with this id exists (models are immutable)."),
)
def upload_model(req: ModelUpload, bank: BankDep, w: WriteDep) -> ModelPublic:
    """Store a fitted model for the caller's bank, after checking its manifest hashes."""
    model = _load_checked(req.files, "request body.files")
    row = save_model_files(w.session, bank.tenant_id, req.model_id, kind=type(model).__name__, files=req.files)
    return w.created(
        ModelPublic(model_id=row.model_id, kind=row.kind, content_sha256=row.content_sha256),
        action="model.upload",
        resource_type="model",
        resource_id=f"{bank.tenant_id}/{req.model_id}",
    )


@router.post(
    "/models/{model_id}/scores",
    operation_id="score_borrower",
    response_model=ScorePublic,
    responses=problem_doc(404, "No such model for this tenant."),
)
def score_borrower(
    model_id: ModelId, req: ScoreRequest, request: Request, bank: BankDep, session: StoreDep
) -> ScorePublic:
    """Score one borrower with one of the caller's stored models: PD, points, grade and reasons."""
    model = _model(request, bank.tenant_id, model_id, session)
    row = score_record(model, req.features)
    reasons = tuple(
        Reason(
            feature=row[f"reason_{k}_feature"],
            text_en=row.get(f"reason_{k}_en"),
            text_zh=row.get(f"reason_{k}_zh"),
            points_lost=finite(row.get(f"reason_{k}_points")),
        )
        for k in (1, 2, 3)
        if row.get(f"reason_{k}_feature")
    )
    return ScorePublic(
        borrower_id=req.borrower_id,
        model_id=model_id,
        pd=finite(row["pd"]),
        points=finite(row["points"]),
        grade=row["grade"],
        reasons=reasons,
        counterfactual_en=row.get("counterfactual_en"),
        counterfactual_zh=row.get("counterfactual_zh"),
    )
