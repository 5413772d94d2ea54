"""Benchmarks, one script per domain: ``python -m benchmarks.<name>`` prints one JSON object per case."""
