import numpy as np
import pytest

from greenfin.errors import DataError, SpecError
from greenfin.units import check_magnitude, convert_area, money_label, to_yuan, yuan_to


def test_mu_hectare_definition() -> None:
    assert convert_area([15.0], "mu", "ha")[0] == pytest.approx(1.0, rel=1e-15)
    assert convert_area([1.0], "亩", "m2")[0] == pytest.approx(666.6666667, rel=1e-9)
    assert convert_area([1.0], "km2", "公顷")[0] == pytest.approx(100.0)


def test_money_scales_are_explicit() -> None:
    assert to_yuan([1.0], "亿元")[0] == 1e8
    assert yuan_to(to_yuan([3.5], "wan_yuan"), "yuan")[0] == 35_000.0
    assert money_label("亿元") == "亿元 (1e8 CNY)"


def test_billion_is_rejected_as_ambiguous() -> None:
    with pytest.raises(SpecError, match="ambiguous"):
        to_yuan([36677.04], "billion yuan".replace(" ", "_"))


def test_unknown_unit_names_the_choices() -> None:
    with pytest.raises(SpecError, match="mu"):
        convert_area([1.0], "acre", "ha")


def test_magnitude_check_catches_wan_yuan_typed_as_yuan() -> None:
    # a forest stumpage price of 0.35 "yuan per mu" is 0.35 万元 per mu typed into a yuan column
    with pytest.raises(DataError, match=r"万元 \(1e4\)") as info:
        check_magnitude(
            np.array([0.3, 0.35, 0.4]),
            low=200,
            high=50_000,
            what="price",
            unit="yuan/mu",
            source="rights.csv",
            column="price_cny_per_mu",
        )
    assert "rights.csv, column price_cny_per_mu" in str(info.value)
    check_magnitude(np.array([3000.0, np.nan]), low=200, high=50_000, what="price", unit="yuan/mu")
