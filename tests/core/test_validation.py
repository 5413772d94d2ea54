import polars as pl
import pytest

from greenfin._validation import ColumnSpec, read_table, validate_frame
from greenfin.errors import DataError

SPECS = [
    ColumnSpec(name="parcel_id", kind="str"),
    ColumnSpec(name="area_ha", gt=0, description="parcel area in hectares"),
    ColumnSpec(name="land_class", kind="str", allowed=("forest", "cropland")),
]


def test_missing_column_suggests_the_close_name() -> None:
    df = pl.DataFrame({"parcel_id": ["a"], "area_hа": [1.0], "land_class": ["forest"]})
    with pytest.raises(DataError, match="required column 'area_ha' is missing"):
        validate_frame(df, SPECS, source="parcels.csv")
    df = pl.DataFrame({"parcel_id": ["a"], "areaha": [1.0], "land_class": ["forest"]})
    with pytest.raises(DataError, match="Did you mean 'areaha'"):
        validate_frame(df, SPECS, source="parcels.csv")


@pytest.mark.parametrize(
    ("column", "values", "message", "row"),
    [
        ("area_ha", [1.0, float("nan")], "missing value", 2),
        ("area_ha", [1.0, -3.0], "must be > 0.0", 2),
        ("area_ha", ["1.0", "x"], "not a valid float", 2),
        ("land_class", ["forest", "mine"], "'mine' is not allowed", 2),
    ],
)
def test_bad_values_name_column_and_row(column: str, values: list[object], message: str, row: int) -> None:
    base: dict[str, list[object]] = {
        "parcel_id": ["a", "b"],
        "area_ha": [1.0, 2.0],
        "land_class": ["forest"] * 2,
    }
    base[column] = values
    with pytest.raises(DataError, match=message) as info:
        validate_frame(pl.DataFrame(base, strict=False), SPECS, source="parcels.csv")
    assert info.value.column == column
    assert info.value.row == row
    assert info.value.source == "parcels.csv"


def test_read_table_formats(tmp_path) -> None:  # type: ignore[no-untyped-def]
    df = pl.DataFrame({"parcel_id": ["a", "b"], "area_ha": [1.5, 2.0], "land_class": ["forest", "cropland"]})
    df.write_csv(tmp_path / "p.csv")
    df.write_parquet(tmp_path / "p.parquet")
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(df.columns)
    for row in df.iter_rows():
        book.active.append(list(row))
    book.save(tmp_path / "p.xlsx")
    for name in ("p.csv", "p.parquet", "p.xlsx"):
        assert validate_frame(read_table(tmp_path / name), SPECS).equals(df)
    (tmp_path / "p.dbf").write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        read_table(tmp_path / "p.dbf")
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv")
