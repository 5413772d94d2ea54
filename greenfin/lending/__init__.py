"""greenfin.lending (see DESIGN.md)."""

__all__: list[str] = []
