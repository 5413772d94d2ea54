"""GEP benchmark: every indicator on a 2000 x 2000 grid (4 M parcels) and on 20 M parcels in chunks.

Run: ``python -m benchmarks.gep`` (one JSON line per case). The InVEST carbon model (natcap.invest) runs on the
same grid when an interpreter with it is available: in this process if ``natcap.invest`` imports, else the
Python named by ``GREENFIN_INVEST_PYTHON`` (a separate virtual environment, since InVEST needs GDAL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks._harness import emit, machine, measure
from greenfin.datasets import load_sample
from greenfin.datasets._county import LAND_CLASSES
from greenfin.gep import account_parcels, account_parcels_chunked

SIDE = 2000
CHUNK = 2_000_000
N_BIG = 20_000_000
RULES = ("rcees-classic", "jiangxi-db36-1402-2021")

# land-class shares of the synthetic grid (≈ the sample county)
_SHARES = {
    "forest_broadleaf": 0.16, "forest_conifer": 0.23, "forest_mixed": 0.11, "bamboo": 0.065, "oil_tea": 0.045,
    "shrub": 0.035, "grassland": 0.015, "paddy": 0.16, "dryland": 0.03, "orchard": 0.03, "wetland": 0.008,
    "river": 0.017, "lake": 0.007, "reservoir": 0.02, "built_up": 0.045, "bare": 0.013,
}  # fmt: skip
_CLASSES = list(LAND_CLASSES)
_PROBS = np.array([_SHARES[c] for c in _CLASSES])
_PROBS = _PROBS / _PROBS.sum()


def grid_codes(n: int, seed: int) -> np.ndarray:
    """Land-class codes (index into LAND_CLASSES) of ``n`` cells."""
    return np.random.default_rng(seed).choice(len(_CLASSES), size=n, p=_PROBS).astype(np.int64)


def parcels(n: int, seed: int, start: int = 0, codes: np.ndarray | None = None) -> pl.DataFrame:
    """A synthetic parcel table of ``n`` 30 m cells (0.09 ha) with plausible Jiangxi drivers."""
    rng = np.random.default_rng(seed + 1)
    cls = grid_codes(n, seed) if codes is None else codes
    precip = rng.uniform(1400.0, 1900.0, n)
    c_by = np.array([0.006, 0.012, 0.009, 0.02, 0.08, 0.045, 0.07, 0.11, 0.3, 0.15, 0.01, 0, 0, 0, 0.01, 1.0])
    frame = pl.DataFrame(
        {
            "land_class": pl.Series(np.array(_CLASSES)[cls]).cast(pl.Categorical),
            "area_ha": np.full(n, 0.09),
            "precipitation_mm": precip,
            "storm_rainfall_mm": precip * 0.3,
            "et_mm": rng.uniform(600.0, 950.0, n),
            "hot_days": rng.integers(100, 140, n).astype(np.float64),
            "rusle_r": precip * 3.9,
            "rusle_k": rng.uniform(0.02, 0.045, n),
            "rusle_ls": rng.gamma(2.0, 1.5, n),
            "rusle_c": c_by[cls],
            "rusle_p": np.ones(n),
            "npp_t_dm_per_ha": rng.uniform(5.0, 16.0, n),
            "reservoir_capacity_m3": np.where(cls == _CLASSES.index("reservoir"), 900.0 * 6.0, 0.0),
        }
    )
    return frame.with_columns(pl.format("G{}", pl.int_range(start, start + n)).alias("parcel_id"))


_INVEST_CODE = r"""
import json, sys, time, tempfile, os
import numpy as np
from osgeo import gdal, osr
import natcap.invest.carbon as carbon
codes_path, side = sys.argv[1], int(sys.argv[2])
codes = np.load(codes_path).reshape(side, side).astype(np.int32) + 1
ws = tempfile.mkdtemp(prefix="invest_carbon_")
tif = os.path.join(ws, "lulc.tif")
drv = gdal.GetDriverByName("GTiff")
ds = drv.Create(tif, side, side, 1, gdal.GDT_Int32, options=["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"])
ds.SetGeoTransform((500000.0, 30.0, 0.0, 3000000.0, 0.0, -30.0))
srs = osr.SpatialReference(); srs.ImportFromEPSG(32650); ds.SetProjection(srs.ExportToWkt())
band = ds.GetRasterBand(1); band.WriteArray(codes); band.SetNoDataValue(-1); band.FlushCache(); ds = None
pools = os.path.join(ws, "pools.csv")
with open(pools, "w") as f:
    f.write("lucode,c_above,c_below,c_soil,c_dead\n")
    for i in range(1, 17):
        f.write(f"{i},{40 + i},{10 + i},{60 + i},{2}\n")
args = {"workspace_dir": os.path.join(ws, "out"), "lulc_bas_path": tif, "carbon_pools_path": pools,
        "calc_sequestration": False, "do_valuation": False, "n_workers": -1}
t = time.perf_counter(); c = time.process_time(); carbon.execute(args)
sec = time.perf_counter() - t; cpu = time.process_time() - c
import natcap.invest
print(json.dumps({"seconds": sec, "cpu_seconds": cpu, "version": natcap.invest.__version__}))
"""


def _invest_python() -> str | None:
    try:
        import natcap.invest  # noqa: F401  # probe only

        return sys.executable
    except ImportError:
        return os.environ.get("GREENFIN_INVEST_PYTHON")


def run_invest(codes: np.ndarray) -> dict[str, object]:
    """Run InVEST's carbon model on the grid's land classes; seconds of ``carbon.execute`` only."""
    py = _invest_python()
    if py is None:
        return {"status": "not installed", "note": "set GREENFIN_INVEST_PYTHON to a Python with natcap.invest"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codes.npy"
        np.save(path, codes.astype(np.int32))
        proc = subprocess.run(
            [py, "-c", _INVEST_CODE, str(path), str(SIDE)], capture_output=True, text=True, check=False
        )
    if proc.returncode != 0:
        return {"status": "failed", "stderr": proc.stderr[-2000:]}
    return {"status": "ok", **json.loads(proc.stdout.strip().splitlines()[-1])}


def main() -> None:
    emit("machine", **machine(), date=time.strftime("%Y-%m-%d"))
    inventory = load_sample("county_quantities")
    n = SIDE * SIDE
    codes = grid_codes(n, 1)
    frame = parcels(n, 1, codes=codes)
    results: dict[str, float] = {}
    cpu_results: dict[str, float] = {}
    account_parcels(frame.head(100_000), rules=RULES[0], inventory=inventory)  # warm-up (imports, thread pools)
    for rid in RULES:
        cpus: list[float] = []

        def run(r: str = rid, f: pl.DataFrame = frame, cpus: list[float] = cpus) -> object:
            c0 = time.process_time()
            out = account_parcels(f, rules=r, inventory=inventory)
            cpus.append(time.process_time() - c0)
            return out

        acc, sec, peak = measure(run, repeat=3)
        cpu = min(cpus)
        assert acc.parcels is not None
        exact = int(acc.parcels["gep_fen"].sum()) == int(acc.regions["value_fen"].sum())
        results[rid] = sec
        cpu_results[rid] = cpu
        emit(
            f"grid_{SIDE}x{SIDE}",
            rules=rid,
            parcels=n,
            indicators=acc.county.height,
            seconds=round(sec, 3),
            cpu_seconds_best_run=round(cpu, 3),
            load_average_1min=os.getloadavg()[0],
            peak_mb=round(peak / 2**20),
            gep_yi_cny=round(acc.total_cny / 1e8, 2),
            parcels_sum_exact=exact,
        )
        del acc
    # like-for-like with InVEST carbon: greenfin's carbon kernel alone, and all physical-quantity kernels alone
    from greenfin.gep import _kernels
    from greenfin.gep._engine import _chunk_arrays, _parcel_quantities
    from greenfin.gep._rules import load_rules

    rules = load_rules("national-2022")
    validated = frame.with_columns(pl.col("land_class").cast(pl.String))
    cols, cls = _chunk_arrays(validated)
    alpha = np.array([rules.class_values("carbon_sequestration.nep_ratio")[c] for c in _CLASSES])
    price = rules.price("carbon_sequestration.carbon_price", 2025)

    def carbon_only(cls: np.ndarray = cls, cols: dict[str, np.ndarray] = cols) -> float:
        _, co2 = _kernels.carbon_nep_co2_t(alpha[cls], cols["npp_t_dm_per_ha"], cols["area_ha"])
        return float((co2 * price).sum())

    cpu0 = time.process_time()
    _, sec_c, peak_c = measure(carbon_only, repeat=3)
    cpu_c = (time.process_time() - cpu0) / 3
    results["carbon_only"], cpu_results["carbon_only"] = sec_c, cpu_c
    emit(
        f"greenfin_carbon_only_{SIDE}x{SIDE}",
        seconds=round(sec_c, 3),
        cpu_seconds_per_run=round(cpu_c, 3),
        peak_mb=round(peak_c / 2**20),
        load_average_1min=os.getloadavg()[0],
    )
    rc = load_rules("rcees-classic")
    cpu0 = time.process_time()
    _, sec_k, peak_k = measure(lambda co=cols, cl=cls: _parcel_quantities(rc, co, cl), repeat=2)
    cpu_k = (time.process_time() - cpu0) / 2
    emit(
        f"greenfin_all_quantity_kernels_{SIDE}x{SIDE}",
        rules="rcees-classic",
        seconds=round(sec_k, 3),
        cpu_seconds_per_run=round(cpu_k, 3),
        peak_mb=round(peak_k / 2**20),
        load_average_1min=os.getloadavg()[0],
    )
    del frame, validated, cols, cls

    def chunks() -> Iterator[pl.DataFrame]:
        for k in range(N_BIG // CHUNK):
            yield parcels(CHUNK, 100 + k, start=k * CHUNK)

    def one_pass() -> int:
        return sum(c.height for c in chunks())

    _, gen_sec, _ = measure(one_pass)
    totals: dict[str, int] = {"fen": 0}

    def sink(part: pl.DataFrame) -> None:
        totals["fen"] += int(part["gep_fen"].sum())

    cpu0 = time.process_time()
    acc, sec, peak = measure(
        lambda: account_parcels_chunked(chunks, rules="rcees-classic", inventory=inventory, sink=sink)
    )
    cpu = time.process_time() - cpu0
    emit(
        "chunked_20m",
        cpu_seconds=round(cpu, 2),
        load_average_1min=os.getloadavg()[0],
        rules="rcees-classic",
        parcels=N_BIG,
        chunk=CHUNK,
        seconds=round(sec, 2),
        seconds_generating_chunks=round(2 * gen_sec, 2),
        peak_mb=round(peak / 2**20),
        gep_yi_cny=round(acc.total_cny / 1e8, 2),
        parcels_sum_exact=totals["fen"] == int(acc.regions["value_fen"].sum()),
    )
    inv = run_invest(codes)
    if inv.get("status") == "ok":
        sec_inv = float(inv["seconds"])  # type: ignore[arg-type]
        cpu_inv = float(inv["cpu_seconds"])  # type: ignore[arg-type]
        emit(
            f"invest_carbon_{SIDE}x{SIDE}",
            peer=f"natcap.invest {inv['version']}",
            seconds=round(sec_inv, 3),
            cpu_seconds=round(cpu_inv, 3),
            load_average_1min=os.getloadavg()[0],
            greenfin_all_indicators_seconds=round(results["rcees-classic"], 3),
            greenfin_all_indicators_cpu_seconds=round(cpu_results["rcees-classic"], 3),
            ratio_invest_over_greenfin_wall=round(sec_inv / results["rcees-classic"], 2),
            ratio_invest_over_greenfin_cpu=round(cpu_inv / cpu_results["rcees-classic"], 2),
            ratio_invest_over_greenfin_carbon_only_cpu=round(cpu_inv / cpu_results["carbon_only"], 1),
        )
    else:
        emit(f"invest_carbon_{SIDE}x{SIDE}", **inv)


if __name__ == "__main__":
    main()
