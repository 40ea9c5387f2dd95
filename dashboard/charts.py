"""Pure plotly figure builders: a frame in, a figure out; no Streamlit, no computation.

Every string that may come from an upload (item titles, topic labels, user ids) goes through
``esc`` before it reaches a hover, a label or a legend, so it shows as text and never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE: tuple[str, ...] = (
    "#3558d6",
    "#e4572e",
    "#29a36a",
    "#f2a541",
    "#8e44ad",
    "#17becf",
    "#d1495b",
    "#6c8a3c",
    "#c17c74",
    "#4a4e69",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)
FONT = "Liberation Sans, Arial, sans-serif"


def esc(value: object) -> str:
    """HTML-escape one value for plotly text (plotly renders a subset of HTML in labels)."""
    return html.escape(str(value), quote=True)


def esc_all(values: Sequence[object] | pd.Series | np.ndarray) -> list[str]:
    """HTML-escape many values."""
    return [esc(v) for v in values]


def _layout(fig: go.Figure, title: str, height: int = 420, **kwargs: object) -> go.Figure:
    fig.update_layout(
        title={"text": esc(title), "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": FONT, "size": 12},
        template="plotly_white",
        legend={"font": {"size": 11}},
        hoverlabel={"font": {"family": FONT}},
        **kwargs,
    )
    return fig


def topic_shares_area(
    frame: pd.DataFrame,
    labels: Sequence[str],
    title: str = "Topic shares over time",
    palette_labels: Sequence[str] | None = None,
) -> go.Figure:
    """Stacked area of ``share:<label>`` columns against ``period``; hover shows share and count.

    ``palette_labels``: the full topic list, so a topic keeps its colour when others are hidden."""
    fig = go.Figure()
    order = {label: i for i, label in enumerate(palette_labels or labels)}
    for label in labels:
        i = order.get(label, 0)
        share = frame.get(f"share:{label}")
        if share is None:
            continue
        count = frame.get(f"n:{label}", pd.Series(np.nan, index=frame.index))
        name = esc(label)
        fig.add_trace(
            go.Scatter(
                x=frame["period"],
                y=share * 100,
                name=name,
                mode="lines",
                stackgroup="shares",
                line={"width": 0.5, "color": PALETTE[i % len(PALETTE)]},
                customdata=np.stack([count.to_numpy(dtype=float)], axis=-1),
                hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}: %{{y:.1f}}%"
                " (%{customdata[0]:,.0f} events)<extra></extra>",
            )
        )
    fig.update_yaxes(title="share of events (%)", range=[0, 100], ticksuffix="%")
    fig.update_xaxes(title=None)
    return _layout(fig, title, hovermode="x unified")


def activity_line(frame: pd.DataFrame, title: str = "Activity") -> go.Figure:
    """Events and distinct users per period (two lines)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["period"], y=frame["events"], name="events", mode="lines"))
    fig.add_trace(
        go.Scatter(x=frame["period"], y=frame["users"], name="distinct users", mode="lines")
    )
    fig.update_traces(hovertemplate="%{x|%Y-%m-%d}: %{y:,}<extra>%{fullData.name}</extra>")
    return _layout(fig, title, height=300)


def hour_of_week_heatmap(grid: pd.DataFrame, basis: str, title: str = "Hour of week") -> go.Figure:
    """7 x 24 heatmap (weekday rows, hour columns) of counts; the time basis is in the title."""
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[f"{h:02d}" for h in grid.columns],
            y=esc_all(grid.index),
            colorscale="Blues",
            colorbar={"title": "events"},
            hovertemplate="%{y} %{x}:00 — %{z:,} events<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="hour of day")
    return _layout(fig, f"{title} · {basis}", height=330)


def emerging_bars(frame: pd.DataFrame, title: str = "Emerging and fading interests") -> go.Figure:
    """Horizontal bars of each topic's z-score, coloured by direction, with shares in the hover."""
    data = frame.sort_values("z")
    colours = data["direction"].map({"emerging": "#29a36a", "fading": "#e4572e"}).fillna("#9aa5b1")
    custom = np.stack(
        [data["recent_share"] * 100, data["baseline_share"] * 100, data["lift"].astype(float)],
        axis=-1,
    )
    fig = go.Figure(
        go.Bar(
            x=data["z"],
            y=esc_all(data["topic"]),
            orientation="h",
            marker_color=colours.tolist(),
            customdata=custom,
            hovertemplate="%{y}<br>z = %{x:.1f}<br>recent %{customdata[0]:.1f}% vs baseline "
            "%{customdata[1]:.1f}% (×%{customdata[2]:.2f})<extra></extra>",
        )
    )
    for x in (-1.96, 1.96):
        fig.add_vline(x=x, line_dash="dot", line_color="#999")
    fig.update_xaxes(title="two-proportion z-score (recent vs baseline share)")
    return _layout(fig, title, height=max(260, 32 * len(data) + 80))


def forecast_chart(
    history: pd.DataFrame, forecast: pd.DataFrame, title: str, y_title: str = "events"
) -> go.Figure:
    """History line, forecast line and its interval band.

    ``history``: columns ``period``, ``value``. ``forecast``: ``period``, ``mean``, ``lower``, ``upper``.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=history["period"], y=history["value"], name="observed", line={"color": PALETTE[0]}
        )
    )
    if len(forecast):
        band_x = pd.concat([forecast["period"], forecast["period"][::-1]])
        band_y = pd.concat([forecast["upper"], forecast["lower"][::-1]])
        fig.add_trace(
            go.Scatter(
                x=band_x,
                y=band_y,
                fill="toself",
                fillcolor="rgba(228,87,46,0.15)",
                line={"width": 0},
                mode="lines",
                name="prediction interval",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=forecast["period"],
                y=forecast["mean"],
                name="forecast",
                line={"color": PALETTE[1], "dash": "dash"},
            )
        )
    fig.update_yaxes(title=esc(y_title))
    return _layout(fig, title, height=340, hovermode="x unified")


def topic_sizes(table: pd.DataFrame, title: str = "Topics by number of items") -> go.Figure:
    """Horizontal bars of topic sizes; hover lists the top items (escaped)."""
    data = table.sort_values("size")
    column = "top_titles" if "top_titles" in data.columns else "top_items"
    tops = data.get(column, pd.Series([""] * len(data), index=data.index))
    top_text = [
        "<br>".join(esc(t) for t in (v if isinstance(v, (list, tuple, np.ndarray)) else [v])[:5])
        for v in tops
    ]
    fig = go.Figure(
        go.Bar(
            x=data["size"],
            y=esc_all(data["label"]),
            orientation="h",
            marker_color=PALETTE[0],
            customdata=np.array(top_text, dtype=object)[:, None],
            hovertemplate="%{y}: %{x} items<br>%{customdata[0]}<extra></extra>",
        )
    )
    fig.update_xaxes(title="items")
    return _layout(fig, title, height=max(260, 30 * len(data) + 80))


def user_timeline(frame: pd.DataFrame, labels: Sequence[str], title: str) -> go.Figure:
    """One user's topic shares per period (stacked area) with drift as a line on a second axis.

    Only topics the user touched are drawn; the legend sits under the plot."""
    present = [
        label
        for label in labels
        if f"share:{label}" in frame.columns and frame[f"share:{label}"].fillna(0).max() > 0
    ]
    fig = topic_shares_area(frame, present, title, palette_labels=labels)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0}, height=470)
    if "drift" in frame.columns:
        _right_axis_line(
            fig,
            go.Scatter(
                x=frame["period"],
                y=frame["drift"],
                name="drift",
                line={"color": "#111", "width": 2},
                hovertemplate="drift %{y:.2f}<extra></extra>",
            ),
            range=[0, 1],
            title="drift (cosine distance)",
        )
    return fig


def _right_axis_line(fig: go.Figure, trace: go.Scatter, **axis: object) -> None:
    """Add ``trace`` as lines with markers on a second y axis at the right (no grid of its own)."""
    trace.update(yaxis="y2", mode="lines+markers")
    fig.add_trace(trace)
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", **axis, "showgrid": False})


def metrics_bars(table: pd.DataFrame, metric: str, title: str) -> go.Figure:
    """One bar per model for ``metric`` (models in the ``model`` column)."""
    fig = go.Figure(
        go.Bar(
            x=esc_all(table["model"]),
            y=table[metric],
            marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(table))],
            hovertemplate="%{x}: %{y:.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(title=esc(metric))
    return _layout(fig, title, height=320)


def training_curve(history: pd.DataFrame, title: str = "Training") -> go.Figure:
    """Loss and validation metric per epoch (``epoch``, ``loss``, ``val``)."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=history["epoch"], y=history["loss"], name="loss", mode="lines+markers")
    )
    if "val" in history.columns:
        _right_axis_line(
            fig, go.Scatter(x=history["epoch"], y=history["val"], name="validation NDCG@10")
        )
    fig.update_xaxes(title="epoch")
    return _layout(fig, title, height=300)


def score_parts(recs: pd.DataFrame, parts: Sequence[str], title: str) -> go.Figure:
    """Stacked horizontal bars of each recommended item's score parts (item labels escaped)."""
    labels = esc_all(recs["label"]) if "label" in recs.columns else esc_all(recs["item_id"])
    fig = go.Figure()
    for i, part in enumerate(parts):
        if part not in recs.columns:
            continue
        fig.add_trace(
            go.Bar(
                y=labels,
                x=recs[part],
                name=esc(part),
                orientation="h",
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate="%{y}<br>" + esc(part) + ": %{x:.3f}<extra></extra>",
            )
        )
    fig.update_layout(barmode="relative")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(260, 28 * len(recs) + 90))


def top_interests_bars(table: pd.DataFrame, title: str = "Top interests") -> go.Figure:
    """Horizontal bars of each topic's share of engagement (``topic``, ``share``, ``events``)."""
    data = table.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=data["share"] * 100,
            y=esc_all(data["topic"]),
            orientation="h",
            marker_color=PALETTE[0],
            customdata=data[["events"]].to_numpy(dtype=float),
            hovertemplate="%{y}: %{x:.1f}% of events (%{customdata[0]:,.0f})<extra></extra>",
        )
    )
    fig.update_xaxes(title="share of engagement (%)", ticksuffix="%")
    return _layout(fig, title, height=max(240, 30 * len(data) + 80))


def compare_shares(topics: pd.DataFrame, names: Sequence[str], title: str) -> go.Figure:
    """Topic shares of two segments side by side (grouped bars); the hover gives the difference,
    z and p of each topic (``core.spacetime.compare`` table)."""
    data = topics.iloc[::-1]
    custom = np.stack([data["difference"] * 100, data["z"], data["p_value"]], axis=-1).astype(float)
    fig = go.Figure()
    for i, (column, name) in enumerate(zip(("share_a", "share_b"), names, strict=True)):
        fig.add_trace(
            go.Bar(
                x=data[column] * 100,
                y=esc_all(data["topic"]),
                name=esc(name),
                orientation="h",
                marker_color=PALETTE[i],
                customdata=custom,
                hovertemplate="%{y}: %{x:.1f}%<br>difference %{customdata[0]:+.1f} points, "
                "z = %{customdata[1]:.2f}, p = %{customdata[2]:.2g}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.1})
    fig.update_xaxes(title="share of the segment's events (%)", ticksuffix="%")
    return _layout(fig, title, height=max(300, 44 * len(data) + 110))
