"""Demo stages, one module per domain (``ORDER``, ``KEY``, ``LABEL``, ``run(ctx) -> Section``)."""
