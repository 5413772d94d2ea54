"""greenfin's HTTP API: a thin FastAPI layer over the greenfin packages (one router per domain)."""
