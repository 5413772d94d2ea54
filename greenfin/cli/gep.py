"""``greenfin gep``: GEP accounting (生态系统生产总值核算) of parcels and regions under named rule sets."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from greenfin.cli._common import console, emit, progress_bar, to_jsonable

if TYPE_CHECKING:
    import polars as pl

    from greenfin.gep import GepAccount, RuleSet

NAME = "gep"
app = typer.Typer(
    help="GEP accounting (生态系统生产总值核算): parcel and region accounts, rule sets and their parameters.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result.")]
RulesOpt = Annotated[
    str,
    typer.Option(
        "--rules", help="Rule set: jiangxi-db36-1402-2021 (default), national-2022, rcees-classic, or a JSON."
    ),
]
PricesOpt = Annotated[
    Path | None,
    typer.Option("--prices", help="Overrides (CSV/JSON): indicator, parameter, value, unit[, price_year, source]."),
]
YearOpt = Annotated[int | None, typer.Option("--year", help="Accounting / price year (default: the data's year).")]


def _rules(rules: str, prices: Path | None) -> RuleSet:
    from greenfin.gep import apply_overrides, load_rules, read_overrides

    rs = load_rules(rules)
    if prices is not None:
        rs = apply_overrides(rs, read_overrides(prices), source=str(prices))
    return rs


def _files(name: str, frame: pl.DataFrame, *, csv: bool = True, excel: bool = False) -> dict[str, bytes]:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    files = {f"{name}.parquet": buf.getvalue()}
    if csv:
        files[f"{name}.csv"] = frame.write_csv().encode("utf-8")
    if excel:
        files[f"{name}.xlsx"] = _excel(frame)
    return files


def _excel(frame: pl.DataFrame) -> bytes:
    import math

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append([None if isinstance(v, float) and not math.isfinite(v) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _write(out: Path, files: dict[str, bytes]) -> None:
    """Write the folder only once every output is built; a temporary sibling is renamed into place."""
    import shutil
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _summary(acc: GepAccount, mc: pl.DataFrame | None) -> dict[str, Any]:
    from greenfin.units import yuan_to

    total = acc.total_cny
    out: dict[str, Any] = {
        "rules": f"{acc.rules.id} v{acc.rules.version}",
        "year": acc.year,
        "gep_cny": round(total, 2),
        "gep_yi_cny": round(float(yuan_to([total], "yi_yuan")[0]), 4),
        "realisable_cny": round(float(acc.county["realisable_cny"].sum()), 2),
    }
    if acc.gdp_cny:
        out["gep_gdp_ratio"] = round(total / acc.gdp_cny, 4)
    for cat in ("material", "regulating", "cultural"):
        out[f"{cat}_cny"] = round(float(acc.county.filter(acc.county["category"] == cat)["value_cny"].sum()), 2)
    out["indicators_cny"] = {r["indicator"]: round(r["value_cny"], 2) for r in acc.county.iter_rows(named=True)}
    if mc is not None:
        row = mc.filter(mc["indicator"] == "gep").row(0, named=True)
        out["gep_p10_cny"], out["gep_p50_cny"], out["gep_p90_cny"] = (
            round(row["p10_cny"], 2),
            round(row["p50_cny"], 2),
            round(row["p90_cny"], 2),
        )
    out["overridden"] = list(acc.rules.overridden)
    used = acc.rules.params_frame(_used_keys(acc))
    out["unverified_parameters_used"] = int((used["confidence"] == "unverified").sum())
    out["flags"] = [f"{r['kind']}: {r['indicators']} ({r['status']})" for r in acc.flags.iter_rows(named=True)]
    out["notes"] = list(acc.notes)
    return out


def _used_keys(acc: GepAccount) -> tuple[str, ...]:
    inds = set(acc.county["indicator"].to_list())
    keys = [k for k in (*acc.rules.params, *acc.rules.class_params) if k.split(".")[0] in inds]
    return tuple(keys)


def _account_files(acc: GepAccount, mc: pl.DataFrame | None, summary: dict[str, Any]) -> dict[str, bytes]:
    from greenfin.gep import standard_layout

    files: dict[str, bytes] = {}
    files.update(_files("account", standard_layout(acc), excel=True))
    files.update(_files("county", acc.county))
    files.update(_files("regions", acc.regions))
    files.update(_files("components", acc.components))
    files.update(_files("flags", acc.flags))
    files.update(_files("params", acc.rules.params_frame(_used_keys(acc))))
    if mc is not None:
        files.update(_files("uncertainty", mc))
    files["summary.json"] = json.dumps(to_jsonable(summary), ensure_ascii=False, indent=1).encode("utf-8")
    return files


@app.command()
def account(
    parcels: Annotated[Path, typer.Option("--parcels", help="Parcel table (CSV, Parquet, Excel, JSON).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (written only if everything succeeds).")],
    rules: RulesOpt = "jiangxi-db36-1402-2021",
    year: YearOpt = None,
    prices: PricesOpt = None,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="Region inventory (gep value format): emissions, output values, visitors."),
    ] = None,
    region_col: Annotated[
        str | None, typer.Option("--region-col", help="Parcel column matching the inventory's region_id.")
    ] = None,
    mc: Annotated[int, typer.Option("--mc", help="Monte Carlo draws (0 = none).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 20260630,
    as_json: JsonOpt = False,
) -> None:
    """Parcel (地块) GEP accounts that add up exactly to the region account; standard layout, flags, P10/P50/P90."""
    import polars as pl

    from greenfin._validation import read_table
    from greenfin.gep import account_parcels, monte_carlo

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Reading inputs · 读取数据", total=4)
        rs = _rules(rules, prices)
        frame = read_table(parcels)
        inv = read_table(inventory) if inventory is not None else None
        bar.update(task, completed=1, description="Accounting · 核算")
        acc = account_parcels(
            frame,
            rules=rs,
            inventory=inv,
            year=year,
            region_col=region_col,
            source=str(parcels),
            inventory_source=str(inventory),
        )
        bar.update(task, completed=2, description="Monte Carlo · 不确定性")
        draws = monte_carlo(acc, n_sims=mc, seed=seed) if mc > 0 else None
        bar.update(task, completed=3, description="Writing · 写出")
        summary = _summary(acc, draws)
        files = _account_files(acc, draws, summary)
        assert acc.parcels is not None
        files.update(_files("parcels", acc.parcels))
        if "village_id" in acc.parcels.columns:
            villages = (
                acc.parcels.group_by("village_id")
                .agg(pl.col("area_ha").sum(), pl.col("^.*_cny$").sum())
                .sort("village_id")
                .with_columns((pl.col("gep_cny") / pl.col("area_ha")).alias("gep_cny_per_ha"))
            )
            files.update(_files("villages", villages))
        _write(out, files)
        bar.update(task, completed=4, description="Done · 完成")
    summary["out"] = str(out)
    emit(summary, as_json=as_json, title=f"GEP parcel account · 地块GEP核算 ({acc.rules.id})")


@app.command()
def value(
    quantities: Annotated[
        Path, typer.Option("--quantities", help="Region quantities: indicator, component, quantity, unit[, region_id].")
    ],
    rules: RulesOpt = "jiangxi-db36-1402-2021",
    prices: PricesOpt = None,
    year: YearOpt = None,
    mc: Annotated[int, typer.Option("--mc", help="Monte Carlo draws (0 = none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 20260630,
    out: Annotated[Path | None, typer.Option("--out", help="Optional output folder for the tables.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Region (county) GEP account from region-level physical quantities (实物量 × 价格 = 价值量)."""
    from greenfin._validation import read_table
    from greenfin.gep import account_region, monte_carlo

    rs = _rules(rules, prices)
    acc = account_region(read_table(quantities), rules=rs, year=year, source=str(quantities))
    draws = monte_carlo(acc, n_sims=mc, seed=seed) if mc > 0 else None
    summary = _summary(acc, draws)
    if out is not None:
        _write(out, _account_files(acc, draws, summary))
        summary["out"] = str(out)
    emit(summary, as_json=as_json, title=f"GEP region account · 区域GEP核算 ({acc.rules.id})")


@app.command("rules")
def rules_cmd(
    rule_id: Annotated[str | None, typer.Argument(help="Rule-set id; omit to list them all.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the rule sets, or one rule set's indicators and parameters with value, unit, price year and source."""
    from rich.table import Table

    from greenfin.gep import list_rules, load_rules

    if rule_id is None:
        rows = []
        for rid in list_rules():
            rs = load_rules(rid)
            frame = rs.params_frame()
            rows.append(
                {
                    "id": rid,
                    "version": rs.version,
                    "title": f"{rs.title_en} / {rs.title_zh}",
                    "indicators": [i for i in rs.indicators if rs.includes(i)],
                    "parameters": frame.height,
                    "unverified": int((frame["confidence"] == "unverified").sum()),
                }
            )
        if as_json:
            emit({"rule_sets": rows}, as_json=True)
            return
        table = Table(title="GEP rule sets · 核算规则")
        for col in ("id", "version", "title", "indicators", "parameters", "unverified"):
            table.add_column(col)
        for r in rows:
            table.add_row(*(str(len(v)) if isinstance(v, list) else str(v) for v in r.values()))
        console.print(table)
        return
    rs = load_rules(rule_id)
    params = rs.params_frame()
    result = {
        "id": rs.id,
        "version": rs.version,
        "title_en": rs.title_en,
        "title_zh": rs.title_zh,
        "issuer": rs.issuer,
        "description": rs.description,
        "switches": rs.switches.model_dump(),
        "indicators": {i: {"included": r.included, "classes": list(r.classes)} for i, r in rs.indicators.items()},
        "overlaps": [o.model_dump() for o in rs.overlaps],
        "parameters": params,
    }
    if as_json:
        emit(result, as_json=True)
        return
    console.print(f"[bold]{rs.title_en}[/] · {rs.title_zh} (v{rs.version})\n{rs.description}\n")
    table = Table(title="Parameters · 参数 (✔ confirmed, ≈ secondary, ⚠ unverified)")
    for col in ("parameter", "value", "unit", "price_year", "mark", "source"):
        table.add_column(col, overflow="fold")
    for r in params.iter_rows(named=True):
        cells = (
            r["parameter"],
            str(r["value"])[:60],
            r["unit"],
            r["price_year"] or "",
            r["mark"],
            str(r["source"])[:80],
        )
        table.add_row(*(str(c) for c in cells))
    console.print(table)
