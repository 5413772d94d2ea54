"""Seeded generator of the collateral samples: the county's eco-product rights and a CEA price history.

``county_rights``: about 2,000 rights of every type held by the sample county's borrowers (B00001 ..),
forest and sink rights on forest parcels of ``county_parcels``. ``cea_prices``: daily closes of the
national carbon allowance (CEA) through the published anchors (gep.md §3.8, assessment.md §8.2), with a
seeded path between anchors. Synthetic data (合成数据), not observations; regenerate with
``python scripts/make_samples.py collateral``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Final

import numpy as np
import polars as pl

from greenfin.dates import get_calendar

__all__ = ["SEED", "generate", "make_cea_prices", "make_county_rights"]

SEED: Final = 20260404
CEA_ANCHORS: Final[tuple[tuple[str, float], ...]] = (
    ("2021-07-16", 48.00),  # launch open
    ("2021-12-31", 54.22),  # 2021 close
    ("2023-12-29", 79.42),  # 2023 close
    ("2024-11-13", 105.66),  # all-time high
    ("2024-12-31", 97.49),  # 2024 close
    ("2025-06-03", 67.51),  # -36% from the peak
    ("2025-09-30", 57.97),  # Sept-2025 close, -45% from the peak
    ("2026-06-30", 64.00),  # synthetic continuation to the demo date (NOT a published figure)
)
N_BORROWERS: Final = 2500
TYPE_COUNTS: Final[dict[str, int]] = {
    "forest_right": 900,
    "carbon_allowance": 30,
    "carbon_sink_income": 120,
    "discharge_right": 110,
    "water_right": 110,
    "energy_use_right": 50,
    "land_management_right": 500,
    "eco_income_right": 80,
    "scenic_fee_right": 40,
}


def make_cea_prices(seed: int = SEED) -> pl.DataFrame:
    """Daily CEA closes (CNY/tCO2e) on exchange trading days, a log Brownian bridge between the anchors."""
    rng = np.random.default_rng(seed)
    cal = get_calendar("CN-SSE")
    anchors = [(dt.date.fromisoformat(d), p) for d, p in CEA_ANCHORS]
    dates: list[dt.date] = []
    logp: list[float] = []
    peak_day, peak = anchors[3]
    for (d0, p0), (d1, p1) in itertools.pairwise(anchors):
        days = [d0 + dt.timedelta(k) for k in range((d1 - d0).days)]
        days = [d for d in days if cal.is_business_day(d)]
        n = len(days)
        steps = rng.normal(0.0, 0.018, size=n)
        walk = np.concatenate([[0.0], np.cumsum(steps[1:])])
        t = np.arange(n) / n
        end_walk = walk[-1] + rng.normal(0.0, 0.018)
        bridge = walk - t * end_walk
        line = np.log(p0) + t * (np.log(p1) - np.log(p0))
        dates.extend(days)
        logp.extend(line + bridge)
    dates.append(anchors[-1][0])
    logp.append(np.log(anchors[-1][1]))
    price = np.round(np.exp(np.asarray(logp)), 2)
    out = pl.DataFrame({"series": "cea", "date": dates, "price_cny": price})
    cap = np.where(np.asarray(dates) == peak_day, peak, np.minimum(price, peak - 0.5))
    return out.with_columns(pl.Series("price_cny", cap))


def _dates(base: dt.date, years: np.ndarray) -> list[dt.date]:
    return [base + dt.timedelta(days=int(d)) for d in np.round(years * 365.25)]


def make_county_rights(parcels: pl.DataFrame, seed: int = SEED) -> pl.DataFrame:
    """About 2,000 rights of every type for borrowers B00001.. of the sample county."""
    rng = np.random.default_rng(seed)
    as_of = dt.date(2026, 6, 30)
    forest = parcels.filter(pl.col("species_group").is_not_null()).select(
        "parcel_id", "area_ha", "species_group", "forest_category", "stand_age_years"
    )
    commercial = forest.filter(pl.col("forest_category") == "commercial")
    n_forest = TYPE_COUNTS["forest_right"]
    n_public = n_forest // 50
    n_sink = TYPE_COUNTS["carbon_sink_income"]
    pick = rng.choice(commercial.height, size=n_forest - n_public + n_sink, replace=False)
    pub = rng.choice(forest.filter(pl.col("forest_category") == "public_welfare").height, size=n_public, replace=False)
    forest_rows = pl.concat(
        [commercial[pick[: n_forest - n_public]], forest.filter(pl.col("forest_category") == "public_welfare")[pub]]
    )
    sink_rows = commercial[pick[n_forest - n_public :]]
    frames: list[pl.DataFrame] = []

    def base(kind: str, n: int, years_lo: float, years_hi: float, registry: str) -> dict[str, object]:
        remaining = rng.uniform(years_lo, years_hi, size=n)
        expired = rng.random(n) < 0.01
        remaining = np.where(expired, -rng.uniform(0.1, 2.0, size=n), remaining)
        return {
            "right_type": [kind] * n,
            "borrower_id": [f"B{b:05d}" for b in rng.integers(1, N_BORROWERS + 1, size=n)],
            "registry": [registry] * n,
            "term_end": _dates(as_of, remaining),
            "policy_tier": np.where(rng.random(n) < 0.3, "exchange", "normal").tolist(),
            "insured": (rng.random(n) < 0.6).tolist(),
        }

    f = base("forest_right", forest_rows.height, 8.0, 50.0, "real_estate")
    f.update(
        parcel_id=forest_rows["parcel_id"],
        area_ha=forest_rows["area_ha"].cast(pl.Float64).round(3),
        species_group=forest_rows["species_group"],
        forest_category=forest_rows["forest_category"],
        stand_age_years=forest_rows["stand_age_years"].cast(pl.Float64),
        storage_agency=(rng.random(forest_rows.height) < 0.4).tolist(),
    )
    frames.append(pl.DataFrame(f))
    s = base("carbon_sink_income", sink_rows.height, 10.0, 30.0, "movable_unified")
    s.update(
        parcel_id=sink_rows["parcel_id"],
        area_ha=sink_rows["area_ha"].cast(pl.Float64).round(3),
        species_group=sink_rows["species_group"],
        stand_age_years=sink_rows["stand_age_years"].cast(pl.Float64),
    )
    frames.append(pl.DataFrame(s))
    n = TYPE_COUNTS["carbon_allowance"]
    c = base("carbon_allowance", n, 2.0, 6.0, "carbon_registry")
    c.update(allowance_tco2e=np.round(rng.lognormal(np.log(20_000), 0.8, size=n)), price_series=["cea"] * n)
    frames.append(pl.DataFrame(c))
    permits = {
        "discharge_right": ("t", 2.0, 12_000.0, 5.0, "COD/NOx tonnes; Huzhou COD 15,000 CNY/t, Keqiao 17,000"),
        "water_right": ("m3", 5e5, 0.15, None, "Yunxi 0.15 CNY/m3"),
        "energy_use_right": ("tce", 500.0, 120.0, 5.0, "tonnes of coal equivalent"),
    }
    for kind, (unit, qty, price, term, _note) in permits.items():
        n = TYPE_COUNTS[kind]
        p = base(kind, n, 1.0, 10.0, "movable_unified")
        p.update(
            permit_quantity_per_year=np.round(rng.lognormal(np.log(qty), 0.7, size=n), 1),
            permit_unit=[unit] * n,
            unit_price_cny=np.round(price * rng.uniform(0.8, 1.2, size=n), 3),
            price_term_years=[term] * n,
        )
        frames.append(pl.DataFrame(p, schema_overrides={"price_term_years": pl.Float64}))
    n = TYPE_COUNTS["land_management_right"]
    lm = base("land_management_right", n, 2.0, 25.0, "movable_unified")
    lm.update(
        area_ha=np.round(rng.lognormal(np.log(3.0), 0.8, size=n), 3),
        rent_cny_per_ha_per_year=np.round(rng.uniform(6_000.0, 12_000.0, size=n), -1),
        transferred=(rng.random(n) < 0.5).tolist(),
    )
    frames.append(pl.DataFrame(lm))
    n = TYPE_COUNTS["eco_income_right"]
    e = base("eco_income_right", n, 5.0, 15.0, "movable_unified")
    e.update(
        realisable_cash_flow_cny_per_year=np.round(rng.lognormal(np.log(400_000.0), 0.8, size=n), -2),
        cash_flow_growth_per_year=np.round(rng.uniform(0.0, 0.04, size=n), 3),
        payer=rng.choice(["county_government", "eco_compensation", "tickets_and_leases"], size=n).tolist(),
    )
    frames.append(pl.DataFrame(e))
    n = TYPE_COUNTS["scenic_fee_right"]
    sc = base("scenic_fee_right", n, 5.0, 20.0, "movable_unified")
    sc.update(
        visitors_per_year=np.round(rng.lognormal(np.log(80_000.0), 0.7, size=n), -2),
        ticket_price_cny=rng.choice([30.0, 45.0, 60.0, 80.0], size=n),
    )
    frames.append(pl.DataFrame(sc))
    rights = pl.concat(frames, how="diagonal_relaxed")
    n = rights.height
    order = rng.permutation(n)
    rights = rights[order]
    pledged = rng.random(n) < 0.6
    remaining = np.asarray([(d - as_of).days / 365.25 for d in rights["term_end"].to_list()])
    tenor = np.round(np.minimum(rng.choice([1.0, 2.0, 3.0, 5.0], size=n), np.maximum(remaining - 0.1, 0.5)), 2)
    long_tenor = rng.random(n) < 0.01
    tenor = np.where(long_tenor, np.round(remaining + 1.0, 2), tenor)
    cert_prefix = {
        "real_estate": "赣(2024)样本县不动产权第",
        "movable_unified": "动产融资登记",
        "carbon_registry": "中碳登",
    }
    return rights.with_columns(
        pl.Series("right_id", [f"R{i:05d}" for i in range(1, n + 1)]),
        pl.Series(
            "certificate_no",
            [f"{cert_prefix[r]}{i:07d}号" for i, r in enumerate(rights["registry"].to_list(), start=1)],
        ),
        pl.Series("pledged", pledged),
        pl.Series("loan_tenor_years", np.where(pledged, tenor, np.nan)).fill_nan(None),
        pl.Series("draw_share", np.where(pledged, np.round(rng.uniform(0.6, 1.0, size=n), 3), np.nan)).fill_nan(None),
    ).select(
        "right_id",
        "borrower_id",
        "right_type",
        "certificate_no",
        "registry",
        "term_end",
        "policy_tier",
        "insured",
        "storage_agency",
        "parcel_id",
        "area_ha",
        "species_group",
        "forest_category",
        "stand_age_years",
        "allowance_tco2e",
        "price_series",
        "permit_quantity_per_year",
        "permit_unit",
        "unit_price_cny",
        "price_term_years",
        "rent_cny_per_ha_per_year",
        "transferred",
        "realisable_cash_flow_cny_per_year",
        "cash_flow_growth_per_year",
        "payer",
        "visitors_per_year",
        "ticket_price_cny",
        "pledged",
        "loan_tenor_years",
        "draw_share",
    )


N_FOREST_LAND: Final = 40


def add_forest_land(rights: pl.DataFrame, parcels: pl.DataFrame, seed: int = SEED + 1) -> pl.DataFrame:
    """Append bare forest-land use rights (林地使用权, ``land_only``) on commercial forest parcels not yet used.

    A separate random stream, so the rights generated before keep their ids and values.
    """
    rng = np.random.default_rng(seed)
    as_of = dt.date(2026, 6, 30)
    used = set(rights["parcel_id"].drop_nulls().to_list())
    free = parcels.filter(
        (pl.col("forest_category") == "commercial")
        & pl.col("species_group").is_in(["chinese_fir", "oil_tea"])
        & ~pl.col("parcel_id").is_in(list(used))
    )
    rows = free[rng.choice(free.height, size=N_FOREST_LAND, replace=False)].sort("parcel_id")
    n = rows.height
    start = rights.height + 1
    with_rent = rng.random(n) < 0.5
    pledged = rng.random(n) < 0.6
    remaining = rng.uniform(10.0, 40.0, size=n)
    land = pl.DataFrame(
        {
            "right_id": [f"R{i:05d}" for i in range(start, start + n)],
            "borrower_id": [f"B{b:05d}" for b in rng.integers(1, N_BORROWERS + 1, size=n)],
            "right_type": ["forest_right"] * n,
            "certificate_no": [f"赣(2024)样本县不动产权第{i:07d}号" for i in range(start, start + n)],
            "registry": ["real_estate"] * n,
            "term_end": _dates(as_of, remaining),
            "policy_tier": np.where(rng.random(n) < 0.3, "exchange", "normal").tolist(),
            "insured": [False] * n,
            "storage_agency": (rng.random(n) < 0.4).tolist(),
            "parcel_id": rows["parcel_id"],
            "area_ha": rows["area_ha"].cast(pl.Float64).round(3),
            "species_group": rows["species_group"],
            "forest_category": rows["forest_category"],
            "stand_age_years": [0.0] * n,
            "land_only": [True] * n,
            "rent_cny_per_ha_per_year": np.where(with_rent, np.round(rng.uniform(150.0, 450.0, size=n), -1), np.nan),
            "pledged": pledged.tolist(),
            "loan_tenor_years": np.where(pledged, rng.choice([1.0, 2.0, 3.0, 5.0], size=n), np.nan),
            "draw_share": np.where(pledged, np.round(rng.uniform(0.6, 1.0, size=n), 3), np.nan),
        }
    ).with_columns(pl.col("rent_cny_per_ha_per_year", "loan_tenor_years", "draw_share").fill_nan(None))
    out = pl.concat([rights, land], how="diagonal_relaxed")
    first = rights.columns.index("stand_age_years") + 1
    return out.select([*rights.columns[:first], "land_only", *rights.columns[first:]])


def generate() -> dict[str, object]:
    """The collateral samples: ``county_rights`` and ``cea_prices``."""
    from greenfin.datasets import load_sample

    parcels = load_sample("county_parcels")
    return {
        "county_rights": add_forest_land(make_county_rights(parcels), parcels),
        "cea_prices": make_cea_prices(),
    }
