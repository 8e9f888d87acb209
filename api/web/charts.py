"""Charts drawn on the server as inline SVG (no chart library, nothing fetched): sparklines with a text
alternative, and the share-to-colour step of the heatmap."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

HEAT_STEPS = 10  # CSS classes .s0 ... .s9 in static/style.css


def heat_step(share: float, max_share: float) -> int:
    """The colour step of a heatmap cell: 0 for none, else 1..9 in proportion to the largest share shown."""
    if share <= 0 or max_share <= 0:
        return 0
    return max(1, min(HEAT_STEPS - 1, round(share / max_share * (HEAT_STEPS - 1))))


def sparkline(values: Sequence[float], labels: Sequence[str], *, description: str, width: int = 120,
              height: int = 28) -> Markup:
    """A polyline of `values` (one per label, oldest first) with its numbers as the SVG's title and an
    aria-label, so a screen reader hears the trend a sighted reader sees."""
    text = description + ": " + ", ".join(f"{label} {value:.0%}" for label, value in zip(labels, values,
                                                                                         strict=True))
    if not values:
        return Markup('<span class="note">no months</span>')
    top = max(values) or 1.0
    pad = 3
    step = (width - 2 * pad) / max(1, len(values) - 1)
    points = " ".join(f"{pad + i * step:.1f},{height - pad - (v / top) * (height - 2 * pad):.1f}"
                      for i, v in enumerate(values))
    last_x, last_y = points.split(" ")[-1].split(",")
    return Markup(
        f'<svg class="spark" role="img" aria-label="{escape(text)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(text)}</title>'
        f'<polyline fill="none" stroke="#0b5394" stroke-width="2" points="{points}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="2.5" fill="#0b5394"/></svg>')
