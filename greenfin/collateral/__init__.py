"""greenfin.collateral (see DESIGN.md)."""

__all__: list[str] = []
