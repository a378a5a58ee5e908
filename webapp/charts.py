"""Charts drawn as inline SVG here on the server: no chart library, no script, nothing
fetched. Every label goes through markupsafe, so data can never become markup."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 560, 180, 28


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]]) -> Markup:
    """Stacked bars: one bar per label; `series` are (name, css class, values per label). With
    nothing to draw (no labels, or a live run's buckets all still empty) a sentence says so
    instead of an empty frame."""
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    if not any(totals):
        return Markup('<p class="chart chart--empty">{}: nothing yet.</p>').format(title)
    top = max(totals)
    slot = (WIDTH - 2 * PAD) / len(labels)
    bar = max(slot * 0.8, 1)
    parts = [Markup('<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
                    '<title>{t}</title>').format(w=WIDTH, h=HEIGHT, t=title)]
    base = HEIGHT - PAD
    parts.append(Markup('<line class="chart__axis" x1="{x0}" y1="{y}" x2="{x1}" y2="{y}"/>')
                 .format(x0=PAD, x1=WIDTH - PAD, y=base))
    parts.append(Markup('<text class="chart__label" x="{x}" y="{y}">{n}</text>').format(x=2, y=PAD - 10, n=top))
    for i, label in enumerate(labels):
        x = PAD + i * slot + (slot - bar) / 2
        y: float = base
        for name, css, values in series:
            height = (HEIGHT - 2 * PAD) * values[i] / top
            if height <= 0:
                continue
            y -= height
            parts.append(Markup('<rect class="chart__bar {c}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                                'height="{h:.1f}"><title>{label}: {v} {name}</title></rect>')
                         .format(c=css, x=x, y=y, w=bar, h=height, label=label, v=values[i], name=name))
    for i in _tick_indexes(len(labels)):  # each under the middle of its bar
        parts.append(Markup('<text class="chart__label" x="{x:.1f}" y="{y}" text-anchor="middle">{label}</text>')
                     .format(x=PAD + (i + 0.5) * slot, y=HEIGHT - 8, label=labels[i]))
    if len(series) > 1:
        for n, (name, css, _) in enumerate(series):
            parts.append(Markup('<rect class="chart__bar {c}" x="{x}" y="4" width="10" height="10"/>'
                                '<text class="chart__label" x="{tx}" y="13">{name}</text>')
                         .format(c=css, x=WIDTH - PAD - 150 + n * 80, tx=WIDTH - PAD - 136 + n * 80, name=name))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def rate_bar(title: str, rate: float | None) -> Markup:
    """A horizontal bar filled to `rate` (0..1)."""
    if rate is None:
        return Markup('<p class="chart chart--empty">{}: nothing reviewed yet.</p>').format(title)
    filled = max(0.0, min(1.0, rate)) * (WIDTH - 2 * PAD)
    return Markup('<svg class="chart chart--rate" viewBox="0 0 {w} 40" role="img" aria-label="{t}: {p}%">'
                  '<title>{t}</title><rect class="chart__track" x="{x}" y="12" width="{full}" height="16" rx="8"/>'
                  '<rect class="chart__bar chart__bar--good" x="{x}" y="12" width="{f:.1f}" height="16" rx="8"/>'
                  '<text class="chart__label" x="{x}" y="9">{p}% approved</text></svg>').format(
        w=WIDTH, t=escape(title), p=round(rate * 100), x=PAD, full=WIDTH - 2 * PAD, f=filled)


def _tick_indexes(count: int, most: int = 6) -> list[int]:
    step = max(1, -(-count // most))
    return list(range(0, count, step))
