"""Reports: plots (matplotlib SVG) and PDFs (WeasyPrint)."""
