from __future__ import annotations

import re

from plexms.reports.charts import LevelPanel, levels_chart_svg

PANELS = (
    LevelPanel("IgG", "g/L", ((0.0, 10.0), (0.1, 4.0), (2.0, 7.0)), ((0.0, 10.2), (2.0, 6.5))),
    LevelPanel("Fibrinogen", "g/L", ((0.0, 3.0), (0.1, 1.1), (2.0, 2.0))),
)


def test_chart_is_vector_svg_with_text_and_no_date() -> None:
    svg = levels_chart_svg(PANELS)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<image" not in svg  # no embedded raster
    for text in ("IgG", "Fibrinogen", "Predicted", "Measured", "Days from the first exchange"):
        assert text in svg
    assert "<dc:date>" not in svg


def test_chart_is_byte_for_byte_reproducible(snapshot) -> None:
    svg = levels_chart_svg(PANELS)
    assert svg == levels_chart_svg(PANELS)
    assert svg == snapshot


def test_empty_panels_still_draw_axes() -> None:
    svg = levels_chart_svg([LevelPanel("IgG", "g/L", ())])
    assert "IgG" in svg and "Predicted" not in svg
    assert re.search(r"<svg[^>]+width=", svg)
