"""``greenfin assess``: bank scores, environmental benefits, financed emissions, GEP transfers, rulebooks, template.

Every command reads the user's own files, validates them once, builds all outputs in memory and then writes
them to ``--out DIR``: CSV + Parquet tables, a filing workbook (``assessment_filing.xlsx``, bilingual
headers, the layout a finance office files), an HTML report (``report/index.html``) and ``summary.json``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from greenfin.cli._common import emit, progress_bar
from greenfin.errors import DataError

if TYPE_CHECKING:
    import polars as pl

    from greenfin.assessment import FilingSheet, Override
    from greenfin.report import Section

NAME = "assess"

app = typer.Typer(
    help="Green-credit assessment (绿色信贷考核评价): score banks, attribute benefits, financed emissions.",
    no_args_is_help=True,
)

LoansOpt = Annotated[Path, typer.Option("--loans", help="Loan-level green-credit report (CSV, Parquet, Excel).")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder (created; files in it are replaced).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]
QuarterOpt = Annotated[str | None, typer.Option("--quarter", help="Quarter YYYYQn (default: latest in the loans).")]
ToVersionOpt = Annotated[str, typer.Option("--to-version", help="Target green catalogue of the crosswalk.")]


def _read_loans(path: Path, to_version: str) -> pl.DataFrame:
    import polars as pl

    from greenfin._validation import read_table
    from greenfin.assessment import classify_loans, validate_loans

    loans = classify_loans(validate_loans(read_table(path), source=str(path)), to_version=to_version, source=str(path))
    return loans if isinstance(loans, pl.DataFrame) else loans.collect()


def _pick_quarter(loans: pl.DataFrame, quarter: str | None, source: Path) -> str:
    from greenfin.assessment import parse_quarter

    quarters = sorted(loans["quarter"].unique().to_list())
    if quarter is None:
        return str(quarters[-1])
    parse_quarter(quarter)
    q = quarter.strip().upper()
    if q not in quarters:
        raise DataError(f"has no loans in quarter {q}; quarters present: {', '.join(quarters)}.", source=str(source))
    return q


def _read_overrides(path: Path) -> tuple[Override, ...]:
    from pydantic import ValidationError

    from greenfin._validation import read_table
    from greenfin.assessment import Override

    frame = read_table(path)
    out = []
    for i, row in enumerate(frame.to_dicts(), start=1):
        try:
            out.append(Override.model_validate({k: row.get(k) for k in Override.model_fields}))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise DataError(
                f"override is invalid: {'.'.join(str(x) for x in err['loc'])}: {err['msg']}. Every override needs "
                "bank_code, quarter, target, points, a reason (10+ characters) and an author.",
                source=str(path),
                row=i,
            ) from None
    return tuple(out)


def _write_outputs(
    out: Path,
    tables: dict[str, pl.DataFrame],
    sheets: Sequence[FilingSheet],
    sections: Sequence[Section],
    summary: dict[str, Any],
    *,
    period: str,
    title: tuple[str, str],
) -> None:
    """Build everything in a temporary sibling folder, then move the files into ``out``."""
    from greenfin.assessment import write_filing_workbook
    from greenfin.report import Report, write_report

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, frame in tables.items():
            frame.write_csv(work / f"{name}.csv")
            frame.write_parquet(work / f"{name}.parquet")
        write_filing_workbook(
            work / "assessment_filing.xlsx",
            sheets,
            filer="________",
            period=period,
            unit_note="金额单位：元；效益：吨/年 Amounts in yuan; benefits in t/yr",
        )
        report = Report(
            title[0],
            title[1],
            tuple(sections),
            meta={"period 报告期": period, **{k: str(v) for k, v in summary.items() if not isinstance(v, dict | list)}},
        )
        write_report(report, work / "report")
        (work / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        out.mkdir(exist_ok=True)
        for item in work.iterdir():
            target = out / item.name
            if target.is_dir():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _headers(labels: dict[str, str], columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Split bilingual labels ("Coal saved 节约标准煤 (tce/yr)") into a Chinese and an English header row."""
    out = {}
    for c in columns:
        tokens = labels.get(c, c).split()
        cjk = [t for t in tokens if any("\u4e00" <= ch <= "\u9fff" for ch in t)]
        unit = [t for t in tokens if t.startswith("(") and t.endswith(")")]
        english = [t for t in tokens if t not in cjk]
        out[c] = (" ".join(cjk + unit) if cjk else c, " ".join(english) or c)
    return out


def _run(step: Callable[[], None], as_json: bool, label: str) -> None:
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task(label, total=1)
        step()
        bar.update(task, completed=1, description=f"{label} · done 完成")


@app.command()
def banks(
    loans: LoansOpt,
    out: OutOpt,
    quarter: QuarterOpt = None,
    rules: Annotated[
        str, typer.Option("--rules", help="Rulebook id (see `greenfin assess rules`) or a JSON file.")
    ] = "pboc-2021",
    banks_file: Annotated[
        Path | None,
        typer.Option("--banks", help="Bank-quarter file: green bonds, total business, qualitative points, peer group."),
    ] = None,
    overrides: Annotated[
        Path | None,
        typer.Option("--overrides", help="Manual overrides (bank_code, quarter, target, points, reason, author)."),
    ] = None,
    denominator: Annotated[
        str | None,
        typer.Option("--denominator", help="Override the rulebook's share denominator: total_business or total_loans."),
    ] = None,
    trend_quarters: Annotated[int, typer.Option("--trend-quarters", min=1, max=12, help="Quarters in the trend.")] = 4,
    to_version: ToVersionOpt = "2025",
    as_json: JsonOpt = False,
) -> None:
    """Score and rank the banks for one quarter under a rulebook (PBoC 2021 by default)."""
    import polars as pl

    from greenfin._validation import evolve, read_table
    from greenfin.assessment import (
        FilingSheet,
        aggregate_loans,
        bank_quarter_panel,
        load_rulebook,
        rulebook_formulas,
        score_banks,
        validate_bank_quarters,
    )
    from greenfin.report.stages.assessment import LABELS, banks_section

    result_box: dict[str, Any] = {}

    def step() -> None:
        rulebook = load_rulebook(rules)
        if denominator is not None:
            rulebook = evolve(rulebook, denominator=denominator)
        frame = _read_loans(loans, to_version)
        q = _pick_quarter(frame, quarter, loans)
        bq = validate_bank_quarters(read_table(banks_file), source=str(banks_file)) if banks_file else None
        names = (
            dict(bq.select("bank_code", "bank_name").unique().iter_rows())
            if bq is not None and "bank_name" in bq.columns
            else {}
        )
        ov = _read_overrides(overrides) if overrides else ()
        panel = bank_quarter_panel(aggregate_loans(frame), bq)
        result = score_banks(panel, rulebook, q, overrides=ov)
        present = sorted(panel["quarter"].unique().to_list())
        trend_qs = [x for x in present if x <= q][-trend_quarters:]
        trend = score_banks(panel, rulebook, trend_qs)
        notes = (
            []
            if bq is not None
            else [
                "No --banks file: green bonds count as zero and qualitative points are missing "
                "(ranking on the quantitative score)."
            ]
        )
        section = banks_section(result, trend, panel, rulebook, names, extra_notes=notes)
        ind_ids = [i.id for i in rulebook.indicators]
        ranking = result.scores.with_columns(
            pl.col("bank_code").replace_strict(names, default=pl.col("bank_code")).alias("bank_name")
        ).select(
            "rank",
            "bank_code",
            "bank_name",
            *ind_ids,
            "quantitative_score",
            "qualitative_score",
            "total_score",
            "grade",
        )
        labels = dict(LABELS) | {i.id: f"{i.name_en} {i.name_zh}（满分{i.points:g}）" for i in rulebook.indicators}
        formulas = rulebook_formulas(rulebook)
        sheets = [
            FilingSheet(
                "评价结果 Results",
                f"银行业金融机构绿色金融评价结果表（{q}）",
                f"Green-finance evaluation results {q}, {rulebook.id}",
                ranking,
                _headers(labels, ranking.columns),
                notes=[f"规则 Rulebook: {rulebook.title_zh} / {rulebook.title_en} v{rulebook.version}", *section.notes],
            ),
            FilingSheet(
                "指标明细 Breakdown",
                "分指标得分明细",
                "Indicator breakdown",
                result.breakdown,
                _headers(labels, result.breakdown.columns),
            ),
            FilingSheet("公式状态 Formulas", "评价公式及核实状态", "Formulas and confirmation status", formulas, {}),
            FilingSheet(
                "季度趋势 Trend",
                "各季度得分",
                "Scores by quarter",
                trend.scores,
                _headers(labels, trend.scores.columns),
            ),
        ]
        if result.warnings.height:
            sheets.append(
                FilingSheet(
                    "数据问题 Issues",
                    "数据问题",
                    "Data issues",
                    result.warnings,
                    _headers(labels, result.warnings.columns),
                )
            )
        if result.overrides.height:
            sheets.append(
                FilingSheet(
                    "人工调整 Overrides",
                    "人工调整记录",
                    "Manual overrides",
                    result.overrides,
                    _headers(labels, result.overrides.columns),
                )
            )
        tables = {
            "scores": result.scores,
            "breakdown": result.breakdown,
            "trend": trend.scores,
            "warnings": result.warnings,
            "overrides": result.overrides,
            "formulas": formulas,
            "panel": panel,
        }
        top = ranking.row(0, named=True)
        summary = {
            "quarter": q,
            "rulebook": rulebook.id,
            "banks_scored": result.scores.height,
            "top_bank": top["bank_code"],
            "top_score": top["total_score"] if top["total_score"] is not None else top["quantitative_score"],
            "warnings": result.warnings.height,
            "overrides": result.overrides.height,
            "unverified_formulas": formulas.filter(pl.col("status") != "confirmed").height,
            "out": str(out),
        }
        _write_outputs(
            out,
            tables,
            sheets,
            [section],
            summary,
            period=q,
            title=("Green-finance evaluation of banks", "银行业金融机构绿色金融评价"),
        )
        result_box.update(summary)

    _run(step, as_json, "Scoring banks · 银行评价")
    emit(result_box, as_json=as_json, title="greenfin assess banks · 银行绿色金融评价")


@app.command()
def benefits(
    loans: LoansOpt,
    projects: Annotated[
        Path, typer.Option("--projects", help="Green projects with annual benefits and total investment.")
    ],
    out: OutOpt,
    quarter: QuarterOpt = None,
    to_version: ToVersionOpt = "2025",
    as_json: JsonOpt = False,
) -> None:
    """Attribute project benefits to green loans by the CBRC method (balance ÷ project total investment)."""
    from greenfin._validation import read_table
    from greenfin.assessment import FilingSheet, attribute_benefits, validate_projects
    from greenfin.report.stages.assessment import LABELS, benefits_section

    result_box: dict[str, Any] = {}

    def step() -> None:
        frame = _read_loans(loans, to_version)
        q = _pick_quarter(frame, quarter, loans)
        proj = validate_projects(read_table(projects), source=str(projects))
        result = attribute_benefits(frame, proj, source=str(projects))
        section = benefits_section(result, q)
        by_bank = result.by_bank.filter(result.by_bank["quarter"] == q)
        by_sector = result.by_sector.filter(result.by_sector["quarter"] == q)
        sheets = [
            FilingSheet(
                "机构效益 By bank",
                f"绿色信贷环境效益表（{q}）",
                f"Environmental benefits by bank {q}",
                by_bank,
                _headers(LABELS, by_bank.columns),
                notes=list(section.notes),
            ),
            FilingSheet(
                "分类效益 By category",
                "分类别环境效益",
                "Benefits by category",
                by_sector,
                _headers(LABELS, by_sector.columns),
            ),
            FilingSheet(
                "重复归属 Double counting",
                "跨行归属超过100%的项目",
                "Projects over-attributed",
                result.double_counting,
                {},
            ),
            FilingSheet("因子 Factors", "测算因子", "Factors used", result.factors_used, {}),
        ]
        tables = {
            "benefits_loans": result.loans,
            "benefits_by_bank": result.by_bank,
            "benefits_by_sector": result.by_sector,
            "benefits_double_counting": result.double_counting,
            "factors_used": result.factors_used,
        }
        summary = {
            "quarter": q,
            "green_loans_attributed": by_bank["n_loans"].sum(),
            "coal_saved_tce_per_year": float(by_bank["coal_saved_tce"].sum()),
            "co2_reduced_tco2e_per_year": float(by_bank["co2_reduced_tco2e"].sum()),
            "projects_over_attributed": result.double_counting.filter(result.double_counting["quarter"] == q).height,
            "out": str(out),
        }
        _write_outputs(
            out,
            tables,
            sheets,
            [section],
            summary,
            period=q,
            title=("Environmental benefits of green loans", "绿色信贷环境效益"),
        )
        result_box.update(summary)

    _run(step, as_json, "Attributing benefits · 环境效益测算")
    emit(result_box, as_json=as_json, title="greenfin assess benefits · 环境效益")


@app.command()
def emissions(
    loans: LoansOpt,
    out: OutOpt,
    quarter: QuarterOpt = None,
    to_version: ToVersionOpt = "2025",
    as_json: JsonOpt = False,
) -> None:
    """PCAF financed emissions of the loan book with attribution factors and data-quality scores."""
    from greenfin.assessment import FilingSheet, financed_emissions
    from greenfin.report.stages.assessment import LABELS, emissions_section

    result_box: dict[str, Any] = {}

    def step() -> None:
        frame = _read_loans(loans, to_version)
        q = _pick_quarter(frame, quarter, loans)
        result = financed_emissions(frame.filter(frame["quarter"] == q))
        section = emissions_section(result, q)
        sheets = [
            FilingSheet(
                "机构排放 By bank",
                f"融资排放表（{q}）",
                f"Financed emissions by bank {q}",
                result.by_bank,
                _headers(LABELS, result.by_bank.columns),
                notes=list(section.notes),
            ),
            FilingSheet(
                "行业排放 By sector",
                "分行业融资排放",
                "Financed emissions by sector",
                result.by_sector,
                _headers(LABELS, result.by_sector.columns),
            ),
        ]
        tables = {
            "emissions_loans": result.loans,
            "emissions_by_bank": result.by_bank,
            "emissions_by_sector": result.by_sector,
        }
        bal = float(result.by_bank["balance_cny"].sum())
        summary = {
            "quarter": q,
            "loans": result.loans.height,
            "financed_tco2e_per_year": float(result.by_bank["financed_tco2e"].sum()),
            "pcaf_dq_score_weighted": float((result.loans["pcaf_dq_score"] * result.loans["balance_cny"]).sum()) / bal
            if bal
            else None,
            "out": str(out),
        }
        _write_outputs(
            out, tables, sheets, [section], summary, period=q, title=("Financed emissions (PCAF)", "融资排放（PCAF）")
        )
        result_box.update(summary)

    _run(step, as_json, "Financed emissions · 融资排放")
    emit(result_box, as_json=as_json, title="greenfin assess emissions · 融资排放")


@app.command()
def transfers(
    gep: Annotated[Path, typer.Option("--gep", help="County GEP accounts: county_id, year, gep_cny.")],
    out: OutOpt,
    rule: Annotated[str, typer.Option("--rule", help="GEP transfer rule id.")] = "level-and-change",
    as_json: JsonOpt = False,
) -> None:
    """Eco-compensation or transfer amounts from each county's GEP level and change (rule as data)."""
    import polars as pl

    from greenfin._validation import read_table
    from greenfin.assessment import FilingSheet, gep_transfers, load_gep_transfer_rule
    from greenfin.report.stages.assessment import LABELS, gep_section

    result_box: dict[str, Any] = {}

    def step() -> None:
        spec = load_gep_transfer_rule(rule)
        table = gep_transfers(read_table(gep), spec, source=str(gep))
        if table.height == 0:
            raise DataError(
                "needs at least two consecutive years for a county to measure the GEP change.", source=str(gep)
            )
        latest_year = int(table.select(pl.col("year").max()).item())
        county = str(table.filter(table["year"] == latest_year)["county_id"][0])
        section = gep_section(table, spec, county, str(gep))
        sheets = [
            FilingSheet(
                "转移支付 Transfers",
                f"GEP挂钩转移支付（规则 {spec.id}）",
                f"GEP-linked transfers ({spec.id})",
                table,
                _headers(LABELS, table.columns),
                notes=[spec.note],
            )
        ]
        summary = {
            "rule": spec.id,
            "county_years": table.height,
            "total_transfer_cny": float(table["transfer_cny"].sum()),
            "out": str(out),
        }
        _write_outputs(
            out,
            {"gep_transfers": table},
            sheets,
            [section],
            summary,
            period=str(latest_year),
            title=("GEP-linked transfers", "GEP挂钩转移支付"),
        )
        result_box.update(summary)

    _run(step, as_json, "GEP transfers · GEP挂钩转移支付")
    emit(result_box, as_json=as_json, title="greenfin assess transfers · GEP挂钩转移支付")


@app.command()
def template(
    out: Annotated[Path, typer.Option("--out", "-o", help="Template file to write (.xlsx or .csv).")],
    as_json: JsonOpt = False,
) -> None:
    """Write an empty loan-level report template: column names (row 1) and what each holds (row 2, bilingual)."""
    import io

    from greenfin._validation import write_atomically
    from greenfin.assessment import LOAN_COLUMNS

    names = [c.name for c in LOAN_COLUMNS]
    notes = [
        f"{c.description}{'' if c.required else ' (optional 可选)'}{f'; one of {list(c.allowed)}' if c.allowed else ''}"
        for c in LOAN_COLUMNS
    ]
    if out.suffix.lower() == ".csv":
        buf = io.StringIO()
        import csv

        writer = csv.writer(buf)
        writer.writerow(names)
        data = buf.getvalue().encode("utf-8")
        write_atomically(
            out.with_name(out.stem + "_columns.txt"),
            "\n".join(f"{n}: {d}" for n, d in zip(names, notes, strict=True)).encode("utf-8"),
        )
    elif out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import Font

        book = Workbook()
        ws = book.active
        ws.title = "loans 贷款明细"
        ws.append(names)
        for cell, note in zip(ws[1], notes, strict=True):
            cell.font = Font(bold=True)
            cell.comment = Comment(note, "greenfin")
        guide = book.create_sheet("columns 字段说明")
        guide.append(["column 字段", "meaning 含义", "required 必填"])
        for c in LOAN_COLUMNS:
            guide.append([c.name, c.description, "yes 是" if c.required else "no 否"])
        xbuf = io.BytesIO()
        book.save(xbuf)
        data = xbuf.getvalue()
    else:
        raise DataError("template must end in .xlsx or .csv.", source=str(out))
    write_atomically(out, data)
    emit({"template": str(out), "columns": len(names)}, as_json=as_json, title="Loan report template · 贷款明细模板")


@app.command()
def rules(
    rulebook_id: Annotated[str | None, typer.Argument(help="Rulebook id; omit to list all rulebooks.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the rulebooks, or show one rulebook's weights and formulas with their confirmation status."""
    import polars as pl

    from greenfin.assessment import list_rulebooks, load_rulebook, rulebook_formulas

    if rulebook_id is None:
        listing: dict[str, Any] = {}
        for rid in list_rulebooks():
            rb = load_rulebook(rid)
            f = rulebook_formulas(rb)
            counts = dict(f.group_by("status").len().iter_rows())
            entry = {
                "title": f"{rb.title_en} / {rb.title_zh}",
                "weights": f"{rb.quantitative_weight.value:g} / {rb.qualitative_weight.value:g}",
                "indicators": ", ".join(f"{i.id} ({i.points:g})" for i in rb.indicators),
                "confirmed": counts.get("confirmed", 0),
                "secondary": counts.get("secondary", 0),
                "unverified": counts.get("unverified", 0),
            }
            listing[rid] = (
                entry
                if as_json
                else f"{entry['title']}; quant/qual {entry['weights']}; {entry['indicators']}; formulas "
                f"✔ {entry['confirmed']} ≈ {entry['secondary']} ⚠ {entry['unverified']}"
            )
        emit(listing, as_json=as_json, title="Rulebooks · 评价规则 (✔ confirmed ≈ secondary ⚠ unverified)")
        return
    rb = load_rulebook(rulebook_id)
    f = rulebook_formulas(rb)
    if as_json:
        emit({"rulebook": rb.id, "version": rb.version, "formulas": f}, as_json=True)
        return
    rows = {
        f"{r['item']} · {r['part']}": f"{r['mark']} {r['status']}: {r['value']}  [{r['source'][:80]}]"
        for r in f.select(pl.all()).to_dicts()
    }
    emit(
        {"rulebook": f"{rb.id} v{rb.version}: {rb.title_en} / {rb.title_zh}", **rows},
        as_json=False,
        title=f"Rulebook {rb.id}",
    )


__all__ = ["NAME", "app"]
