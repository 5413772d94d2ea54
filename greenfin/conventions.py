"""Named convention bundles: day count, calendar, frequency, business-day rule, compounding.

Pass ``convention="cn-ib-abs"`` (or a :class:`Convention` object) instead of five loose settings.
The registry is read-only and comes from ``greenfin/data/conventions.json``, where every bundle
carries its source and a confidence mark. There are no module-level mutable defaults.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from greenfin.dates import BusinessDayRule
from greenfin.errors import SpecError
from greenfin.provenance import Confidence

__all__ = ["Convention", "get_convention", "list_conventions"]


class Convention(BaseModel):
    """A named bundle of market conventions.

    Examples
    --------
    >>> c = get_convention("cn-ib-abs")
    >>> (c.day_count, c.calendar, c.compounding)
    ('ACT/365', 'CN-IB', 'annual')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Bundle id, e.g. cn-ib-abs.")
    title: str = Field(description="What market or product the bundle is for.")
    day_count: Literal["ACT/365", "ACT/360", "ACT/ACT", "30/360"] = Field(description="Day-count convention.")
    calendar: Literal["CN-IB", "CN-SSE", "weekends"] = Field(description="Business-day calendar.")
    frequency_months: int = Field(ge=1, le=12, description="Months between payments.")
    business_day_rule: BusinessDayRule = Field(description="How payment dates roll off holidays.")
    compounding: Literal["simple", "annual", "semiannual", "quarterly", "monthly", "continuous"] = Field(
        description="Compounding of quoted yields."
    )
    payment_delay_days: int = Field(ge=0, le=60, description="Days from period end to payment.")
    source: str = Field(description="Where the convention is documented.")
    confidence: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")


@lru_cache(maxsize=1)
def _registry() -> MappingProxyType[str, Convention]:
    text = resources.files("greenfin").joinpath("data/conventions.json").read_text(encoding="utf-8")
    items = [Convention.model_validate(c) for c in json.loads(text)["conventions"]]
    return MappingProxyType({c.id: c for c in items})


def list_conventions() -> tuple[str, ...]:
    """Ids of the named convention bundles.

    Returns
    -------
    tuple of str
        Sorted ids.

    Examples
    --------
    >>> "sifma-mbs" in list_conventions()
    True
    """
    return tuple(sorted(_registry()))


def get_convention(convention: str | Convention) -> Convention:
    """Resolve a convention by id (or pass a :class:`Convention` through).

    Parameters
    ----------
    convention : str or Convention
        A bundle id such as ``"cn-ib-abs"``, or a bundle.

    Returns
    -------
    Convention
        The bundle.

    Raises
    ------
    SpecError
        If the id is unknown.
    """
    if isinstance(convention, Convention):
        return convention
    try:
        return _registry()[convention]
    except KeyError:
        raise SpecError(
            f"Unknown convention {convention!r}; use one of {', '.join(list_conventions())} or pass a Convention."
        ) from None
