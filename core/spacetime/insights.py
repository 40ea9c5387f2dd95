"""Findings in plain language: templates over the numbers of the analytics, each with the figures
it rests on, the threshold it passed and the page that shows it in full.

Inputs are the outputs of the analytics, passed in as frames, so this module needs none of them:
:func:`core.spacetime.trends.period_counts` (weekly) and :func:`core.spacetime.trends.emerging`,
a drift ranking (``core.interests.timeline.drift_ranking``: ``from_topic``, ``to_topic``,
``change_period``, ``drift``), :func:`core.spacetime.signals.area_peaks` and :func:`core.spacetime.signals.hotspot_reach`. A finding is only made
when its statistic passes the threshold stated in :class:`FindingSpec` and written into the row;
an input that is missing or too small yields no finding of that kind, never a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.spacetime.signals import onsets

#: Columns of :func:`findings`.
FINDING_COLUMNS = ("kind", "text", "value", "threshold", "figures", "link")
#: Pages a finding links to (the dashboard's page names).
PAGE_INTERESTS, PAGE_USERS, PAGE_MAP = "Interests", "Users", "Map"


@dataclass(frozen=True)
class FindingSpec:
    """Thresholds a finding must pass.

    ``min_z``: |two-proportion z| of an emerging / fading topic and of an hour-of-week peak;
    ``min_share_change``: absolute change of a topic's share between the windows; ``min_events``:
    events in each window (and in an area-topic for peaks); ``min_drift_users``: users in the
    largest group of interest changes, ``min_drift``: the drift (0..1) that counts as a change,
    ``min_drift_score`` / ``min_active_days``: how clear the switch must be (drift_ranking's
    ``score``) and the active days before and after it (``n_before``, ``n_after``), where given;
    ``min_peak_lift``: a topic's share of an area's events in its peak hour over that hour's share
    of all the area's events, ``min_peak_z`` / ``min_peak_events`` its z and size (stricter than
    ``min_z``: the peak is the best of 24 hours x topics x areas, so chance alone passes z = 3); ``min_reach_share``: share of events near the hotspots;
    ``max_per_kind``: findings of one kind at most.
    """

    min_z: float = 3.0
    min_share_change: float = 0.02
    min_events: int = 30
    min_drift_users: int = 3
    min_drift: float = 0.3
    min_drift_score: float = 0.7
    min_active_days: int = 3
    min_peak_lift: float = 1.5
    min_peak_z: float = 5.0
    min_peak_events: int = 200
    min_reach_share: float = 0.25
    max_per_kind: int = 3


def _row(kind: str, text: str, value: float, threshold: str, figures: dict, link: str) -> dict:
    clean = {k: (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in figures.items()}
    return {
        "kind": kind,
        "text": text,
        "value": float(value),
        "threshold": threshold,
        "figures": json.dumps(clean, default=float, sort_keys=True),
        "link": link,
    }


def _where(area: str) -> str:
    return f"around {area.removeprefix('near ')}" if area.startswith("near ") else f"in {area}"


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _emerging_rows(
    emerging: pd.DataFrame, counts: pd.DataFrame | None, spec: FindingSpec
) -> list[dict]:
    starts = onsets(counts, spec.min_z).set_index("topic") if counts is not None else None
    change = (emerging["recent_share"] - emerging["baseline_share"]).abs()
    passed = emerging[
        (emerging["z"].abs() >= spec.min_z)
        & (change >= spec.min_share_change)
        & (emerging["recent_events"] + emerging["baseline_events"] > 0)
        & (emerging[["recent_events", "baseline_events"]].sum(axis=0).min() >= spec.min_events)
    ]
    passed = passed.reindex(passed["z"].abs().sort_values(ascending=False).index)
    rows = []
    for rec in passed.head(spec.max_per_kind).to_dict("records"):  # a few findings, not rows
        verb = "rose" if rec["z"] > 0 else "fell"
        since = f"the {rec['recent_start']:%Y-%m-%d} to {rec['recent_end']:%Y-%m-%d} window"
        figures = {
            "topic": rec["topic"],
            "recent_share": rec["recent_share"],
            "baseline_share": rec["baseline_share"],
            "z": rec["z"],
            "recent_start": rec["recent_start"],
            "recent_end": rec["recent_end"],
            "baseline_start": rec["baseline_start"],
        }
        if starts is not None and rec["topic"] in starts.index:
            onset = starts.loc[rec["topic"], "onset"]
            if pd.notna(onset) and (starts.loc[rec["topic"], "direction"] == "rise") == (
                rec["z"] > 0
            ):
                since = f"{onset:%Y-%m-%d}"
                figures["onset"] = onset
        text = (
            f"{rec['topic']} {verb} from {_pct(rec['baseline_share'])} to "
            f"{_pct(rec['recent_share'])} of engagement after {since} (z = {rec['z']:.1f})"
        )
        kind = "emerging" if rec["z"] > 0 else "fading"
        threshold = f"|z| >= {spec.min_z:g} and share change >= {_pct(spec.min_share_change)}"
        rows.append(_row(kind, text, rec["z"], threshold, figures, PAGE_INTERESTS))
    return rows


def _drift_rows(drift: pd.DataFrame, spec: FindingSpec) -> list[dict]:
    keep = (
        (drift["drift"].to_numpy(dtype=np.float64) >= spec.min_drift)
        & drift["from_topic"].notna().to_numpy()
        & drift["to_topic"].notna().to_numpy()
        & (drift["from_topic"].astype(str) != drift["to_topic"].astype(str)).to_numpy()
    )
    # A clear switch (score) resting on enough active days before and after, where given: a user
    # with two events has a drift of 1 by chance alone.
    if "score" in drift:
        keep &= drift["score"].to_numpy(dtype=np.float64) >= spec.min_drift_score
    for column in ("n_before", "n_after"):
        if column in drift:
            keep &= drift[column].to_numpy(dtype=np.float64) >= spec.min_active_days
    moved = drift[keep]
    if moved.empty:
        return []
    groups = (
        moved.groupby(["from_topic", "to_topic"], observed=True)
        .size()
        .reset_index(name="users")
        .sort_values(["users", "from_topic", "to_topic"], ascending=[False, True, True])
    )
    best = groups.iloc[0]
    if best["users"] < spec.min_drift_users:
        return []
    weeks = pd.DatetimeIndex(moved["change_period"]).dropna().value_counts()
    text = (
        f"{len(moved)} users' interests changed; the largest group, {best['users']} users, moved "
        f"from {best['from_topic']} to {best['to_topic']}"
    )
    week = weeks.index[weeks.to_numpy() == weeks.max()].min() if len(weeks) else None
    if week is not None:
        text += f"; most changes came in the week of {week:%Y-%m-%d}"
    figures = {
        "changed_users": len(moved),
        "from_topic": str(best["from_topic"]),
        "to_topic": str(best["to_topic"]),
        "group_users": int(best["users"]),
        "busiest_week": week,
        "busiest_week_users": int(weeks.max()) if len(weeks) else 0,
    }
    threshold = (
        f"largest group >= {spec.min_drift_users} users with drift >= {spec.min_drift:g}, "
        f"score >= {spec.min_drift_score:g}, >= {spec.min_active_days} active days each side"
    )
    return [_row("drift", text, best["users"], threshold, figures, PAGE_USERS)]


def _peak_rows(peaks: pd.DataFrame, spec: FindingSpec) -> list[dict]:
    passed = peaks[
        (peaks["events"] >= spec.min_peak_events)
        & (peaks["lift"] >= spec.min_peak_lift)
        & (peaks["z"] >= spec.min_peak_z)
    ].sort_values("z", ascending=False)
    rows = []
    for rec in passed.head(spec.max_per_kind).to_dict("records"):
        hour = int(rec["hour"])
        clock = f"{(hour - 1) % 12 + 1} {'am' if hour < 12 else 'pm'}"
        text = (
            f"{rec['topic']} peaks at {clock} on weekdays {_where(rec['area'])} "
            f"({_pct(rec['peak_share'])} of its weekday events, {rec['lift']:.1f}x the area's "
            f"share in that hour; {rec['basis']})"
        )
        figures = {
            k: rec[k] for k in ("area", "topic", "hour", "events", "peak_share", "lift", "z")
        }
        threshold = (
            f"lift >= {spec.min_peak_lift:g}, z >= {spec.min_z:g}, >= {spec.min_events} events"
        )
        rows.append(_row("peak", text, rec["z"], threshold, figures, PAGE_INTERESTS))
    return rows


def _reach_rows(reach: pd.DataFrame, spec: FindingSpec) -> list[dict]:
    if reach.empty or reach["total"].iloc[0] < spec.min_events:
        return []
    half = reach[reach["share"] >= 0.5]
    pick = half.iloc[0] if len(half) else reach.iloc[-1]
    if pick["share"] < spec.min_reach_share:
        return []
    lead = "Half" if len(half) and pick["share"] < 0.55 else _pct(pick["share"])
    noun = "purchases" if pick["event"] == "purchase" else f"{pick['event']} events"
    if pick["event"] == "all events":
        noun = "events"
    text = (
        f"{lead} of all {noun} happen within {pick['radius_km']:g} km of "
        f"{int(pick['hotspots'])} hotspot{'s' if pick['hotspots'] > 1 else ''}"
        + (f" ({_pct(pick['share'])})" if lead == "Half" else "")
    )
    figures = {k: pick[k] for k in ("hotspots", "share", "events", "total", "radius_km", "event")}
    threshold = f"share >= {_pct(spec.min_reach_share)}"
    return [_row("hotspots", text, pick["share"], threshold, figures, PAGE_MAP)]


def findings(
    *,
    counts: pd.DataFrame | None = None,
    emerging: pd.DataFrame | None = None,
    drift: pd.DataFrame | None = None,
    peaks: pd.DataFrame | None = None,
    reach: pd.DataFrame | None = None,
    spec: FindingSpec | None = None,
) -> pd.DataFrame:
    """Plain-language findings from the analytics, only those that pass ``spec``'s thresholds.

    Parameters
    ----------
    counts
        Weekly :func:`core.spacetime.trends.period_counts`: dates an emerging topic's onset.
    emerging
        :func:`core.spacetime.trends.emerging`: topics whose share changed (with the windows).
    drift
        ``core.interests.timeline.drift_ranking`` over all users (``n`` = number of users):
        ``drift``, ``from_topic``, ``to_topic``, ``change_period``.
    peaks
        :func:`core.spacetime.signals.area_peaks`.
    reach
        :func:`core.spacetime.signals.hotspot_reach`.
    spec
        Thresholds; default :class:`FindingSpec`.

    Returns
    -------
    pandas.DataFrame
        ``kind`` ("emerging", "fading", "drift", "peak", "hotspots"), ``text`` (the sentence),
        ``value`` (the statistic tested), ``threshold`` (the rule it passed, in words),
        ``figures`` (JSON of the numbers the sentence uses), ``link`` (page name). Emerging first,
        then drift, peaks, hotspots; empty when nothing passes.

    Examples
    --------
    >>> findings(emerging=trends.emerging(log, item_topic, labels))  # doctest: +SKIP
    """
    spec = FindingSpec() if spec is None else spec
    rows: list[dict] = []
    if emerging is not None and len(emerging):
        rows += _emerging_rows(emerging, counts, spec)
    if drift is not None and len(drift):
        rows += _drift_rows(drift, spec)
    if peaks is not None and len(peaks):
        rows += _peak_rows(peaks, spec)
    if reach is not None and len(reach):
        rows += _reach_rows(reach, spec)
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def findings_markdown(table: pd.DataFrame, title: str = "Findings") -> str:
    """The findings as a Markdown list: each sentence, the rule it passed and its page.

    Parameters
    ----------
    table
        Output of :func:`findings`.
    title
        Heading of the list.

    Returns
    -------
    str
        Markdown text ("No finding passed its threshold." when the table is empty).
    """
    lines = [f"# {title}", ""]
    if table.empty:
        return "\n".join([*lines, "No finding passed its threshold.", ""])
    body = (
        "- "
        + table["text"].astype(str)
        + " ("
        + table["threshold"].astype(str)
        + "; see "
        + table["link"].astype(str)
        + ")"
    )
    return "\n".join([*lines, *body.tolist(), ""])
