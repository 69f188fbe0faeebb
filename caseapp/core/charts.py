"""Charts of the dashboard: SVG drawn on the server by matplotlib (its
object-oriented API, no global state, so requests never share a figure),
shown as images (``data:`` URIs, which the CSP's img-src allows; an image
runs no script), each beside the table of its numbers, so that nothing is
only in a picture. Text stays text in the SVG (DejaVu Sans has the
Vietnamese letters)."""
from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from functools import lru_cache

from matplotlib import rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

rcParams["svg.fonttype"] = "none"  # labels as <text>, not outlines
rcParams["font.family"] = "DejaVu Sans"
rcParams["font.size"] = 10
COLOURS = ("#0b5cad", "#2e8540", "#c2410c", "#6b7280")
# Drawn about as wide as a phone shows it (4.2 in = 302 pt), so 10-point text
# stays 10 points there instead of shrinking to 6.
WIDTH_INCHES = 4.2


def _wrap(label: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _uri(figure: Figure) -> str:
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


# A chart is a pure function of what it shows: the same numbers (a supervisor
# reloading the page, a colleague of the same unit) reuse the drawing, which
# costs more than the figures' queries on a small unit.
_CACHE_SIZE = 256


def bars(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], *,
         percent: bool = False) -> str:
    """Horizontal bars, one group per label and a bar per series, values printed."""
    return _bars(title, tuple(labels), tuple((k, tuple(v)) for k, v in series.items()),
                 percent)


def line(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    return _line(title, tuple(labels), tuple((k, tuple(v)) for k, v in series.items()))


@lru_cache(maxsize=_CACHE_SIZE)
def _bars(title: str, labels: tuple, series_items: tuple, percent: bool) -> str:
    series = dict(series_items)
    rows, width = len(labels), 0.8 / max(len(series), 1)
    figure = Figure(figsize=(WIDTH_INCHES, 1.1 + 0.6 * rows * max(len(series), 1) ** 0.5))
    axes = figure.subplots()
    for i, (name, values) in enumerate(series.items()):
        positions = [r + i * width for r in range(rows)]
        shown = [v or 0 for v in values]
        drawn = axes.barh(positions, shown, height=width, label=name,
                          color=COLOURS[i % len(COLOURS)])
        axes.bar_label(drawn, labels=["—" if v is None else (f"{v:.0f} %" if percent
                                                             else f"{v:g}") for v in values],
                       padding=3, fontsize=10)
    axes.set_yticks([r + width * (len(series) - 1) / 2 for r in range(rows)],
                    labels=[_wrap(label) for label in labels])
    axes.invert_yaxis()
    axes.set_title(_wrap(title, 40), loc="left", fontsize=11)
    if percent:
        axes.set_xlim(0, 115)
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers
        axes.set_xlim(0, max([v or 0 for values in series.values() for v in values] + [1])
                      * 1.2)
    axes.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=len(series),
                    frameon=False, fontsize=10)
    return _uri(figure)


@lru_cache(maxsize=_CACHE_SIZE)
def _line(title: str, labels: tuple, series_items: tuple) -> str:
    series = dict(series_items)
    figure = Figure(figsize=(WIDTH_INCHES, 3))
    axes = figure.subplots()
    for i, (name, values) in enumerate(series.items()):
        axes.plot(list(labels), list(values), marker="o", label=name,
                  color=COLOURS[i % len(COLOURS)])
    axes.set_title(_wrap(title, 40), loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(labels) > 6:  # a year of months: every other label, slanted
        axes.set_xticks(range(0, len(labels), 2), [labels[i] for i in range(0, len(labels), 2)])
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(frameon=False, fontsize=10)
    return _uri(figure)
