"""Traceability records (JR/T 0221—2021) written by every fit."""

from __future__ import annotations

import datetime as dt
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from greenfin.scoring._frame import Ingested, data_sha256
from greenfin.scoring._governance import default_registry


def _lib_versions() -> dict[str, str]:
    out = {}
    for name in ("greenfin", "numpy", "polars", "scikit-learn", "scipy", "lightgbm", "pydantic"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def jsonable(v: Any) -> Any:
    """Parameters to JSON-ready values."""
    if isinstance(v, np.generic):
        return v.item()
    if hasattr(v, "model_dump"):
        return v.model_dump(mode="json")
    if isinstance(v, tuple | list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if hasattr(v, "get_params"):
        return {"estimator": type(v).__name__, "params": jsonable(v.get_params(deep=False))}
    return repr(v)


def now_utc() -> str:
    """ISO timestamp, UTC, seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def build_manifest(
    est: Any,
    data: Ingested,
    event: np.ndarray[Any, Any],
    *,
    started: str,
    iterations: list[dict[str, Any]],
    feature_classes: dict[str, str],
    assumed_consent: tuple[str, ...],
) -> dict[str, Any]:
    """The manifest of one fit: data hash and volume, parameters, seed, environment, times, iterations."""
    reg = est.registry if getattr(est, "registry", None) is not None else default_registry()
    return {
        "model_kind": type(est).__name__,
        "training_data": {
            "sha256": data_sha256(data, event),
            "rows": int(data.n_rows),
            "columns": list(data.names),
            "events": int(event.sum()),
            "event_rate": float(event.mean()),
            "source": "in-memory frame passed to fit (save_model(data_source=...) records the file)",
            "storage_medium": "memory",
            "sampling_method": "all rows passed to fit",
        },
        "parameters": jsonable(est.get_params(deep=False)),
        "seed": jsonable(getattr(est, "random_state", None)),
        "environment": {"python": platform.python_version(), "platform": platform.platform(), **_lib_versions()},
        "fit_started_at": started,
        "fit_ended_at": now_utc(),
        "feature_classes": feature_classes,
        "assumed_consent": list(assumed_consent),
        "registry": {"id": reg.id, "version": reg.version},
        "iterations": iterations,
    }
