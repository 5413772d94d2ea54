"""In-process token-bucket rate limiting, one bucket per API key (and per client address for failed logins).

Each bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second; a request takes one
token or is refused with 429 and a ``Retry-After`` telling when a token will be back. Buckets live in the
memory of one API process: with N uvicorn workers (or N replicas) a key may send N times the configured
rate. Behind a shared proxy put the limit there too (see ``api/README.md``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TokenBucketLimiter"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Thread-safe token buckets keyed by a string.

    Parameters
    ----------
    rate : float
        Tokens added per second.
    burst : int
        Bucket capacity (a new key starts full).
    clock : callable
        Monotonic clock in seconds (injectable for tests).
    max_keys : int
        Buckets kept before full (idle) buckets are dropped, so memory stays bounded.

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = TokenBucketLimiter(rate=1.0, burst=2, clock=lambda: now[0])
    >>> [limiter.acquire("k") for _ in range(3)]
    [0.0, 0.0, 1.0]
    >>> now[0] = 1.0
    >>> limiter.acquire("k")
    0.0
    """

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take one token for ``key``.

        Parameters
        ----------
        key : str
            Whose bucket.

        Returns
        -------
        float
            0.0 if the request may go ahead, else the seconds until a token is available.
        """
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for k in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[k]

    @staticmethod
    def retry_after(wait_seconds: float) -> str:
        """Format a wait as a ``Retry-After`` header value (whole seconds, at least 1).

        Parameters
        ----------
        wait_seconds : float
            Seconds to wait.

        Returns
        -------
        str
            The header value.
        """
        return str(max(1, math.ceil(wait_seconds)))
