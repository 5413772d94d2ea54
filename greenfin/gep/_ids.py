"""Canonical GEP indicator ids (DESIGN.md), their category, bilingual labels and headline physical units."""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = ["CATEGORIES", "INDICATORS", "IndicatorInfo"]


class IndicatorInfo(NamedTuple):
    """Metadata of one GEP indicator.

    Parameters
    ----------
    category : str
        ``material``, ``regulating`` or ``cultural``.
    label_en, label_zh : str
        Bilingual label.
    quantity_unit : str
        Unit of the headline physical quantity (实物量).
    """

    category: str
    label_en: str
    label_zh: str
    quantity_unit: str


CATEGORIES: Final[dict[str, tuple[str, str]]] = {
    "material": ("Material products", "物质产品"),
    "regulating": ("Regulating services", "调节服务"),
    "cultural": ("Cultural services", "文化服务"),
}
"""GEP categories with their English and Chinese labels, in the standard's order."""

INDICATORS: Final[dict[str, IndicatorInfo]] = {
    "agriculture": IndicatorInfo("material", "Agricultural products", "农业产品", "yuan"),
    "forestry": IndicatorInfo("material", "Forestry products", "林业产品", "yuan"),
    "livestock": IndicatorInfo("material", "Livestock products", "畜牧业产品", "yuan"),
    "fishery": IndicatorInfo("material", "Fishery products", "渔业产品", "yuan"),
    "water_supply": IndicatorInfo("material", "Water supply", "水资源供给", "m3"),
    "hydropower": IndicatorInfo("material", "Ecological energy (hydropower)", "生态能源（水电）", "kWh"),
    "other_material": IndicatorInfo("material", "Other material products", "其他物质产品", "yuan"),
    "water_conservation": IndicatorInfo("regulating", "Water conservation", "水源涵养", "m3"),
    "soil_retention": IndicatorInfo("regulating", "Soil retention", "土壤保持", "t"),
    "sand_fixation": IndicatorInfo("regulating", "Sand fixation", "防风固沙", "t"),
    "flood_regulation": IndicatorInfo("regulating", "Flood regulation", "洪水调蓄", "m3"),
    "air_purification": IndicatorInfo("regulating", "Air purification", "空气净化", "t"),
    "water_purification": IndicatorInfo("regulating", "Water purification", "水质净化", "t"),
    "carbon_sequestration": IndicatorInfo("regulating", "Carbon sequestration", "固碳", "t CO2"),
    "oxygen_release": IndicatorInfo("regulating", "Oxygen release", "释氧", "t O2"),
    "climate_regulation": IndicatorInfo("regulating", "Climate regulation", "气候调节", "kWh"),
    "pest_control": IndicatorInfo("regulating", "Pest control", "病虫害控制", "ha"),
    "coastal_protection": IndicatorInfo("regulating", "Coastal protection", "海岸带防护", "km"),
    "recreation": IndicatorInfo("cultural", "Recreation and tourism", "休闲旅游", "visits"),
    "landscape": IndicatorInfo("cultural", "Landscape value", "景观价值", "m2"),
}
"""Every GEP indicator id of DESIGN.md, in the standard's table order."""
