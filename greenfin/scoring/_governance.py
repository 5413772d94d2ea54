"""Feature governance: the feature-legality registry (data, not code) and its one enforcement point.

Every column that can reach a scorer is classed ``forbidden``, ``consent_gated``, ``audit_only`` or
``allowed`` in ``data/feature_registry.json``, citing PIPL (个人信息保护法) and 征信业管理条例. Estimators
call :func:`plan_features` once in ``fit``; it refuses forbidden and audit-only columns and consent-gated
columns that have no consent metadata, and tells the binner which rows carry consent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greenfin._validation import spec_error_from
from greenfin.errors import SpecError

__all__ = ["FeatureClass", "FeatureRegistry", "RegistryEntry", "default_registry", "plan_features"]

FeatureClass = Literal["forbidden", "consent_gated", "audit_only", "allowed"]

CONSENT_PREFIX = "consent_"
"""Columns named ``consent_<kind>`` (bool or 0/1) carry the per-row consent of that kind; they are never features."""


class RegistryEntry(BaseModel):
    """One column of the feature-legality registry (特征合规登记表)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Canonical column name.")
    aliases: tuple[str, ...] = Field(
        default=(), description="Other names of the same column (matched case-insensitively)."
    )
    feature_class: FeatureClass = Field(description="forbidden, consent_gated, audit_only or allowed.")
    basis: str = Field(description="Legal basis or reason (article of PIPL / 征信业管理条例 / JR/T).")
    consent_kind: str | None = Field(default=None, description="Consent kind a consent-gated column needs.")
    label_en: str = Field(description="English label used in reasons and reports.")
    label_zh: str = Field(description="Chinese label used in reasons (主要扣分原因) and reports.")


class FeatureRegistry(BaseModel):
    """A versioned feature-legality registry.

    Examples
    --------
    >>> reg = default_registry()
    >>> reg.lookup("Gender").feature_class
    'audit_only'
    >>> reg.class_of("loan_amount_cny")
    'allowed'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Registry id.")
    version: str = Field(description="Registry version; change it whenever an entry changes.")
    title: str = Field(description="Human title.")
    description: str = Field(default="", description="Scope and caveats.")
    unregistered: Literal["allowed", "error"] = Field(
        description="Treatment of a column the registry does not list: allowed (recorded as unregistered) or error."
    )
    entries: tuple[RegistryEntry, ...] = Field(description="The registered columns.")

    @functools.cached_property
    def _index(self) -> dict[str, RegistryEntry]:
        """Entries by lower-cased name and alias (the first entry listing a key wins, as in a scan)."""
        index: dict[str, RegistryEntry] = {}
        for entry in self.entries:
            for key in (entry.name, *entry.aliases):
                index.setdefault(key.lower(), entry)
        return index

    def lookup(self, name: str) -> RegistryEntry | None:
        """The entry for column ``name`` (by name or alias, case-insensitive), or None.

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        RegistryEntry or None
            The entry, if registered.
        """
        return self._index.get(name.strip().lower())

    def class_of(self, name: str) -> str:
        """The feature class of column ``name`` (``unregistered`` when not listed).

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            One of forbidden, consent_gated, audit_only, allowed, unregistered.
        """
        entry = self.lookup(name)
        return "unregistered" if entry is None else entry.feature_class

    def labels(self, name: str) -> tuple[str, str]:
        """English and Chinese label of column ``name`` (the name itself when unregistered).

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        tuple of str
            (label_en, label_zh).
        """
        entry = self.lookup(name)
        return (name, name) if entry is None else (entry.label_en, entry.label_zh)


_DEFAULT: FeatureRegistry | None = None


def default_registry() -> FeatureRegistry:
    """The bundled registry ``greenfin/scoring/data/feature_registry.json``.

    Returns
    -------
    FeatureRegistry
        The validated registry.

    Raises
    ------
    SpecError
        If the bundled file does not validate (a packaging error).
    """
    global _DEFAULT  # read-only cache of a bundled data file
    if _DEFAULT is None:
        text = resources.files("greenfin.scoring").joinpath("data/feature_registry.json").read_text(encoding="utf-8")
        try:
            _DEFAULT = FeatureRegistry.model_validate(json.loads(text))
        except ValidationError as exc:
            raise spec_error_from(exc, "FeatureRegistry") from exc
    return _DEFAULT


@dataclass(frozen=True)
class FeaturePlan:
    """What :func:`plan_features` decided for the columns of one ``X``."""

    features: tuple[str, ...]
    consent_column: dict[str, str | None] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    metadata: tuple[str, ...] = ()
    assumed_consent: tuple[str, ...] = ()


def plan_features(
    names: Sequence[str],
    registry: FeatureRegistry | None,
    *,
    assume_consent: bool,
    owner: str,
) -> FeaturePlan:
    """Check the columns of ``X`` against the registry and decide which are features.

    Parameters
    ----------
    names : sequence of str
        Column names of ``X``.
    registry : FeatureRegistry or None
        The registry (None: the bundled one).
    assume_consent : bool
        Treat every row as consenting to every consent-gated column (demonstration data only;
        recorded in the manifest).
    owner : str
        Estimator name, for messages.

    Returns
    -------
    FeaturePlan
        Feature columns, consent column per consent-gated feature, class of every column.

    Raises
    ------
    SpecError
        For a forbidden or audit-only column, a consent-gated column with no consent metadata, or an
        unregistered column when the registry says ``unregistered: error``.
    """
    reg = registry if registry is not None else default_registry()
    lowered = {n.lower(): n for n in names}
    features: list[str] = []
    consent_column: dict[str, str | None] = {}
    classes: dict[str, str] = {}
    metadata: list[str] = []
    assumed: list[str] = []
    for name in names:
        if name.lower().startswith(CONSENT_PREFIX):
            metadata.append(name)
            classes[name] = "consent_metadata"
            continue
        entry = reg.lookup(name)
        cls = "unregistered" if entry is None else entry.feature_class
        classes[name] = cls
        if entry is None and reg.unregistered == "error":
            raise SpecError(
                f"{owner}: column {name!r} is not in feature registry {reg.id} v{reg.version}, which refuses "
                "unregistered columns. Add an entry for it (class and legal basis) or drop the column."
            )
        if entry is not None and entry.feature_class in ("forbidden", "audit_only"):
            role = (
                "pass it separately to fairness_report(sensitive_features=...)"
                if entry.feature_class == "audit_only"
                else "remove it from the data"
            )
            raise SpecError(
                f"{owner}: column {name!r} is {entry.feature_class.replace('_', '-')} under registry {reg.id} "
                f"v{reg.version} ({entry.basis}); it may never be a model input. Drop the column from X and {role}."
            )
        if entry is not None and entry.feature_class == "consent_gated":
            kind = entry.consent_kind or "general"
            col = lowered.get(f"{CONSENT_PREFIX}{kind}")
            if col is None and not assume_consent:
                raise SpecError(
                    f"{owner}: column {name!r} is consent-gated ({entry.basis}) and X has no consent column "
                    f"'{CONSENT_PREFIX}{kind}'. Add a per-row consent flag column '{CONSENT_PREFIX}{kind}' "
                    "(true where the borrower gave written, separate consent for credit assessment), drop the "
                    "column, or for demonstration data only pass assume_consent=True."
                )
            if col is None:
                assumed.append(name)
            consent_column[name] = col
        features.append(name)
    if not features:
        raise SpecError(f"{owner}: X has no usable feature column after the registry checks; add allowed columns.")
    return FeaturePlan(tuple(features), consent_column, classes, tuple(metadata), tuple(assumed))
