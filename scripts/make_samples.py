"""Regenerate every bundled sample in greenfin/datasets/data from its seeded generator.

Each module ``greenfin/datasets/_gen_<domain>.py`` defines ``generate() -> dict[str, object]`` mapping a
sample name to a polars DataFrame (written as Parquet when it has more than 20,000 rows, else CSV) or
to a JSON-serialisable dict. Run: ``python scripts/make_samples.py [domain ...]``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import polars as pl

import greenfin.datasets

OUT = Path(greenfin.datasets.__file__).parent / "data"
PARQUET_ROWS = 20_000


def write_sample(name: str, obj: object) -> Path:
    """Write one sample in its canonical format and return the path."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(f"{name}.*"):
        if old.suffix in (".parquet", ".csv", ".json"):
            old.unlink()
    if isinstance(obj, pl.DataFrame):
        if obj.height > PARQUET_ROWS:
            path = OUT / f"{name}.parquet"
            obj.write_parquet(path, compression="zstd", compression_level=19, statistics=False)
        else:
            path = OUT / f"{name}.csv"
            obj.write_csv(path)
    else:
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def main(domains: list[str]) -> None:
    """Regenerate the samples of the named domains (all when none is named)."""
    for info in pkgutil.iter_modules(greenfin.datasets.__path__):
        if not info.name.startswith("_gen_"):
            continue
        domain = info.name.removeprefix("_gen_")
        if domains and domain not in domains:
            continue
        module = importlib.import_module(f"greenfin.datasets.{info.name}")
        for name, obj in module.generate().items():
            path = write_sample(name, obj)
            print(f"{domain}: wrote {path.relative_to(OUT.parents[2])} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main(sys.argv[1:])
