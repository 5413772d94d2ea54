"""Shared type aliases for numpy arrays and tabular inputs."""

from __future__ import annotations

from os import PathLike
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["BoolArray", "FloatArray", "FrameLike", "IntArray", "PathLikeStr"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
FrameLike: TypeAlias = pl.DataFrame | pl.LazyFrame
PathLikeStr: TypeAlias = str | PathLike[str]
