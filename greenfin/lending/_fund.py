"""The fiscal risk-compensation fund (风险补偿金): seeded Monte Carlo of losses shared between fund and bank.

Defaults follow a one-factor Gaussian copula: loan i defaults in a year when
``sqrt(rho) * Y_g + sqrt(1 - rho) * eps_i < Phi^-1(PD_i)``, where the systematic factor of its
(county, sector) group is ``Y_g = sqrt(w_global) G + sqrt(w_county) C_county + sqrt(w_sector) S_sector``
(standard normal, because the weights sum to one). With ``w_global = 1`` this is the Vasicek model,
whose large-pool loss quantile is the closed form of :func:`vasicek_loss_quantile`.

The kernel draws scenarios in chunks (memory is bounded by ``chunk_scenarios × n_loans`` float32
draws), each chunk from its own child of ``numpy.random.SeedSequence(seed)``, so the same inputs and
seed give the same result. Python loops run over chunks and years only; loans are vectorised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.special import ndtri
from scipy.stats import norm

from greenfin._typing import FloatArray, IntArray
from greenfin._validation import ColumnSpec, evolve, spec_error_from, validate_frame
from greenfin.errors import DataError, SpecError, param_error
from greenfin.lending._products import TermSource

__all__ = [
    "PORTFOLIO_COLUMNS",
    "Contributor",
    "CopulaSpec",
    "FundResult",
    "FundSpec",
    "compare_designs",
    "load_fund_spec",
    "simulate_fund",
    "vasicek_loss_quantile",
]

PORTFOLIO_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(name="loan_id", kind="str", description="loan id"),
    ColumnSpec(name="ead_cny", ge=0.0, description="exposure at default, yuan"),
    ColumnSpec(name="pd", ge=0.0, le=1.0, description="one-year probability of default"),
    ColumnSpec(name="lgd", ge=0.0, le=1.0, description="loss given default, fraction"),
    ColumnSpec(name="county_id", kind="str", required=False, nullable=True, description="county code"),
    ColumnSpec(name="sector", kind="str", required=False, nullable=True, description="sector"),
    ColumnSpec(name="product_id", kind="str", required=False, nullable=True, description="product id"),
)
"""Columns of a fund portfolio table (one row per loan)."""

_SHARE_TOL = 1e-6


class Contributor(BaseModel):
    """One contributor to the fund and its share (e.g. 省农担 0.5)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="Contributor id, e.g. provincial_guarantee.")
    name_zh: str = Field(default="", description="Chinese name, e.g. 省农担.")
    share: float = Field(gt=0.0, le=1.0, description="Share of the fund paid in, fraction.")


class CopulaSpec(BaseModel):
    """Default correlation of the portfolio: asset correlation and the split of the systematic factor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    asset_correlation: float = Field(ge=0.0, lt=1.0, description="rho: loading of a loan on its group factor.")
    weight_global: float = Field(ge=0.0, le=1.0, description="Share of the group factor that is province-wide.")
    weight_county: float = Field(ge=0.0, le=1.0, description="Share that is county-specific.")
    weight_sector: float = Field(ge=0.0, le=1.0, description="Share that is sector-specific.")

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> CopulaSpec:
        total = self.weight_global + self.weight_county + self.weight_sector
        if abs(total - 1.0) > _SHARE_TOL:
            raise ValueError(
                f"weight_global + weight_county + weight_sector must sum to 1; they sum to {total:.6g}. "
                "Rescale them (e.g. 0.5, 0.3, 0.2)"
            )
        return self


class FundSpec(BaseModel):
    """A county risk-compensation fund (财政风险补偿金) and the rules that share losses with banks.

    Examples
    --------
    >>> spec = FundSpec(id="demo", fund_cny=1e7, contributors=(
    ...     Contributor(name="provincial_guarantee", share=0.5), Contributor(name="city", share=0.2),
    ...     Contributor(name="county", share=0.3)), leverage_multiple=8.0, fund_loss_share=0.5,
    ...     npl_trigger=0.05, top_up="none", top_up_cap_share=0.0, horizon_years=1,
    ...     copula=CopulaSpec(asset_correlation=0.15, weight_global=1.0, weight_county=0.0, weight_sector=0.0))
    >>> spec.max_book_cny
    80000000.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="Fund id, e.g. the county code and vintage.")
    fund_cny: float = Field(gt=0.0, description="Fund size, yuan.")
    contributors: tuple[Contributor, ...] = Field(
        min_length=1, description="Who pays in, with shares summing to one (2022: 省农担 : city : county = 5 : 2 : 3)."
    )
    leverage_multiple: float = Field(ge=1.0, le=50.0, description="Banks lend up to this multiple of the fund (≥ 8).")
    fund_loss_share: float = Field(ge=0.0, le=1.0, description="Share of each loss paid by the fund; bank 1 − share.")
    npl_trigger: float = Field(gt=0.0, lt=1.0, description="NPL ratio above which new lending stops (fraction).")
    top_up: Literal["none", "restore_annually"] = Field(
        description="none; or contributors restore the fund to its size at each year end."
    )
    top_up_cap_share: float = Field(ge=0.0, le=1.0, description="Largest yearly top-up as a share of the fund.")
    horizon_years: int = Field(ge=1, le=10, description="Years simulated (the book revolves yearly).")
    copula: CopulaSpec = Field(description="Default correlation by county and sector.")
    sources: dict[str, TermSource] = Field(default_factory=dict, description="Source of each term, by field name.")

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> FundSpec:
        total = sum(c.share for c in self.contributors)
        if abs(total - 1.0) > _SHARE_TOL:
            shares = " : ".join(f"{c.name} {c.share:g}" for c in self.contributors)
            raise ValueError(
                f"contributor shares must sum to 1; {shares} sums to {total:.6g}. "
                "Give shares as fractions, e.g. 省农担 : city : county = 0.5 : 0.2 : 0.3"
            )
        names = [c.name for c in self.contributors]
        if len(set(names)) != len(names):
            raise ValueError(f"contributor names must be unique; got {names}")
        return self

    @property
    def max_book_cny(self) -> float:
        """Largest outstanding book the fund supports: multiple × fund."""
        return self.leverage_multiple * self.fund_cny

    def contributions_cny(self) -> dict[str, float]:
        """Yuan paid in by each contributor.

        Returns
        -------
        dict of str to float
            Contributor name -> yuan.
        """
        return {c.name: c.share * self.fund_cny for c in self.contributors}


def load_fund_spec(spec: str | Path | Mapping[str, Any]) -> FundSpec:
    """Read and validate a fund spec from a JSON file or a dict.

    Parameters
    ----------
    spec : str, pathlib.Path or mapping
        Path to a JSON file, or the parsed JSON.

    Returns
    -------
    FundSpec
        The validated spec.

    Raises
    ------
    SpecError
        If the file is missing or not JSON, or a field is invalid (e.g. shares not summing to one);
        the message names the field and the fix.

    Examples
    --------
    >>> load_fund_spec({"id": "x", "fund_cny": 1e6, "contributors": [{"name": "county", "share": 0.9}],
    ...     "leverage_multiple": 8, "fund_loss_share": 0.5, "npl_trigger": 0.05, "top_up": "none",
    ...     "top_up_cap_share": 0, "horizon_years": 1, "copula": {"asset_correlation": 0.1,
    ...     "weight_global": 1, "weight_county": 0, "weight_sector": 0}})
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: FundSpec.(root): Value error, contributor shares must sum to 1; ...
    """
    if isinstance(spec, Mapping):
        raw: Any = dict(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise SpecError(f"Fund spec {path} does not exist; check the path (e.g. the bundled fund_spec.json).")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SpecError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
    if isinstance(raw, dict) and "fund" in raw and "fund_cny" not in raw:
        raw = raw["fund"]
    try:
        return FundSpec.model_validate(raw)
    except ValidationError as exc:
        raise spec_error_from(exc, "FundSpec") from exc


def vasicek_loss_quantile(pd: float, lgd: float, rho: float, q: float) -> float:
    """Vasicek large-pool loss rate at quantile ``q`` (share of exposure lost).

    ``L_q = LGD × Φ((Φ⁻¹(PD) + √ρ Φ⁻¹(q)) / √(1 − ρ))``.

    Parameters
    ----------
    pd : float
        One-year probability of default.
    lgd : float
        Loss given default.
    rho : float
        Asset correlation in [0, 1).
    q : float
        Quantile in (0, 1), e.g. 0.99.

    Returns
    -------
    float
        Loss as a fraction of exposure.

    References
    ----------
    Vasicek, O. (2002). The distribution of loan portfolio value. Risk 15(12), 160-162, eq. (5);
    BCBS (2005), An Explanatory Note on the Basel II IRB Risk Weight Functions, §3.

    Examples
    --------
    >>> round(vasicek_loss_quantile(0.02, 1.0, 0.15, 0.99), 4)
    0.1056
    """
    if not (0.0 < pd < 1.0 and 0.0 <= rho < 1.0 and 0.0 < q < 1.0):
        raise SpecError(f"vasicek_loss_quantile needs 0<pd<1, 0<=rho<1, 0<q<1; got pd={pd}, rho={rho}, q={q}.")
    return float(lgd * norm.cdf((ndtri(pd) + np.sqrt(rho) * ndtri(q)) / np.sqrt(1.0 - rho)))


@dataclass(frozen=True)
class FundResult:
    """What :func:`simulate_fund` returns.

    Parameters
    ----------
    summary : dict
        Headline figures (see :func:`simulate_fund`).
    scenarios : polars.DataFrame
        One row per scenario: loss_cny, fund_paid_cny, bank_loss_cny, top_up_cny, max_npl_ratio,
        fund_exhausted, lending_stopped.
    slices : polars.DataFrame
        One row per slice (when ``slice_by`` is given): book and loss figures of the slice.
    quantiles : polars.DataFrame
        Loss quantiles for the portfolio, the bank and the fund.
    """

    summary: dict[str, Any]
    scenarios: pl.DataFrame
    slices: pl.DataFrame
    quantiles: pl.DataFrame = field(default_factory=pl.DataFrame)


@dataclass(frozen=True)
class _Lowered:
    ead: FloatArray
    threshold: FloatArray  # Phi^-1(PD)
    loss_weights: FloatArray  # (n, 2 + k): lgd*ead, ead, then lgd*ead per slice
    group_counts: IntArray  # loans per group, loans sorted by group
    county_of_group: IntArray
    sector_of_group: IntArray
    n_counties: int
    n_sectors: int
    slice_names: tuple[str, ...]
    slice_ead: FloatArray


def _lower(portfolio: pl.DataFrame, slice_by: str | None, source: str) -> _Lowered:
    frame = validate_frame(portfolio, PORTFOLIO_COLUMNS, source=source)
    if frame.height == 0:
        raise DataError("the portfolio has no loans; add at least one row.", source=source)
    if slice_by is not None and slice_by not in ("county_id", "sector", "product_id"):
        raise param_error("simulate_fund", "slice_by", "county_id, sector, product_id or None", slice_by, "Pick one.")
    frame = frame.with_columns(
        pl.col("county_id").fill_null("all"), pl.col("sector").fill_null("all"), pl.col("product_id").fill_null("all")
    )
    frame = frame.with_columns(
        pl.col("county_id").rank("dense").cast(pl.Int64).alias("_c") - 1,
        pl.col("sector").rank("dense").cast(pl.Int64).alias("_s") - 1,
    )
    frame = frame.with_columns((pl.col("_c") * (pl.col("_s").max() + 1) + pl.col("_s")).alias("_g")).sort("_g")
    groups = frame.group_by("_g", maintain_order=True).agg(
        pl.len().alias("n"), pl.col("_c").first(), pl.col("_s").first()
    )
    ead = frame["ead_cny"].to_numpy().astype(np.float64)
    pd_ = np.clip(frame["pd"].to_numpy().astype(np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        threshold = ndtri(pd_)  # -inf for PD 0 (never defaults), +inf for PD 1 (always)
    el = ead * frame["lgd"].to_numpy().astype(np.float64)
    names: tuple[str, ...] = ()
    columns = [el, ead]
    slice_ead = np.zeros(0)
    if slice_by is not None:
        names = tuple(sorted(frame[slice_by].unique().to_list()))
        codes = frame[slice_by].to_numpy()
        onehot = np.stack([codes == name for name in names], axis=1)
        columns.extend(list((onehot * el[:, None]).T))
        slice_ead = (onehot * ead[:, None]).sum(axis=0)
    return _Lowered(
        ead=ead,
        threshold=np.asarray(threshold, dtype=np.float64),
        loss_weights=np.column_stack(columns),
        group_counts=groups["n"].to_numpy().astype(np.int64),
        county_of_group=groups["_c"].to_numpy().astype(np.int64),
        sector_of_group=groups["_s"].to_numpy().astype(np.int64),
        n_counties=int(frame["_c"].max()) + 1,  # type: ignore[arg-type]
        n_sectors=int(frame["_s"].max()) + 1,  # type: ignore[arg-type]
        slice_names=names,
        slice_ead=slice_ead,
    )


def _chunk_losses(low: _Lowered, copula: CopulaSpec, rng: np.random.Generator, c: int, horizon: int) -> FloatArray:
    """Losses of ``c`` scenarios, shape (c, horizon, 2 + k), from one chunk's own generator."""
    rho = copula.asset_correlation
    b = np.sqrt(1.0 - rho)
    # Default iff sqrt(rho) Y + b eps < threshold  <=>  eps + (sqrt(rho)/b) Y < threshold / b (float32 compare).
    t_scaled = (low.threshold / b).astype(np.float32)
    y_load = np.sqrt(rho) / b
    wg, wc, ws = (np.sqrt(copula.weight_global), np.sqrt(copula.weight_county), np.sqrt(copula.weight_sector))
    bounds = np.concatenate([[0], np.cumsum(low.group_counts)])
    out = np.zeros((c, horizon, low.loss_weights.shape[1]), dtype=np.float64)
    defaults = np.empty((c, low.ead.size), dtype=bool)
    for t in range(horizon):  # loop over years
        g = rng.standard_normal((c, 1))
        county = rng.standard_normal((c, low.n_counties))
        sector = rng.standard_normal((c, low.n_sectors))
        y_group = (wg * g + wc * county[:, low.county_of_group] + ws * sector[:, low.sector_of_group]) * y_load
        y32 = y_group.astype(np.float32)
        eps = rng.standard_normal((c, low.ead.size), dtype=np.float32)
        for j in range(low.group_counts.size):  # loop over (county, sector) groups: contiguous blocks of loans
            eps[:, bounds[j] : bounds[j + 1]] += y32[:, j : j + 1]
        np.less(eps, t_scaled, out=defaults)
        rows, cols = np.nonzero(defaults)  # defaults are sparse: sum their weights exactly in float64
        weights = low.loss_weights[cols]
        for k in range(weights.shape[1]):  # loop over the few loss columns (loss, EAD, slices)
            out[:, t, k] = np.bincount(rows, weights=weights[:, k], minlength=c)
    return out


def _simulate_losses(
    low: _Lowered, copula: CopulaSpec, n_scenarios: int, horizon: int, seed: int, chunk: int, n_threads: int = 2
) -> FloatArray:
    """Losses of shape (n_scenarios, horizon, 2 + k): loss, defaulted EAD, loss per slice (yuan).

    Chunk i always draws from child i of ``SeedSequence(seed)``, so the result does not depend on
    ``n_threads``; chunks run on a thread pool (numpy releases the GIL in the draws and comparisons).
    """
    n_chunks = -(-n_scenarios // chunk)
    children = np.random.SeedSequence(seed).spawn(n_chunks)
    out = np.zeros((n_scenarios, horizon, low.loss_weights.shape[1]), dtype=np.float64)

    def run(i: int) -> None:
        lo = i * chunk
        c = min(chunk, n_scenarios - lo)
        out[lo : lo + c] = _chunk_losses(low, copula, np.random.default_rng(children[i]), c, horizon)

    if n_threads <= 1 or n_chunks == 1:
        for i in range(n_chunks):  # loop over scenario chunks (memory bound), not loans
            run(i)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            list(pool.map(run, range(n_chunks)))
    return out


def _apply_scheme(loss: FloatArray, default_ead: FloatArray, book_cny: float, spec: FundSpec) -> dict[str, Any]:
    """Share simulated losses (n_scenarios, horizon) between fund and bank under a scheme's rules."""
    n, horizon = loss.shape
    balance = np.full(n, spec.fund_cny)
    stopped = np.zeros(n, dtype=bool)
    exhausted = np.zeros(n, dtype=bool)
    fund_paid = np.zeros(n)
    bank_loss = np.zeros(n)
    total_loss = np.zeros(n)
    top_up = np.zeros(n)
    max_npl = np.zeros(n)
    years_lending = np.zeros(n)
    fund_paid_by_year = np.zeros((n, horizon))
    for t in range(horizon):  # loop over years only
        active = ~stopped
        lt = np.where(active, loss[:, t], 0.0)
        npl = np.where(active, default_ead[:, t] / book_cny, 0.0) if book_cny > 0 else np.zeros(n)
        claim = spec.fund_loss_share * lt
        paid = np.minimum(claim, balance)
        balance = balance - paid
        exhausted |= claim > paid + 1e-6
        fund_paid += paid
        fund_paid_by_year[:, t] = paid
        bank_loss += lt - paid
        total_loss += lt
        years_lending += active
        max_npl = np.maximum(max_npl, npl)
        stopped |= npl > spec.npl_trigger
        if spec.top_up == "restore_annually" and t < horizon - 1:
            add = np.minimum(spec.fund_cny - balance, spec.top_up_cap_share * spec.fund_cny)
            add = np.where(stopped, 0.0, add)
            balance += add
            top_up += add
    return {
        "loss": total_loss,
        "fund_paid": fund_paid,
        "bank_loss": bank_loss,
        "top_up": top_up,
        "max_npl": max_npl,
        "exhausted": exhausted,
        "stopped": stopped,
        "years_lending": years_lending,
        "fund_paid_by_year": fund_paid_by_year,
    }


def _es(x: FloatArray, q: float) -> float:
    cut = np.quantile(x, q)
    tail = x[x >= cut]
    return float(tail.mean()) if tail.size else float(cut)


def _summary(
    shared: dict[str, Any], book_cny: float, spec: FundSpec, loss_year1: FloatArray, n_scenarios: int
) -> dict[str, Any]:
    loss_rate_q95 = float(np.quantile(loss_year1, 0.95)) / book_cny if book_cny > 0 else 0.0
    credit_years = book_cny * float(shared["years_lending"].mean())
    fund_capacity_book = (
        spec.fund_cny / (spec.fund_loss_share * loss_rate_q95)
        if spec.fund_loss_share > 0 and loss_rate_q95 > 0
        else float("inf")
    )
    ceiling = min(spec.max_book_cny, fund_capacity_book)
    se = float(shared["loss"].std(ddof=1) / np.sqrt(n_scenarios)) if n_scenarios > 1 else float("nan")
    return {
        "fund_id": spec.id,
        "n_scenarios": n_scenarios,
        "horizon_years": spec.horizon_years,
        "book_cny": book_cny,
        "fund_cny": spec.fund_cny,
        "leverage_multiple": spec.leverage_multiple,
        "fund_loss_share": spec.fund_loss_share,
        "npl_trigger": spec.npl_trigger,
        "expected_loss_cny": float(shared["loss"].mean()),
        "expected_loss_se_cny": se,
        "loss_var99_cny": float(np.quantile(shared["loss"], 0.99)),
        "bank_expected_loss_cny": float(shared["bank_loss"].mean()),
        "bank_loss_var99_cny": float(np.quantile(shared["bank_loss"], 0.99)),
        "bank_loss_es99_cny": _es(shared["bank_loss"], 0.99),
        "fund_expected_paid_cny": float(shared["fund_paid"].mean()),
        "fund_paid_var99_cny": float(np.quantile(shared["fund_paid"], 0.99)),
        "p_fund_exhausted": float(shared["exhausted"].mean()),
        "p_lending_stopped": float(shared["stopped"].mean()),
        "expected_years_lending": float(shared["years_lending"].mean()),
        "expected_top_up_cny": float(shared["top_up"].mean()),
        "fiscal_cost_per_yuan_credit": float(shared["fund_paid"].mean()) / credit_years if credit_years > 0 else 0.0,
        "max_book_by_multiple_cny": spec.max_book_cny,
        "max_book_by_fund_cny": fund_capacity_book,
        "growth_headroom_cny": ceiling - book_cny,
        "growth_factor": ceiling / book_cny if book_cny > 0 else float("inf"),
        "growth_binding": "multiple" if spec.max_book_cny <= fund_capacity_book else "fund_adequacy_q95",
    }


def _slice_frame(low: _Lowered, sims: FloatArray, shared: dict[str, Any], spec: FundSpec, scale: float) -> pl.DataFrame:
    if not low.slice_names:
        return pl.DataFrame()
    loss = sims[:, :, 0] * scale
    slice_loss = sims[:, :, 2:] * scale  # (S, T, k)
    # The fund pays pro rata to each slice's share of the year's loss (exhaustion shared alike).
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(loss[:, :, None] > 0, slice_loss / loss[:, :, None], 0.0)
    fund_by_slice = (share * shared["fund_paid_by_year"][:, :, None]).sum(axis=1)  # (S, k)
    # Years after lending stopped carry no losses in _apply_scheme; mirror that here.
    stopped_mask = np.arange(sims.shape[1])[None, :] >= shared["years_lending"].astype(np.int64)[:, None]
    total_slice = (slice_loss * ~stopped_mask[:, :, None]).sum(axis=1)
    bank_slice = total_slice - fund_by_slice
    rows = []
    for j, name in enumerate(low.slice_names):  # loop over a handful of slices
        rows.append(
            {
                "slice": name,
                "book_cny": float(low.slice_ead[j] * scale),
                "expected_loss_cny": float(total_slice[:, j].mean()),
                "loss_var99_cny": float(np.quantile(total_slice[:, j], 0.99)),
                "bank_expected_loss_cny": float(bank_slice[:, j].mean()),
                "bank_loss_var99_cny": float(np.quantile(bank_slice[:, j], 0.99)),
                "fund_expected_paid_cny": float(fund_by_slice[:, j].mean()),
                "expected_loss_rate": float(total_slice[:, j].mean() / (low.slice_ead[j] * scale))
                if low.slice_ead[j] > 0
                else 0.0,
            }
        )
    return pl.DataFrame(rows)


def _check_run(n_scenarios: int, seed: int, chunk: int, n_threads: int) -> None:
    if not 1 <= n_scenarios <= 10_000_000:
        raise param_error("simulate_fund", "n_scenarios", "an integer in 1..1e7", n_scenarios, "Use e.g. 10000.")
    if not 1 <= chunk <= 100_000:
        raise param_error("simulate_fund", "chunk_scenarios", "an integer in 1..1e5", chunk, "Use e.g. 100.")
    if not 1 <= n_threads <= 64:
        raise param_error("simulate_fund", "n_threads", "an integer in 1..64", n_threads, "Use e.g. 2.")
    if seed < 0:
        raise param_error("simulate_fund", "seed", "a non-negative integer", seed, "Pass e.g. seed=20260630.")


def simulate_fund(
    portfolio: pl.DataFrame,
    spec: FundSpec,
    *,
    n_scenarios: int = 10_000,
    seed: int,
    slice_by: str | None = None,
    scale_book_to: float | None = None,
    chunk_scenarios: int = 100,
    n_threads: int = 2,
    source: str = "portfolio",
) -> FundResult:
    """Monte Carlo of a loan book's losses shared between the risk-compensation fund and the bank.

    Each year the fund pays ``fund_loss_share`` of the loss until it is empty; the bank bears the rest
    and everything after exhaustion. Lending stops after a year whose NPL ratio (defaulted EAD / book)
    exceeds ``npl_trigger``; the book revolves yearly otherwise. With ``top_up="restore_annually"`` the
    contributors refill the fund at each year end (up to ``top_up_cap_share`` of its size).

    Parameters
    ----------
    portfolio : polars.DataFrame
        Loans (:data:`PORTFOLIO_COLUMNS`): loan_id, ead_cny, pd, lgd, county_id, sector, product_id.
    spec : FundSpec
        The fund and its rules.
    n_scenarios : int, default 10000
        Scenarios.
    seed : int
        Seed of every draw (same inputs and seed, same result).
    slice_by : {"county_id", "sector", "product_id"} or None
        Also report each slice of the book (one county, one product), from the same scenarios.
    scale_book_to : float or None
        Scale every exposure so the book totals this many yuan (e.g. ``spec.max_book_cny``).
    chunk_scenarios : int, default 100
        Scenarios drawn at a time; peak memory ≈ 5 bytes × chunk × loans per thread.
    n_threads : int, default 2
        Threads drawing chunks in parallel (the result does not depend on it).
    source : str, default "portfolio"
        Name of the portfolio file for messages.

    Returns
    -------
    FundResult
        ``summary`` (expected and 99% losses of book, bank and fund; probability the fund is exhausted;
        probability the NPL trigger stops lending and the expected years of lending before it; fiscal cost
        per yuan of credit-year; how far the book can grow before the multiple or the fund's 95% loss
        capacity binds: ``max_book_by_fund_cny = fund / (fund share × q95 loss rate)``, since the NPL ratio
        itself does not change with the size of a book of the same mix), ``scenarios``, ``slices`` and
        ``quantiles``.

    Raises
    ------
    DataError
        If the portfolio table is malformed.
    SpecError
        If a run parameter is out of range.
    """
    _check_run(n_scenarios, seed, chunk_scenarios, n_threads)
    low = _lower(portfolio, slice_by, source)
    sims = _simulate_losses(low, spec.copula, n_scenarios, spec.horizon_years, seed, chunk_scenarios, n_threads)
    book = float(low.ead.sum())
    scale = 1.0 if scale_book_to is None or book <= 0 else float(scale_book_to) / book
    return _result(low, sims, spec, book * scale, scale)


def _result(low: _Lowered, sims: FloatArray, spec: FundSpec, book: float, scale: float) -> FundResult:
    loss = sims[:, :, 0] * scale
    dead = sims[:, :, 1] * scale
    shared = _apply_scheme(loss, dead, book, spec)
    summary = _summary(shared, book, spec, loss[:, 0], sims.shape[0])
    scenarios = pl.DataFrame(
        {
            "scenario": np.arange(sims.shape[0], dtype=np.int64),
            "loss_cny": shared["loss"],
            "fund_paid_cny": shared["fund_paid"],
            "bank_loss_cny": shared["bank_loss"],
            "top_up_cny": shared["top_up"],
            "max_npl_ratio": shared["max_npl"],
            "fund_exhausted": shared["exhausted"],
            "lending_stopped": shared["stopped"],
        }
    )
    qs = np.array([0.5, 0.9, 0.95, 0.99, 0.999])
    quantiles = pl.DataFrame(
        {
            "quantile": qs,
            "loss_cny": np.quantile(shared["loss"], qs),
            "bank_loss_cny": np.quantile(shared["bank_loss"], qs),
            "fund_paid_cny": np.quantile(shared["fund_paid"], qs),
        }
    )
    return FundResult(summary, scenarios, _slice_frame(low, sims, shared, spec, scale), quantiles)


def compare_designs(
    portfolio: pl.DataFrame,
    base: FundSpec,
    designs: Sequence[Mapping[str, Any]],
    *,
    n_scenarios: int = 10_000,
    seed: int,
    scale_book_to_multiple: bool = True,
    chunk_scenarios: int = 100,
    n_threads: int = 2,
    source: str = "portfolio",
) -> pl.DataFrame:
    """Side-by-side comparison of scheme designs (multiple, loss share, trigger, …) for a finance bureau.

    Every design is ``base`` with some fields changed (``greenfin.evolve``); all designs share the same
    simulated default scenarios (common random numbers), so differences come from the rules alone.
    The correlation (``copula``) and horizon must match across designs for that reason.

    Parameters
    ----------
    portfolio : polars.DataFrame
        The loan book (:data:`PORTFOLIO_COLUMNS`).
    base : FundSpec
        The base scheme.
    designs : sequence of mapping
        Each with an ``id``, optional ``label`` and the FundSpec fields to change.
    n_scenarios : int, default 10000
        Scenarios.
    seed : int
        Seed.
    scale_book_to_multiple : bool, default True
        Scale the book to each design's full capacity (multiple × fund), so a higher multiple shows
        more credit and more risk; False keeps the book as given.
    chunk_scenarios : int, default 100
        Scenarios per chunk.
    n_threads : int, default 2
        Threads drawing chunks in parallel (the result does not depend on it).
    source : str, default "portfolio"
        Name of the portfolio file for messages.

    Returns
    -------
    polars.DataFrame
        One row per design: design_id, label, the changed terms and the :func:`simulate_fund` summary.

    Raises
    ------
    SpecError
        If a design is invalid (names the design and field) or changes the copula or horizon.
    """
    _check_run(n_scenarios, seed, chunk_scenarios, n_threads)
    if not designs:
        raise SpecError("compare_designs needs at least one design; add designs to the file.")
    specs: list[tuple[str, str, FundSpec]] = []
    for i, d in enumerate(designs):
        changes = {k: v for k, v in d.items() if k not in ("id", "label")}
        design_id = str(d.get("id", f"design_{i + 1}"))
        try:
            spec = evolve(base, **changes)
        except SpecError as exc:
            raise SpecError(f"Design {design_id!r}: {exc}") from exc
        if spec.copula != base.copula or spec.horizon_years != base.horizon_years:
            raise SpecError(
                f"Design {design_id!r} changes copula or horizon_years; compare those in separate runs "
                "(designs share one set of simulated defaults)."
            )
        specs.append((design_id, str(d.get("label", design_id)), spec))
    low = _lower(portfolio, None, source)
    sims = _simulate_losses(low, base.copula, n_scenarios, base.horizon_years, seed, chunk_scenarios, n_threads)
    book = float(low.ead.sum())
    rows = []
    for design_id, label, spec in specs:  # loop over a handful of designs; the scenarios are reused
        scale = spec.max_book_cny / book if scale_book_to_multiple and book > 0 else 1.0
        res = _result(low, sims, spec, book * scale, scale)
        rows.append({"design_id": design_id, "label": label, "top_up": spec.top_up, **res.summary})
    return pl.DataFrame(rows)
