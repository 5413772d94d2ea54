"""greenfin: green-finance risk and product engine for Jiangxi eco-product value realisation (生态产品价值实现).

The top-level package re-exports core names only and imports nothing heavy; domain packages are
``greenfin.gep``, ``greenfin.scoring``, ``greenfin.collateral``, ``greenfin.securitization``,
``greenfin.insurance``, ``greenfin.assessment`` and ``greenfin.lending``.
"""

from importlib.metadata import PackageNotFoundError, version

from greenfin._validation import evolve
from greenfin.errors import ConflictError, ConvergenceError, DataError, GreenfinError, SpecError

try:
    __version__ = version("greenfin")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConflictError",
    "ConvergenceError",
    "DataError",
    "GreenfinError",
    "SpecError",
    "__version__",
    "evolve",
]
