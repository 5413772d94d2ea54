"""greenfin.scoring (see DESIGN.md)."""

__all__: list[str] = []
