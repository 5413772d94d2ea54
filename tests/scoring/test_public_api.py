from __future__ import annotations

import greenfin.scoring


def test_public_api_is_pinned():
    assert sorted(greenfin.scoring.__all__) == [
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
    for name in greenfin.scoring.__all__:
        assert getattr(greenfin.scoring, name) is not None
