"""One router per domain, plus health/readiness and access (keys, audit log)."""
