"""Reports: plots (matplotlib SVG) and PDFs (WeasyPrint)."""

__all__: list[str] = []  # the subpackages and modules are imported by name
