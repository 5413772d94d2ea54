"""Pins every package's ``__all__``: breaking an export must be a deliberate change of this file."""

import importlib

import pytest

PUBLIC = {
    "greenfin": [
        "ConflictError",
        "ConvergenceError",
        "DataError",
        "GreenfinError",
        "SpecError",
        "__version__",
        "evolve",
    ],
    "greenfin.money": ["FEN_PER_YUAN", "allocate_fen", "fen_to_yuan", "round_half_up", "yuan_to_fen"],
    "greenfin.errors": [
        "ConflictError",
        "ConvergenceError",
        "DataError",
        "GreenfinError",
        "SpecError",
        "param_error",
    ],
    "greenfin.dates": [
        "CALENDARS",
        "BusinessDayRule",
        "Calendar",
        "PastEnd",
        "add_months",
        "calendar_coverage",
        "get_calendar",
        "holidays_in",
        "parse_date",
    ],
    "greenfin.conventions": ["Convention", "get_convention", "list_conventions"],
    "greenfin.datasets": ["describe_sample", "list_samples", "load_sample", "sample_path"],
    "greenfin.report": ["Figure", "KeyFigure", "Report", "Section", "Table", "figure_png", "write_report"],
    "greenfin.provenance": ["CONFIDENCE_MARKS", "Confidence", "Param", "ParamTable", "load_param_table"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} is exported but missing"
