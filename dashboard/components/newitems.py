"""New items on the Model page: how well each model ranks items it never saw in training.

A seeded 10 % of the catalogue loses every training event; the text-initialised and ID-only
sequence models are retrained without them (progress bar, Cancel) and ranked with the baselines on
all test users and on those whose next item is one of the new ones.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.interests.finetune import FinetuneSpec
from core.recsys import train
from core.recsys.newitems import NEW_ITEMS, new_item_summary
from dashboard import cached, charts
from dashboard.components import exports
from dashboard.components.dataset import Dataset
from dashboard.components.feedback import guard, md_escape

CANCEL_KEY = "ni_cancelled"
COLUMNS = ["segment", "model", "NDCG@10", "HR@10", "MRR", "n_users"]
PRESETS = {
    "quick": "Quick: 1 layer, width 32, up to 8 epochs per model",
    "full": "Full: the Model page's full preset (minutes per model on a CPU)",
}


def _state_key(data: Dataset) -> str:
    return f"new_item_report:{data.fingerprint}"


def _spec(preset: str, n_events: int) -> train.TrainSpec:
    if preset == "quick":
        return train.TrainSpec.fast(propensity=False)
    return train.TrainSpec.for_log(n_events, propensity=False)


def new_items_section(data: Dataset, spec: cached.AnalysisSpec) -> None:
    """A form that runs the new-item evaluation, then its table, summary and chart."""
    st.subheader("New items (cold start)")
    if st.session_state.pop(CANCEL_KEY, False):
        st.warning("The new-item evaluation was cancelled; nothing was kept.")
    with st.form("ni_settings"):
        st.caption(
            "A seeded 10 % of the items lose every training event; the sequence model is "
            "retrained with and without language-model item embeddings, and each model ranks the "
            "whole catalogue for the test users whose next item is one of the new ones. Text is "
            "what an item nobody has engaged with yet can be placed by."
        )
        preset = st.radio("Preset", list(PRESETS), format_func=PRESETS.get, key="ni_preset")
        adapted = st.checkbox(
            "Also with the encoder adapted to the log (adapted first on the log without the new "
            "items' training events; a minute or two more)",
            key="ni_adapted",
        )
        start = st.form_submit_button("Evaluate on new items", icon=":material/fiber_new:")
    if start:
        _run(data, spec, _spec(preset, len(data.events)), adapted)
    report = st.session_state.get(_state_key(data))
    if report is None:
        st.info("Press **Evaluate on new items** to train the two models without the new items.")
        return
    _show(data, report)


def _run(data: Dataset, spec: cached.AnalysisSpec, tspec: train.TrainSpec, adapted: bool) -> None:
    st.button(
        "Cancel new-item evaluation",
        key="ni_cancel",
        on_click=lambda: st.session_state.__setitem__(CANCEL_KEY, True),
        icon=":material/stop:",
    )
    facade = cached.atlas(data.fingerprint, spec, data.events)
    has_text = facade.item_vectors.model is not None
    n_models = (3 if adapted else 2) if has_text else 1
    bar = st.progress(0.0, text="Removing the new items' training events…")
    t0 = time.perf_counter()
    seen = {"model": 0, "last": 0}

    def progress(epoch: int, loss: float, val: float, eta: float) -> bool:
        if epoch <= seen["last"]:  # the next model started
            seen["model"] += 1
        seen["last"] = epoch
        which = ("ID-only", "text-initialised", "adapted-encoder")[min(seen["model"], 2)]
        done = (seen["model"] + epoch / max(tspec.epochs, 1)) / n_models
        bar.progress(
            min(done, 1.0),
            text=f"{which} model, epoch {epoch}/{tspec.epochs} · validation NDCG@10 {val:.4f} · "
            f"{time.perf_counter() - t0:.0f}s elapsed",
        )
        return not st.session_state.get(CANCEL_KEY, False)

    adapt_epochs = (getattr(spec, "finetune", None) or FinetuneSpec()).epochs

    def adapting(epoch: int, loss: float, eta: float) -> bool:
        bar.progress(
            min((2 + 0.5 * epoch / adapt_epochs) / 3, 1.0),
            text=f"adapting the encoder to the log without the new items' training events: "
            f"epoch {epoch} · contrastive loss {loss:.3f} · about {eta:.0f}s left",
        )
        return not st.session_state.get(CANCEL_KEY, False)

    with guard("New-item evaluation", "This needs users with at least three steps."):
        report = facade.new_item_report(
            tspec, progress, adapted=adapted and has_text, adapt_progress=adapting
        )
        if report.empty:
            st.session_state[CANCEL_KEY] = True
            st.rerun()
        st.session_state[_state_key(data)] = report
        bar.progress(1.0, text=f"Done in {time.perf_counter() - t0:.0f}s.")


def _show(data: Dataset, report: pd.DataFrame) -> None:
    st.markdown(md_escape(new_item_summary(report)))
    for text in report["protocol"].dropna().unique():
        st.caption(f"Protocol: {md_escape(text)}")
    table = report[[c for c in COLUMNS if c in report.columns]]
    st.dataframe(table, hide_index=True, width="stretch")
    exports.table(report, "new_item_report", {"data": data.name}, key="dl_new_items")
    new = report[report["segment"] == NEW_ITEMS]
    if len(new):
        fig = charts.metrics_bars(new, "HR@10", "New items: HR@10 by model")
        st.plotly_chart(fig, width="stretch", key="ch_new_items")
        exports.figure(fig, "new_items_hr", {"data": data.name}, key="dl_new_items_fig")
