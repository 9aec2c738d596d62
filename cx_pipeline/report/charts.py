"""Small inline-SVG charts: no JavaScript and no files to fetch, so the report opens anywhere,
offline, and can be mailed as one file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 260
MARGIN = {"left": 56, "right": 16, "top": 16, "bottom": 40}
INK, MUTED, ACCENT, BAD, GOOD = "#1f2933", "#9aa5b1", "#2f6fde", "#d64545", "#2f9e6b"


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def _frame(body: list[str], title: str, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _y_axis(y: Scale, ticks: Sequence[float], unit: str) -> list[str]:
    out = []
    for t in ticks:
        out.append(
            f'<line x1="{MARGIN["left"]}" x2="{WIDTH - MARGIN["right"]}" y1="{y(t):.1f}" '
            f'y2="{y(t):.1f}" stroke="#e4e7eb"/>'
            f'<text x="{MARGIN["left"] - 6}" y="{y(t) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="{MUTED}">{t:g}{unit}</text>'
        )
    return out


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1)
    return [round(low + i * step, 1) for i in range(count)]


def line_with_band(
    labels: Sequence[str],
    values: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    title: str,
    unit: str = "",
    counts: Sequence[int | None] | None = None,
) -> str:
    """A line (e.g. NPS per month) inside a shaded band from each point's interval bounds (not
    value +/- margin: an adjusted interval is not centred on the value); `counts` (answers behind
    each point) go in the points' tooltips, what each rests on."""
    points = [
        (i, v, v if lo is None else lo, v if hi is None else hi)
        for i, (v, lo, hi) in enumerate(zip(values, lows, highs, strict=True))
        if v is not None
    ]
    if not points:
        return _frame([_empty()], title)
    low = min(lo for _, _, lo, _ in points)
    high = max(hi for _, _, _, hi in points)
    low, high = min(low, 0.0), max(high, 0.0)
    x = Scale(0, max(len(labels) - 1, 1), MARGIN["left"] + 8, WIDTH - MARGIN["right"] - 8)
    y = Scale(low, high, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    upper = " ".join(f"{x(i):.1f},{y(hi):.1f}" for i, _, _, hi in points)
    lower = " ".join(f"{x(i):.1f},{y(lo):.1f}" for i, _, lo, _ in reversed(points))
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v, _, _ in points)
    body = _y_axis(y, _ticks(low, high), unit)
    body.append(f'<polygon class="band" points="{upper} {lower}" fill="{ACCENT}" opacity="0.15"/>')
    body.append(
        f'<polyline class="series" points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2"/>'
    )
    body += [
        f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{ACCENT}">'
        f"<title>{escape(labels[i])}: {v:.1f}{unit} (95% CI {lo:.1f} to {hi:.1f}"
        f"{'' if counts is None or counts[i] is None else f', n={counts[i]:,}'})</title></circle>"
        for i, v, lo, hi in points
    ]
    body += _x_labels(labels, x)
    return _frame(body, title)


def bars(labels: Sequence[str], values: Sequence[float | None], title: str, unit: str = "") -> str:
    """Vertical bars (e.g. churn per month)."""
    known = [v for v in values if v is not None]
    if not known:
        return _frame([_empty()], title)
    high = max(max(known), 0.0) or 1.0
    x = Scale(0, len(labels), MARGIN["left"], WIDTH - MARGIN["right"])
    y = Scale(0, high, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    width = max((x(1) - x(0)) * 0.7, 1.0)
    body = _y_axis(y, _ticks(0, high), unit)
    for i, v in enumerate(values):
        if v is None:
            continue
        left = x(i) + (x(1) - x(0) - width) / 2
        body.append(
            f'<rect class="bar" x="{left:.1f}" y="{y(v):.1f}" width="{width:.1f}" '
            f'height="{y(0) - y(v):.1f}" fill="{ACCENT}"><title>{escape(labels[i])}: '
            f"{v:.2f}{unit}</title></rect>"
        )
    body += _x_labels(labels, Scale(0, len(labels), x(0.5), x(len(labels) + 0.5)))
    return _frame(body, title)


def hbars(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    unit: str = "",
    signed: bool = True,
    good: Sequence[bool] | None = None,
    legend: str = "",
) -> str:
    """Horizontal bars around zero: gaps (signed) green when good and red when not, by default
    good = above zero; `good` says so per bar when a lower figure is the better one (churn).
    Plain shares (not signed) in one colour. `legend` says which way is good, under the bars."""
    if not values:
        return _frame([_empty()], title)
    height = MARGIN["top"] + MARGIN["bottom"] + 24 * len(values)
    low, high = min(min(values), 0.0), max(max(values), 0.0)
    label_width = min(360, 16 + 6.6 * max(len(label) for label in labels))
    x = Scale(low, high, label_width, WIDTH - MARGIN["right"] - 48)
    oks = list(good) if good is not None else [v >= 0 for v in values]
    body = []
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        top = MARGIN["top"] + 24 * i
        left, right = sorted((x(0), x(v)))
        body.append(
            f'<text x="{label_width - 8:.0f}" y="{top + 15}" text-anchor="end" font-size="12" '
            f'fill="{INK}">'
            f"{escape(label)}</text>"
            f'<rect class="bar" x="{left:.1f}" y="{top + 4}" width="{max(right - left, 1):.1f}" '
            f'height="16" fill="{(GOOD if oks[i] else BAD) if signed else ACCENT}">'
            f"<title>{escape(label)}: {v:{'+' if signed else ''}.1f}{unit}"
            f'</title></rect><text x="{max(left, right) + 4:.1f}" y="{top + 16}" font-size="11" '
            f'fill="{MUTED}">{v:{"+" if signed else ""}.1f}{unit}</text>'
        )
    body.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{MARGIN["top"]}" '
        f'y2="{height - MARGIN["bottom"]}" stroke="{INK}"/>'
    )
    if legend:
        body.append(_legend(legend, height))
    return _frame(body, title, height)


def ratio_hbars(
    labels: Sequence[str],
    ratios: Sequence[float],
    title: str,
    higher_is_bad: bool = True,
    legend: str = "",
) -> str:
    """Horizontal bars of ratios (odds ratios) from the line at 1 = no effect, on a log scale so
    that x2 and x0.5 are as long; each bar is labelled as a ratio (x2.81), never as a percent."""
    if not ratios:
        return _frame([_empty()], title)
    height = MARGIN["top"] + MARGIN["bottom"] + 24 * len(ratios)
    logs = [math.log(r) for r in ratios]
    low, high = min(min(logs), 0.0), max(max(logs), 0.0)
    label_width = min(360, 16 + 6.6 * max(len(label) for label in labels))
    x = Scale(low, high, label_width, WIDTH - MARGIN["right"] - 56)
    body = []
    for i, (label, r) in enumerate(zip(labels, ratios, strict=True)):
        top = MARGIN["top"] + 24 * i
        left, right = sorted((x(0), x(math.log(r))))
        bad = (r > 1) == higher_is_bad
        body.append(
            f'<text x="{label_width - 8:.0f}" y="{top + 15}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(label)}</text>'
            f'<rect class="bar" x="{left:.1f}" y="{top + 4}" width="{max(right - left, 1):.1f}" '
            f'height="16" fill="{BAD if bad else GOOD}"><title>{escape(label)}: '
            f"\u00d7{r:.2f}</title></rect>"
            f'<text x="{max(left, right) + 4:.1f}" y="{top + 16}" font-size="11" '
            f'fill="{MUTED}">\u00d7{r:.2f}</text>'
        )
    body.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{MARGIN["top"]}" '
        f'y2="{height - MARGIN["bottom"]}" stroke="{INK}"/>'
        f'<text x="{x(0):.1f}" y="{height - MARGIN["bottom"] + 12}" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">\u00d71 = no effect</text>'
    )
    if legend:
        body.append(_legend(legend, height))
    return _frame(body, title, height)


def lines(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    unit: str = "",
) -> str:
    """Several lines on one axis (e.g. GRR and NRR per month), each named in a legend."""
    known = [v for values in series.values() for v in values if v is not None]
    if not known:
        return _frame([_empty()], title)
    low, high = min(known), max(known)
    pad = max((high - low) * 0.1, 1.0)
    low, high = low - pad, high + pad
    x = Scale(0, max(len(labels) - 1, 1), MARGIN["left"] + 8, WIDTH - MARGIN["right"] - 8)
    y = Scale(low, high, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    body = _y_axis(y, _ticks(low, high), unit)
    for k, (name, values) in enumerate(series.items()):
        colour = (ACCENT, GOOD, BAD, INK)[k % 4]
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in points)
        body.append(
            f'<polyline class="series" points="{line}" fill="none" stroke="{colour}" '
            f'stroke-width="2"/>'
        )
        body += [
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
            f"<title>{escape(name)}, {escape(labels[i])}: {v:.1f}{unit}</title></circle>"
            for i, v in points
        ]
        body.append(
            f'<text class="legend" x="{MARGIN["left"] + 12 + 260 * k}" y="{MARGIN["top"] + 12}" '
            f'font-size="11" fill="{colour}">\u2014 {escape(name)}</text>'
        )
    body += _x_labels(labels, x)
    return _frame(body, title)


def _legend(text: str, height: int) -> str:
    return (
        f'<text class="legend" x="{WIDTH - MARGIN["right"]}" y="{height - 8}" '
        f'text-anchor="end" font-size="11" fill="{MUTED}">{escape(text)}</text>'
    )


def _x_labels(labels: Sequence[str], x: Scale) -> list[str]:
    every = max(1, len(labels) // 12)
    return [
        f'<text x="{x(i):.1f}" y="{HEIGHT - MARGIN["bottom"] + 16}" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def _empty() -> str:
    return (
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{MUTED}">'
        "no data yet</text>"
    )


def quadrants(
    points: Sequence[tuple[str, float, float]],
    title: str,
    x_label: str,
    y_label: str,
) -> str:
    """Importance (x) against performance (y), crossed at the means: the lower right quadrant
    (important, performing below average) is where to act first."""
    if not points:
        return _frame([_empty()], title)
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    x = Scale(0, max(xs) * 1.1 or 1.0, MARGIN["left"], WIDTH - MARGIN["right"] - 120)
    y = Scale(0, 100, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    body = _y_axis(y, _ticks(0, 100), "%")
    body.append(
        f'<rect x="{x(mean_x):.1f}" y="{y(mean_y):.1f}" width="{x.end - x(mean_x):.1f}" '
        f'height="{y(0) - y(mean_y):.1f}" fill="{BAD}" fill-opacity="0.08"/>'
        f'<line x1="{x(mean_x):.1f}" x2="{x(mean_x):.1f}" y1="{y(100):.1f}" y2="{y(0):.1f}" '
        f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        f'<line x1="{x.start:.1f}" x2="{x.end:.1f}" y1="{y(mean_y):.1f}" y2="{y(mean_y):.1f}" '
        f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        f'<text x="{x.end:.1f}" y="{y(0) - 6:.1f}" text-anchor="end" font-size="11" '
        f'fill="{BAD}">priority (important, few accounts on the good side)</text>'
        f'<text x="{x.end:.1f}" y="{y(100) - 4:.1f}" text-anchor="end" font-size="11" '
        f'fill="{MUTED}">keep up (important, most on the good side)</text>'
        f'<text x="{(x.start + x.end) / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">{escape(x_label)}</text>'
        f'<text x="{MARGIN["left"] + 4}" y="{MARGIN["top"] + 12}" font-size="11" '
        f'fill="{MUTED}">{escape(y_label)}</text>'
    )
    for label, px, py in points:
        body.append(
            f'<circle class="point" cx="{x(px):.1f}" cy="{y(py):.1f}" r="5" fill="{ACCENT}">'
            f"<title>{escape(label)}: importance {px:.2f}, performance {py:.0f}%</title></circle>"
            f'<text x="{x(px) + 8:.1f}" y="{y(py) + 4:.1f}" font-size="11" fill="{INK}">'
            f"{escape(label)}</text>"
        )
    return _frame(body, title)
