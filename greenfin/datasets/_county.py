"""Identity of the bundled synthetic sample county, shared by every sample generator.

The county is fictional (not real data): "样本县 Sample County", Jiangxi, code 369901, with 12 townships
of 10 villages each. Generators in this package use these ids so that borrowers, rights, policies and
loans of the different samples refer to the same villages and parcels.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "COUNTY_ID",
    "COUNTY_NAME_EN",
    "COUNTY_NAME_ZH",
    "FOREST_CATEGORIES",
    "LAND_CLASSES",
    "SAMPLE_YEAR",
    "SPECIES_GROUPS",
    "TOWNSHIPS",
    "VILLAGES",
]

COUNTY_ID: Final = "369901"
COUNTY_NAME_EN: Final = "Sample County"
COUNTY_NAME_ZH: Final = "样本县"
SAMPLE_YEAR: Final = 2025
"""Accounting year of the sample's GEP accounts and statements."""

TOWNSHIPS: Final[tuple[str, ...]] = tuple(f"T{t:02d}" for t in range(1, 13))
"""Township ids T01..T12."""

VILLAGES: Final[tuple[str, ...]] = tuple(f"{t}V{v:02d}" for t in TOWNSHIPS for v in range(1, 11))
"""Village ids T01V01..T12V10 (120 villages); a village id starts with its township id."""

LAND_CLASSES: Final[dict[str, str]] = {
    "forest_broadleaf": "阔叶林",
    "forest_conifer": "针叶林",
    "forest_mixed": "针阔混交林",
    "bamboo": "竹林",
    "oil_tea": "油茶林",
    "shrub": "灌木林",
    "grassland": "草地",
    "paddy": "水田",
    "dryland": "旱地",
    "orchard": "园地",
    "wetland": "湿地",
    "river": "河流",
    "lake": "湖泊",
    "reservoir": "水库坑塘",
    "built_up": "建设用地",
    "bare": "裸地",
}
"""Land classes of the sample parcels, with their Chinese names."""

SPECIES_GROUPS: Final[dict[str, str]] = {
    "chinese_fir": "杉木",
    "masson_pine": "马尾松",
    "broadleaf": "阔叶树",
    "bamboo": "毛竹",
    "oil_tea": "油茶",
}
"""Tree species groups of forest parcels (forest-asset appraisal and insurance)."""

FOREST_CATEGORIES: Final[dict[str, str]] = {"public_welfare": "公益林", "commercial": "商品林"}
"""Forest categories (insurance subsidy rules differ)."""
