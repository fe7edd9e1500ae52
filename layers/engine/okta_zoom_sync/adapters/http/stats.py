"""Request counts per API, shared by all of that API's transports: the run's metrics and the bench read them."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestStats:
    """Request counts for one API (all its transports share one): metrics and the bench read it."""

    api: str
    total: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    # Rate limits per endpoint family ("bucket"), when the API has them: Okta's, org-wide per minute (fact sheet §5b).
    by_bucket: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0  # 429 answers
    token_renewals: int = 0  # 401 -> invalidate -> retry
    throttled: int = 0  # proactive sleeps before a rate-limit bucket ran dry
    slept_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, method: str, bucket: str | None = None) -> None:
        with self._lock:
            self.total += 1
            self.by_method[method] += 1
            if bucket is not None:
                self.by_bucket[bucket] += 1

    def add(self, name: str, value: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "api": self.api,
                "total": self.total,
                "by_method": dict(sorted(self.by_method.items())),
                **({"by_bucket": dict(sorted(self.by_bucket.items()))} if self.by_bucket else {}),
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "token_renewals": self.token_renewals,
                "throttled": self.throttled,
                "slept_seconds": round(self.slept_seconds, 3),
            }
