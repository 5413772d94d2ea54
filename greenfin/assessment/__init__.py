"""greenfin.assessment (see DESIGN.md)."""

__all__: list[str] = []
