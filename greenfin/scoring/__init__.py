"""Eco-credit scoring (生态信贷通 评分): scorecards and boosted PD models with GEP and eco-credit features.

Estimators keep the sklearn contract and accept polars, pandas or numpy ``X``:

- :class:`WoEBinner`: monotone optimal binning and Laplace-smoothed WOE, with a trend report;
- :class:`Scorecard`: binning + logistic regression + PDO points, with reasons (主要扣分原因) and
  counterfactuals from the same bin points that sum to the score;
- :class:`BoostedPD`: LightGBM with small-sample defaults, early stopping and monotone constraints;
- :class:`SegmentedScorecard`: cards per borrower type on one points scale.

Every fit goes through the feature-legality registry (:func:`default_registry`: forbidden,
consent-gated, audit-only, allowed; PIPL and 征信业管理条例) and writes a manifest. Models save as JSON
or LightGBM text with content hashes (:func:`save_model`, :func:`load_model`); :func:`score_frame` is
the entry point to score a polars frame. Metrics, calibration, PSI/CSI, fairness and grouped
validation helpers complete the package.
"""

from greenfin.scoring._artefact import input_schema, load_model, save_model, score_frame, score_record
from greenfin.scoring._binning import FeatureSpec, WoEBinner
from greenfin.scoring._boosted import BoostedPD
from greenfin.scoring._eco import (
    county_gep_features,
    eco_features,
    fairness_report,
    group_lift_report,
    grouped_validation,
)
from greenfin.scoring._governance import FeatureRegistry, RegistryEntry, default_registry
from greenfin.scoring._metrics import (
    Calibration,
    bootstrap_ci,
    calibration_by_grade,
    csi,
    discrimination,
    fit_calibration,
    ks_statistic,
    psi,
    psi_by_segment,
)
from greenfin.scoring._scale import MasterScale, scoring_params
from greenfin.scoring._scorecard import Scorecard
from greenfin.scoring._segmented import SegmentedScorecard

__all__ = [
    "BoostedPD",
    "Calibration",
    "FeatureRegistry",
    "FeatureSpec",
    "MasterScale",
    "RegistryEntry",
    "Scorecard",
    "SegmentedScorecard",
    "WoEBinner",
    "bootstrap_ci",
    "calibration_by_grade",
    "county_gep_features",
    "csi",
    "default_registry",
    "discrimination",
    "eco_features",
    "fairness_report",
    "fit_calibration",
    "group_lift_report",
    "grouped_validation",
    "input_schema",
    "ks_statistic",
    "load_model",
    "psi",
    "psi_by_segment",
    "save_model",
    "score_frame",
    "score_record",
    "scoring_params",
]
