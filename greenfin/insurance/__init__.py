"""greenfin.insurance (see DESIGN.md)."""

__all__: list[str] = []
