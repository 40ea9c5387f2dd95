"""``python -m core heatmap EVENTS --res 8 --out DIR``: H3 / region / hotspot aggregates + HTML maps.

Writes into DIR: ``cells.parquet`` (per cell x bin), ``cells_by_topic.parquet`` (per cell x bin x
topic), ``hour_of_week.parquet`` (7 x 24, local time when known), ``regions.parquet``,
``hotspots.parquet``, ``map.html`` (H3 cells, all bins), ``hotspots.html``, ``regions.html`` and
``summary.json``. The HTML files are standalone: Leaflet is inlined, so they draw offline.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.cli.options import add_input_arguments, read_events
from core.errors import InvalidInputError
from core.render import maps as maprender
from core.spacetime import geo, heatmaps, hotspots, regions, trends


def _res(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return geo.check_res(int(value))
    except (ValueError, InvalidInputError):
        raise argparse.ArgumentTypeError(
            f"expected auto or an H3 resolution 0..15, found {value!r}"
        ) from None


def fit_grid(events, res: int | str) -> tuple[int, int, str | None]:
    """The resolution of the tables and the one of map.html, with a note when either is coarser.

    A map draws at most ``geo.MAP_CELLS`` cells.

    Parameters
    ----------
    events
        Canonical EventLog (its located events decide the grid).
    res
        The ``--res`` option: an H3 resolution, or ``"auto"`` (8, coarser where the events spread).

    Returns
    -------
    tuple of (int, int, str or None)
        ``(res, map_res, note)``; ``note`` is None when both are the resolution asked for.
    """
    asked = 8 if res == "auto" else int(res)
    fitted, n_cells = heatmaps.default_res(
        events, preferred=asked, coarsest=min(asked, geo.COARSEST_DEFAULT_RES)
    )
    if fitted == asked:
        return asked, asked, None
    if res == "auto":
        note = (
            f"the events are spread widely: res {asked} would occupy more than "
            f"{geo.MAP_CELLS:,} cells, so the tables and map use res {fitted} ({n_cells:,} cells); "
            f"pass --res {asked} to force it"
        )
        return fitted, fitted, note
    note = (
        f"map.html is drawn at res {fitted} ({n_cells:,} cells): res {asked} would draw more than "
        f"{geo.MAP_CELLS:,} polygons; the Parquet tables keep res {asked}"
    )
    return asked, fitted, note


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``heatmap`` options: inputs, ``--out``, H3 resolution, time bins, topics, region
    polygons and device.

    Parameters
    ----------
    parser
        The ``python -m core heatmap`` parser.
    """
    add_input_arguments(parser, out="folder to write into (created if missing)")
    parser.add_argument(
        "--res",
        type=_res,
        default="auto",
        help=(
            "H3 resolution 0..15, or auto (default): 8, or coarser when the log is spread so wide "
            f"that res 8 would occupy more than {geo.MAP_CELLS:,} cells"
        ),
    )
    parser.add_argument(
        "--period",
        default="how",
        choices=["none", "how", "hour", "dow", "H", "D", "W", "M"],
        help="time bins of cells.parquet (default how = hour of week, local time)",
    )
    parser.add_argument(
        "--topics",
        default="text",
        choices=["text", "none"],
        help="text: each item's text is its topic (good for venue categories); none: no topics",
    )
    parser.add_argument("--max-topics", type=int, default=12)
    parser.add_argument(
        "--regions",
        default=None,
        help="GeoJSON or zipped shapefile of polygons (default: bundled --layer)",
    )
    parser.add_argument("--layer", default="countries", choices=sorted(regions.BUNDLED))
    parser.add_argument("--device", default=None, help="torch device (default: auto)")


def main(args: argparse.Namespace) -> int:
    """Aggregate the log into cells, hour of week, regions and hotspots; write the Parquet tables,
    the standalone HTML maps and ``summary.json``.

    Parameters
    ----------
    args
        The inputs and ``out``, ``res``, ``period``, ``topics`` / ``max_topics``, ``regions`` /
        ``layer`` and ``device``.

    Returns
    -------
    int
        0 once DIR holds every table, map and the summary.
    """
    events = read_events(args).events
    if args.topics == "text":
        item_topic, labels = heatmaps.topics_from_text(events, args.max_topics)
    else:
        item_topic, labels = None, ()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    period = None if args.period == "none" else args.period
    res, map_res, note = fit_grid(events, args.res)
    if note:
        print(f"note: {note}")
    spec = heatmaps.HeatmapSpec(res=res, period=period, device=args.device)
    binned = heatmaps.aggregate(events, item_topic, labels, spec)
    binned.cells.to_parquet(out / "cells.parquet", index=False)
    binned.by_topic.to_parquet(out / "cells_by_topic.parquet", index=False)
    totals = heatmaps.aggregate(
        events, item_topic, labels, heatmaps.HeatmapSpec(res=map_res, device=args.device)
    )
    (out / "map.html").write_text(
        maprender.standalone_html(maprender.h3_map(totals.cells)), encoding="utf-8"
    )
    grid, basis = trends.hour_of_week(events)
    grid.columns = grid.columns.astype(str)
    grid.to_parquet(out / "hour_of_week.parquet")
    polygons = (
        regions.load_regions(Path(args.regions).read_bytes())
        if args.regions
        else regions.load_regions(layer=args.layer)
    )
    by_region = regions.aggregate(events, item_topic, labels, regions=polygons)
    by_region.regions.to_parquet(out / "regions.parquet", index=False)
    (out / "regions.html").write_text(
        maprender.standalone_html(maprender.regions_map(polygons, by_region.regions)),
        encoding="utf-8",
    )
    spots = hotspots.hotspots(events, item_topic, labels)
    spots.hotspots.to_parquet(out / "hotspots.parquet", index=False)
    (out / "hotspots.html").write_text(
        maprender.standalone_html(maprender.hotspots_map(spots.hotspots)), encoding="utf-8"
    )
    summary = {
        "events": len(events),
        "events_located": binned.n_located,
        "res": res,
        "map_res": map_res,
        "note": note,
        "period": period,
        "time_basis": binned.basis if period else basis,
        "cells": int(binned.cells[geo.CELL].nunique()),
        "map_cells": int(totals.cells.shape[0]),
        "topics": list(labels),
        "regions_with_events": int(by_region.regions["region"].nunique()),
        "events_outside_regions": by_region.n_outside,
        "hotspots": len(spots.hotspots),
        "device": binned.device,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(
        f"{summary['events']:,} events, {summary['events_located']:,} located in "
        f"{summary['cells']:,} H3 res-{res} cells; {summary['hotspots']} hotspots; "
        f"{summary['regions_with_events']} regions; wrote {out}/"
    )
    return 0
