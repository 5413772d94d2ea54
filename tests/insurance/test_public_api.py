"""Pins ``greenfin.insurance.__all__``: breaking an export must be a deliberate change of this file."""

import greenfin.insurance

EXPECTED = [
    "AggregateResult",
    "Binomial",
    "CarbonPricing",
    "CredibilityResult",
    "CropCover",
    "CropPricing",
    "DiscreteSeverity",
    "Empirical",
    "Excess",
    "Exponential",
    "ForestCover",
    "ForestPricing",
    "Gamma",
    "IndexDesign",
    "IndexPricing",
    "LatticeDistribution",
    "Loadings",
    "LogNormal",
    "NegativeBinomial",
    "Pareto",
    "Poisson",
    "SampleDistribution",
    "SubsidySplit",
    "TweedieRating",
    "Weibull",
    "ZeroModified",
    "aggregate",
    "aggregate_moments",
    "basis_risk",
    "buhlmann",
    "buhlmann_straub",
    "burning_cost",
    "default_crop_cover",
    "default_forest_cover",
    "detrend_yields",
    "discretize",
    "forest_indemnity",
    "gross_premium",
    "index_by_year",
    "index_payout",
    "load_forest_cover",
    "load_index_design",
    "panjer_exact",
    "param_table",
    "parse_frequency",
    "parse_principle",
    "parse_severity",
    "price_carbon_sink",
    "price_crop",
    "price_forest",
    "price_index",
    "rate_backtest",
    "risk_premium",
    "split_premium_fen",
    "thin",
    "with_deductible",
]


def test_insurance_public_api_is_pinned() -> None:
    assert sorted(greenfin.insurance.__all__) == EXPECTED


def test_every_export_exists() -> None:
    for name in EXPECTED:
        assert hasattr(greenfin.insurance, name), name
