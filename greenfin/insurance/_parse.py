"""Parse the command-line model strings ``family:key=value,...`` into frequency and severity specs."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from greenfin._validation import spec_error_from
from greenfin.errors import SpecError
from greenfin.insurance._freq import Binomial, NegativeBinomial, Poisson, ZeroModified
from greenfin.insurance._sev import (
    DiscreteSeverity,
    Exponential,
    Gamma,
    LogNormal,
    Pareto,
    SeverityT,
    Weibull,
)

__all__ = ["parse_frequency", "parse_principle", "parse_severity"]

_FREQ_HELP = "poisson:lam=3 | negbin:r=2,p=0.4 | binomial:m=10,q=0.1 (add ,p0=0.1 for zero-modified, p0=0 truncated)"
_SEV_HELP = (
    "lognormal:mu=0,sigma=1 | exponential:mean=1 | gamma:shape=2,scale=1 | weibull:shape=1.5,scale=2 | "
    "pareto:alpha=3,theta=2 | discrete:1=0.25,2=0.375,3=0.375"
)


def _split(text: str, what: str, help_text: str) -> tuple[str, list[tuple[str, str]]]:
    family, _, rest = text.strip().partition(":")
    pairs: list[tuple[str, str]] = []
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise SpecError(f"{what} {text!r}: {item!r} is not key=value. Use e.g. {help_text}.")
        pairs.append((key.strip(), value.strip()))
    return family.strip().lower(), pairs


def _number(text: str, value: str, key: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise SpecError(f"{text!r}: {key}={value!r} is not a number; give a decimal number.") from None


def _build(cls: Any, params: dict[str, Any], text: str) -> Any:
    try:
        return cls(**params)
    except ValidationError as exc:
        raise spec_error_from(exc, f"{cls.__name__} ({text})") from None
    except TypeError as exc:
        raise SpecError(f"{text!r}: {exc}.") from None


def parse_frequency(text: str) -> Poisson | NegativeBinomial | Binomial | ZeroModified:
    """Parse a claim-count string such as ``poisson:lam=3`` or ``negbin:r=2,p=0.4``.

    A ``p0=`` entry makes the count zero-modified (``p0=0``: zero-truncated).

    Parameters
    ----------
    text : str
        ``family:key=value,...``.

    Returns
    -------
    Frequency
        The spec.

    Raises
    ------
    SpecError
        If the family is unknown or a parameter is missing or out of range (e.g. p outside (0, 1]).

    Examples
    --------
    >>> parse_frequency("negbin:r=2,p=0.4")
    NegativeBinomial(kind='negbin', r=2.0, p=0.4)
    >>> parse_frequency("negbin:r=2,p=1.4")
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: NegativeBinomial (negbin:r=2,p=1.4).p: Input should be less than or equal to 1 ...
    """
    family, pairs = _split(text, "Frequency", _FREQ_HELP)
    params: dict[str, Any] = {k: _number(text, v, k) for k, v in pairs}
    p0 = params.pop("p0", None)
    classes: dict[str, Any] = {"poisson": Poisson, "negbin": NegativeBinomial, "binomial": Binomial}
    if family not in classes:
        raise SpecError(f"Unknown claim-count family {family!r} in {text!r}. Use {_FREQ_HELP}.")
    if family == "binomial" and "m" in params:
        m = params["m"]
        if m != int(m):
            raise SpecError(f"{text!r}: m must be a whole number of risks; got {m}.")
        params["m"] = int(m)
    base = _build(classes[family], params, text)
    if p0 is None:
        return base  # type: ignore[no-any-return]
    return _build(ZeroModified, {"base": base, "p0": p0}, text)  # type: ignore[no-any-return]


def parse_severity(text: str) -> SeverityT:
    """Parse a claim-size string such as ``lognormal:mu=0,sigma=1`` or ``discrete:1=0.25,2=0.75``.

    Parameters
    ----------
    text : str
        ``family:key=value,...``; for ``discrete`` the keys are claim sizes and the values probabilities.

    Returns
    -------
    Severity
        The spec.

    Raises
    ------
    SpecError
        If the family is unknown or a parameter is out of range (e.g. a negative sigma).

    Examples
    --------
    >>> parse_severity("discrete:1=0.25,2=0.375,3=0.375").values
    (1.0, 2.0, 3.0)
    >>> parse_severity("lognormal:mu=0,sigma=-1")
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: LogNormal (lognormal:mu=0,sigma=-1).sigma: Input should be greater than 0 ...
    """
    family, pairs = _split(text, "Severity", _SEV_HELP)
    if family == "discrete":
        if not pairs:
            raise SpecError(f"{text!r}: list the claim sizes, e.g. discrete:1=0.25,2=0.75.")
        values = tuple(_number(text, k, "size") for k, _ in pairs)
        probs = tuple(_number(text, v, k) for k, v in pairs)
        return _build(DiscreteSeverity, {"values": values, "probs": probs}, text)  # type: ignore[no-any-return]
    classes: dict[str, Any] = {
        "lognormal": LogNormal,
        "exponential": Exponential,
        "gamma": Gamma,
        "weibull": Weibull,
        "pareto": Pareto,
    }
    if family not in classes:
        raise SpecError(f"Unknown claim-size family {family!r} in {text!r}. Use {_SEV_HELP}.")
    params = {k: _number(text, v, k) for k, v in pairs}
    return _build(classes[family], params, text)  # type: ignore[no-any-return]


def parse_principle(text: str) -> tuple[str, float]:
    """Parse a premium principle such as ``expected_value:theta=0.2`` or ``cost_of_capital:rate=0.06``.

    Parameters
    ----------
    text : str
        ``name:param=value``.

    Returns
    -------
    tuple
        ``(name, value)``.

    Raises
    ------
    SpecError
        If the name is unknown or the parameter is missing.

    Examples
    --------
    >>> parse_principle("std_dev:alpha=0.5")
    ('std_dev', 0.5)
    """
    from greenfin.insurance._premium import _PARAM_OF

    name, pairs = _split(text, "Principle", "expected_value:theta=0.2")
    if name not in _PARAM_OF:
        raise SpecError(f"Unknown premium principle {name!r}; use one of {sorted(_PARAM_OF)} as name:param=value.")
    want = _PARAM_OF[name]
    values = dict(pairs)
    if set(values) != {want}:
        raise SpecError(f"Principle {name} takes exactly one parameter {want}=...; got {sorted(values)}.")
    return name, _number(text, values[want], want)
