"""greenfin.insurance: loss models, premium principles and Jiangxi insurance products.

Loss-model core: claim counts (:class:`Poisson`, :class:`NegativeBinomial`, :class:`Binomial`,
:class:`ZeroModified`; per-claim deductibles by :func:`thin` / :func:`with_deductible`), claim sizes
(:class:`LogNormal`, :class:`Gamma`, :class:`Weibull`, :class:`Pareto`, :class:`Exponential`,
:class:`Empirical`, :class:`DiscreteSeverity`), :func:`discretize` and :func:`aggregate` (Panjer, FFT,
Monte Carlo) with VaR, TVaR, stop-loss and layer costs and lower/upper brackets or standard errors.
Pricing: :func:`risk_premium` (premium principles), :func:`gross_premium` with :class:`Loadings`,
credibility (:func:`buhlmann`, :func:`buhlmann_straub`), :func:`burning_cost`, :class:`TweedieRating`.
Products: policy forest insurance (:func:`price_forest`, :func:`rate_backtest`), crop yield / full-cost /
income cover (:func:`price_crop`), weather index (:func:`price_index`, :func:`basis_risk`) and carbon-sink
cover (:func:`price_carbon_sink`). Every policy parameter comes from :func:`param_table` (value, unit,
source, confidence).
"""

from greenfin.insurance._aggregate import (
    AggregateResult,
    LatticeDistribution,
    SampleDistribution,
    aggregate,
    aggregate_moments,
    panjer_exact,
)
from greenfin.insurance._carbon import CarbonPricing, price_carbon_sink
from greenfin.insurance._crop import CropCover, CropPricing, default_crop_cover, detrend_yields, price_crop
from greenfin.insurance._experience import CredibilityResult, TweedieRating, buhlmann, buhlmann_straub, burning_cost
from greenfin.insurance._forest import (
    ForestCover,
    ForestPricing,
    SubsidySplit,
    default_forest_cover,
    forest_indemnity,
    load_forest_cover,
    price_forest,
    rate_backtest,
    split_premium_fen,
)
from greenfin.insurance._freq import Binomial, NegativeBinomial, Poisson, ZeroModified, thin
from greenfin.insurance._index import (
    IndexDesign,
    IndexPricing,
    basis_risk,
    index_by_year,
    index_payout,
    load_index_design,
    price_index,
)
from greenfin.insurance._params import param_table
from greenfin.insurance._parse import parse_frequency, parse_principle, parse_severity
from greenfin.insurance._premium import Loadings, gross_premium, risk_premium
from greenfin.insurance._sev import (
    DiscreteSeverity,
    Empirical,
    Excess,
    Exponential,
    Gamma,
    LogNormal,
    Pareto,
    Weibull,
    discretize,
    with_deductible,
)

__all__ = [
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
