"""The geometry of the leads' charts, drawn as server-side SVG by templates/lead/charts.html: stacked
bars per day with a y axis of round numbers. No JavaScript, no inline styles (the CSP): the template
colours the shapes with classes from analytics.css.
"""
from __future__ import annotations

import math

WIDTH, HEIGHT = 760, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 18, 30


def nice_top(value: int, ticks: int = 4) -> tuple[int, int]:
    """A round top for the y axis and its step: 0..value in at most `ticks` steps of 1, 2 or 5 × 10^k."""
    if value <= 0:
        return ticks, 1
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def stacked_days(days: list[dict], series: list[tuple[str, str]], *, width: int = WIDTH, height: int = HEIGHT) -> dict:
    """`days`: dicts with a `day` and a count per series key; `series`: [(key, css class), ...] bottom
    first. Returns the bars (x, width, segments with y, height, class, value), the y ticks and the
    days labelled under the axis (at most about 8)."""
    totals = [sum(d[key] for key, _ in series) for d in days]
    top, step = nice_top(max(totals, default=0))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(1.0, slot * 0.72)
    bars = []
    for index, (day, total) in enumerate(zip(days, totals)):
        x = LEFT + index * slot + (slot - bar_w) / 2
        y = TOP + plot_h
        segments = []
        for key, css in series:
            value = day[key]
            if value:
                h = plot_h * value / top
                y -= h
                segments.append({"y": round(y, 2), "h": round(h, 2), "css": css, "key": key, "value": value})
        bars.append({"x": round(x, 2), "w": round(bar_w, 2), "cx": round(x + bar_w / 2, 2), "day": day["day"],
                     "total": total, "segments": segments, "row": day})
    every = max(1, math.ceil(len(days) / 8))
    labels = [bar for i, bar in enumerate(bars) if i % every == 0]
    ticks = [{"value": v, "y": round(TOP + plot_h - plot_h * v / top, 2)} for v in range(0, top + 1, step)]
    return {"width": width, "height": height, "left": LEFT, "right": width - RIGHT, "base": TOP + plot_h,
            "bars": bars, "ticks": ticks, "labels": labels, "empty": not any(totals)}
