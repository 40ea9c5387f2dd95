"""Numpydoc sections on core's public functions (STYLE.md 10).

Every module-level function of a ``core`` module that is public (named in the module's ``__all__``,
or not underscore-prefixed) needs a docstring with a ``Parameters`` section when it takes
arguments, ``Returns`` (or ``Yields``) when it returns a value, and ``Raises`` when its own body
raises. The check reads the source (``ast``), so it sees exactly what a reader sees.

``UNDOCUMENTED`` lists the functions that lacked sections when this test was written. It may only
shrink: a new public function must come with its sections, and a listed function that gains them
(or goes away) must leave the list, so the test fails until the list is brought up to date.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import textwrap
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "core"

#: ``path:function`` -> the sections it still lacks (shrink only; see the module docstring).
UNDOCUMENTED: dict[str, tuple[str, ...]] = {
    "core/__main__.py:build_parser": ("docstring", "Returns"),
    "core/__main__.py:main": ("docstring", "Parameters", "Returns"),
    "core/arrivals.py:extend_atlas": ("Parameters", "Returns"),
    "core/arrivals.py:fold_timeline": ("Parameters",),
    "core/atlas.py:shared_encoder": ("Parameters", "Returns"),
    "core/cli/atlas.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/atlas.py:main": ("docstring", "Parameters", "Returns"),
    "core/cli/heatmap.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/heatmap.py:main": ("docstring", "Parameters", "Returns"),
    "core/cli/ingest.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/ingest.py:main": ("docstring", "Parameters", "Returns"),
    "core/cli/ingest.py:summary": ("Parameters", "Returns"),
    "core/cli/interests.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/interests.py:main": ("docstring", "Parameters", "Returns", "Raises"),
    "core/cli/options.py:add_analysis_arguments": ("Parameters",),
    "core/cli/options.py:add_input_arguments": ("Parameters",),
    "core/cli/options.py:input_options": ("Parameters", "Returns"),
    "core/cli/options.py:parse_map": ("Parameters", "Returns", "Raises"),
    "core/cli/options.py:read_events": ("Parameters", "Returns"),
    "core/cli/options.py:spec_from": ("Parameters", "Returns"),
    "core/cli/options.py:spec_from_options": ("Parameters", "Returns"),
    "core/cli/recommend.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/recommend.py:main": ("docstring", "Parameters", "Returns", "Raises"),
    "core/cli/sample.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/sample.py:main": ("docstring", "Parameters", "Returns"),
    "core/cli/train.py:add_arguments": ("docstring", "Parameters"),
    "core/cli/train.py:main": ("docstring", "Parameters", "Returns"),
    "core/device.py:describe": ("Parameters", "Returns"),
    "core/engines/folder.py:count_rows": ("Parameters", "Returns"),
    "core/engines/folder.py:open_atlas": ("Parameters", "Returns"),
    "core/engines/folder.py:write_events": ("Parameters",),
    "core/engines/local.py:combined_report": ("Parameters", "Returns"),
    "core/engines/local.py:expand_inputs": ("Parameters", "Returns"),
    "core/engines/local.py:ingest_files": ("Parameters", "Returns"),
    "core/engines/local.py:item_model": ("Parameters", "Returns"),
    "core/engines/local.py:topics_record": ("docstring", "Parameters", "Returns"),
    "core/engines/spark.py:session": ("Parameters", "Returns"),
    "core/engines/spark.py:ship_core": ("Parameters",),
    "core/engines/spark_ingest.py:parsed_rows": ("Parameters", "Returns"),
    "core/engines/spark_ingest.py:plan_file": ("Parameters", "Returns"),
    "core/engines/spark_ingest.py:validate_table": ("Parameters", "Returns"),
    "core/engines/synth.py:clustered_events": ("Parameters", "Returns"),
    "core/engines/synth.py:messy_log": ("Parameters", "Returns"),
    "core/engines/tables.py:bin_units": ("Parameters", "Returns"),
    "core/engines/tables.py:cells_from_counts": ("Parameters", "Returns"),
    "core/engines/tables.py:check_period": ("docstring", "Parameters", "Returns", "Raises"),
    "core/engines/tables.py:hour_of_week_frame": ("Parameters", "Returns"),
    "core/engines/tables.py:hour_of_week_from_counts": ("Parameters", "Returns"),
    "core/engines/tables.py:interest_spec": ("docstring", "Parameters", "Returns"),
    "core/engines/tables.py:item_topics_frame": ("Parameters", "Returns"),
    "core/engines/tables.py:local_how": ("Parameters", "Returns"),
    "core/engines/tables.py:period_counts_from_counts": ("Parameters", "Returns"),
    "core/engines/tables.py:share_columns": ("Parameters", "Returns"),
    "core/engines/tables.py:unit_labels": ("docstring", "Parameters", "Returns"),
    "core/engines/tables.py:user_tables": ("Parameters", "Returns"),
    "core/interests/_kernels.py:item_rows": ("Parameters", "Returns", "Raises"),
    "core/interests/_kernels.py:segment_sum": ("Parameters", "Returns"),
    "core/interests/_kernels.py:share_columns": ("Parameters", "Returns"),
    "core/interests/_kernels.py:ts_ns": ("docstring", "Parameters", "Returns"),
    "core/interests/_kernels.py:user_index": ("Parameters", "Returns"),
    "core/interests/_kernels.py:validate": ("Parameters", "Raises"),
    "core/interests/_kernels.py:weights": ("docstring", "Parameters", "Returns"),
    "core/interests/drift.py:change_points": ("Parameters", "Returns"),
    "core/io/catalogue.py:catalogue_from": ("Parameters", "Returns"),
    "core/io/catalogue.py:join_catalogue": ("Parameters", "Returns"),
    "core/io/columns.py:all_synonyms": ("Returns",),
    "core/io/columns.py:catalogue_synonyms": ("Returns",),
    "core/io/columns.py:detect_catalogue": ("Parameters", "Returns"),
    "core/io/columns.py:detect_mapping": ("Parameters", "Returns"),
    "core/io/columns.py:is_known_name": ("Parameters", "Returns"),
    "core/io/columns.py:match": ("Parameters", "Returns"),
    "core/io/columns.py:names_tried": ("docstring", "Parameters", "Returns"),
    "core/io/columns.py:norm_name": ("Parameters", "Returns"),
    "core/io/columns.py:resolve_column": ("Parameters", "Returns", "Raises"),
    "core/io/columns.py:tokens": ("Parameters", "Returns"),
    "core/io/delimited.py:detect_delimiter": ("Parameters", "Returns"),
    "core/io/delimited.py:detect_header": ("Parameters", "Returns"),
    "core/io/delimited.py:head_rows": ("docstring", "Parameters", "Returns"),
    "core/io/delimited.py:kind": ("Parameters", "Returns"),
    "core/io/delimited.py:names_of": ("docstring", "Parameters", "Returns"),
    "core/io/delimited.py:read_csv": ("Parameters", "Returns", "Raises"),
    "core/io/delimited.py:split_rows": ("Parameters", "Returns"),
    "core/io/delimited.py:unique_names": ("docstring", "Parameters", "Returns"),
    "core/io/export.py:configure_browser": ("Returns",),
    "core/io/export.py:figure_bytes": ("Parameters", "Returns", "Raises"),
    "core/io/export.py:figure_html": ("Parameters", "Returns"),
    "core/io/export.py:find_browser": ("Returns",),
    "core/io/export.py:formula_safe": ("Parameters", "Returns"),
    "core/io/export.py:table_bytes": ("Parameters", "Returns", "Raises"),
    "core/io/export.py:table_csv": ("Parameters", "Returns"),
    "core/io/export.py:table_parquet": ("Parameters", "Returns"),
    "core/io/fields.py:categorical": ("docstring", "Parameters", "Returns"),
    "core/io/fields.py:extras": ("Parameters", "Returns"),
    "core/io/fields.py:fields": ("Parameters", "Returns"),
    "core/io/fields.py:is_missing": ("Parameters", "Returns"),
    "core/io/fields.py:nonempty_text": ("Parameters", "Returns"),
    "core/io/fields.py:numbers": ("Parameters", "Returns"),
    "core/io/fields.py:plausible_location": ("Parameters", "Returns"),
    "core/io/fields.py:text": ("Parameters", "Returns"),
    "core/io/fields.py:timestamp_bounds": ("docstring", "Parameters", "Returns", "Raises"),
    "core/io/fields.py:validate": ("Parameters", "Returns"),
    "core/io/formats.py:read_json_array": ("Parameters", "Returns", "Raises"),
    "core/io/formats.py:read_json_lines": ("Parameters", "Returns"),
    "core/io/formats.py:sheet_names": ("Parameters", "Returns"),
    "core/io/formats.py:sheet_rows": ("Returns",),
    "core/io/reader.py:detect_encoding": ("Parameters", "Returns"),
    "core/io/reader.py:detect_format": ("Parameters", "Returns", "Raises"),
    "core/io/reader.py:flatten": ("Parameters", "Returns"),
    "core/io/reader.py:no_malformed": ("docstring", "Returns"),
    "core/io/reader.py:read": ("Parameters", "Returns", "Raises"),
    "core/io/reader.py:read_bytes": ("Parameters", "Returns", "Raises"),
    "core/io/reader.py:read_json_head": ("Parameters", "Returns"),
    "core/io/reader.py:to_utf8": ("Parameters", "Returns", "Raises"),
    "core/io/reader.py:unpack": ("Parameters", "Returns", "Raises"),
    "core/io/specs.py:describe_format": ("docstring", "Parameters", "Returns"),
    "core/lazy.py:lazy_exports": ("Parameters", "Returns"),
    "core/recsys/baselines.py:cosine_scores": ("Parameters", "Returns"),
    "core/recsys/baselines.py:history_matrix": ("Parameters", "Returns"),
    "core/recsys/baselines.py:interest_vectors": ("Parameters", "Returns", "Raises"),
    "core/recsys/baselines.py:itemknn_scores": ("Parameters", "Returns"),
    "core/recsys/baselines.py:lm_interest_scores": ("Parameters",),
    "core/recsys/baselines.py:popularity": ("Parameters", "Returns"),
    "core/recsys/baselines.py:popularity_prior": ("Parameters", "Returns"),
    "core/recsys/evaluate.py:evaluate_model": ("Parameters", "Returns"),
    "core/recsys/evaluate.py:evaluate_scores": ("Parameters", "Returns"),
    "core/recsys/evaluate.py:model_scores": ("Parameters", "Returns"),
    "core/recsys/evaluate.py:propensity_scores": ("Parameters", "Returns"),
    "core/recsys/evaluate.py:seen_mask": ("Parameters", "Returns"),
    "core/recsys/metrics.py:best_threshold": ("Parameters", "Returns"),
    "core/recsys/metrics.py:binary_scores": ("Parameters", "Returns"),
    "core/recsys/metrics.py:protocol": ("Parameters", "Returns"),
    "core/recsys/metrics.py:report_columns": ("Parameters", "Returns"),
    "core/recsys/metrics.py:report_frame": ("Parameters", "Returns"),
    "core/recsys/metrics.py:report_row": ("Parameters", "Returns"),
    "core/recsys/metrics.py:target_ranks": ("Raises",),
    "core/recsys/newitems.py:pick_new_items": ("Parameters", "Returns", "Raises"),
    "core/recsys/persist.py:bundle_from": ("Parameters", "Returns", "Raises"),
    "core/recsys/persist.py:load": ("Returns",),
    "core/recsys/reasons.py:reason_text": ("Parameters", "Returns"),
    "core/recsys/reasons.py:reasons": ("Parameters", "Returns"),
    "core/recsys/recommend.py:geo_scores": ("Parameters", "Returns", "Raises"),
    "core/recsys/recommend.py:score_all_users": ("Parameters", "Raises"),
    "core/recsys/seqmodel.py:gap_bucket": ("Parameters", "Returns"),
    "core/recsys/sequences.py:align_item_vectors": ("Parameters", "Returns", "Raises"),
    "core/recsys/sequences.py:batch_from": ("Parameters", "Returns"),
    "core/recsys/sequences.py:build_vocab": ("Parameters", "Returns"),
    "core/recsys/sequences.py:make_splits": ("Parameters", "Returns"),
    "core/recsys/sequences.py:ranges": ("Parameters", "Returns"),
    "core/recsys/sequences.py:right_aligned": ("Parameters", "Returns"),
    "core/recsys/sequences.py:training_windows": ("Parameters", "Returns"),
    "core/recsys/train.py:train_and_compare": ("Parameters", "Returns"),
    "core/render/assets.py:leaflet_data_uris": ("Returns",),
    "core/render/assets.py:leaflet_file": ("Parameters", "Returns"),
    "core/render/assets.py:leaflet_text": ("Returns",),
    "core/render/maps.py:circles": ("Parameters", "Returns"),
    "core/render/maps.py:colours": ("Parameters", "Returns"),
    "core/render/maps.py:fill_layer": ("Parameters", "Returns"),
    "core/render/maps.py:hotspots_map": ("Parameters", "Returns"),
    "core/render/maps.py:regions_map": ("Parameters", "Returns", "Raises"),
    "core/render/maps.py:safe_text": ("Parameters", "Returns"),
    "core/render/maps.py:standalone_html": ("Parameters", "Returns"),
    "core/sample/files.py:bundled_event_log": ("Returns",),
    "core/sample/files.py:bundled_paths": ("Returns",),
    "core/sample/files.py:bundled_truth": ("Returns",),
    "core/sample/files.py:to_event_log": ("Parameters", "Returns"),
    "core/sample/files.py:write": ("Parameters", "Returns"),
    "core/schema.py:codes": ("Parameters", "Returns"),
    "core/schema.py:conform": ("Parameters", "Returns"),
    "core/schema.py:event_weights": ("Parameters", "Returns"),
    "core/schema.py:fingerprint": ("Parameters", "Returns"),
    "core/schema.py:item_table": ("Parameters", "Returns"),
    "core/spacetime/compare.py:main_topic_mask": ("Parameters", "Returns"),
    "core/spacetime/filters.py:in_box": ("Parameters", "Returns"),
    "core/spacetime/filters.py:local_times": ("Parameters", "Returns"),
    "core/spacetime/filters.py:located": ("Parameters", "Returns"),
    "core/spacetime/filters.py:time_bins": ("Parameters", "Returns"),
    "core/spacetime/filters.py:topic_codes": ("Parameters", "Returns"),
    "core/spacetime/filters.py:utc_ns": ("Parameters", "Returns"),
    "core/spacetime/geo.py:cell_strings": ("Parameters", "Returns"),
    "core/spacetime/geo.py:check_res": ("Parameters", "Returns"),
    "core/spacetime/geo.py:h3_cells_loop": ("Parameters", "Returns"),
    "core/spacetime/geo.py:haversine_m": ("Parameters", "Returns"),
    "core/spacetime/geo.py:valid_location": ("Parameters", "Returns"),
    "core/spacetime/grouping.py:bin_events": ("Parameters", "Returns"),
    "core/spacetime/grouping.py:bincount": ("Parameters", "Returns"),
    "core/spacetime/grouping.py:factorize_cells": ("Parameters", "Returns"),
    "core/spacetime/grouping.py:group_frames": ("Parameters", "Returns"),
    "core/spacetime/grouping.py:grouped_counts": ("Parameters", "Returns"),
    "core/spacetime/heatmaps.py:topics_from_text": ("Parameters", "Returns", "Raises"),
    "core/spacetime/playback.py:fixed_scale": ("Parameters", "Returns"),
    "core/spacetime/regions.py:assign_regions": ("Parameters", "Returns"),
    "core/spacetime/signals.py:two_proportion_z": ("Parameters", "Returns"),
    "core/spacetime/trends.py:period_counts": ("Raises",),
    "core/statefolder.py:exists": ("Parameters", "Returns"),
    "core/statefolder.py:open_state": ("Parameters", "Returns"),
}


def _sections(doc: str | None) -> set[str]:
    """Section titles of a numpydoc docstring (a line underlined with dashes)."""
    lines = (doc or "").splitlines()
    return {
        a.strip()
        for a, b in itertools.pairwise(lines)
        if a.strip() and re.fullmatch(r"\s*-{3,}\s*", b)
    }


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef):
    """The nodes of ``fn``'s body, not those of functions, lambdas or classes nested in it."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def missing_sections(source: str) -> dict[str, tuple[str, ...]]:
    """Public function name -> the numpydoc sections its docstring lacks, for one module's source."""
    tree = ast.parse(source)
    exported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            exported = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    found: dict[str, tuple[str, ...]] = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if fn.name.startswith("_") and fn.name not in exported:
            continue
        doc = ast.get_docstring(fn)
        have = _sections(doc)
        a = fn.args
        params = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p]
        params = [p for p in params if p not in ("self", "cls")]
        nodes = list(_own_nodes(fn))
        yields = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in nodes)
        returns = any(
            isinstance(n, ast.Return)
            and n.value is not None
            and not (isinstance(n.value, ast.Constant) and n.value.value is None)
            for n in nodes
        )
        raises = any(isinstance(n, ast.Raise) and n.exc is not None for n in nodes)
        lacks = [
            *(["docstring"] if doc is None else []),
            *(["Parameters"] if params and "Parameters" not in have else []),
            *(["Returns"] if returns and not yields and "Returns" not in have else []),
            *(["Yields"] if yields and "Yields" not in have else []),
            *(["Raises"] if raises and "Raises" not in have else []),
        ]
        if lacks:
            found[fn.name] = tuple(lacks)
    return found


@functools.cache
def core_findings() -> dict[str, tuple[str, ...]]:
    """``path:function`` -> lacking sections, over every module of ``core``."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE.parent).as_posix()
        for name, lacks in missing_sections(path.read_text(encoding="utf-8")).items():
            out[f"{rel}:{name}"] = lacks
    return out


def test_the_check_finds_a_function_without_its_sections() -> None:
    source = textwrap.dedent(
        '''
        __all__ = ["_exported"]

        def bare(x):
            return x

        def one_line(x: int) -> int:
            """Twice ``x``."""
            if x < 0:
                raise ValueError(x)
            return 2 * x

        def documented(x: int) -> int:
            """Twice ``x``.

            Parameters
            ----------
            x
                Any integer.

            Returns
            -------
            int
            """
            def inner():
                raise ValueError("inner raises, not documented()")
            return 2 * x

        def _private(x):
            return x

        def _exported(x):
            return x

        def walk(n: int):
            """Count.

            Parameters
            ----------
            n
                How far.
            """
            yield from range(n)

        def side_effect() -> None:
            """Print nothing."""
        '''
    )
    assert missing_sections(source) == {
        "bare": ("docstring", "Parameters", "Returns"),
        "one_line": ("Parameters", "Returns", "Raises"),
        "_exported": ("docstring", "Parameters", "Returns"),
        "walk": ("Yields",),
    }


def test_public_core_functions_have_their_numpydoc_sections() -> None:
    found = core_findings()
    new = {k: v for k, v in found.items() if k not in UNDOCUMENTED}
    assert not new, "public core functions without their numpydoc sections:\n" + "\n".join(
        f"  {k}: lacks {', '.join(v)}" for k, v in sorted(new.items())
    )


@pytest.mark.parametrize("name", sorted(UNDOCUMENTED))
def test_the_undocumented_list_only_shrinks(name: str) -> None:
    found = core_findings()
    assert name in found, f"{name} now has its sections (or is gone): remove it from UNDOCUMENTED"
    assert set(found[name]) <= set(UNDOCUMENTED[name]), (
        f"{name} lacks {found[name]}, more than the listed {UNDOCUMENTED[name]}"
    )
