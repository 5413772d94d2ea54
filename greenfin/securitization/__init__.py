"""greenfin.securitization (see DESIGN.md)."""

__all__: list[str] = []
