"""Model: train the sequence model with progress, compare it with baselines, save or load it."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pandas as pd
import streamlit as st

from core.recsys import train
from dashboard import cached, charts
from dashboard.components import dataset as ds
from dashboard.components import exports, modelstate
from dashboard.components.adapter import adapted_rows, encoder_section
from dashboard.components.feedback import guard, md_escape
from dashboard.components.modelfiles import load_form, save_button
from dashboard.components.newitems import new_items_section

data = ds.open_page("Model", "model")
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events
default = train.TrainSpec.for_log(len(events))


def _or_preset(value: object) -> str:
    return "preset" if value is None else str(value)


def show_model(bundle: object, report: pd.DataFrame, source: str, key: str) -> None:
    """The metrics table (protocol stated), NDCG@10 by model and the training curve."""
    meta = dict(bundle.info)
    st.caption(
        f"Model: {md_escape(source)} · best epoch {meta.get('best_epoch', '?')} · "
        f"{float(meta.get('seconds', 0)):.0f}s "
        f"({float(meta.get('seconds_per_epoch', 0)):.1f}s per epoch)"
    )
    if report is None or report.empty:
        st.info("This model has no evaluation report.")
        return
    adapted = adapted_rows(data)
    if len(adapted) and "segment" in report:  # beside the frozen encoder's LM-interest row
        report = pd.concat([report, adapted], ignore_index=True)
    for text in report["protocol"].dropna().unique() if "protocol" in report else []:
        st.caption(f"Protocol: {md_escape(text)}")
    st.dataframe(
        report.drop(columns=["protocol"], errors="ignore"), hide_index=True, width="stretch"
    )
    exports.table(report, "model_metrics", {"model": key}, key=f"dl_metrics_{key}")
    ranked = report.dropna(subset=["NDCG@10"]) if "NDCG@10" in report else report.iloc[0:0]
    if len(ranked):
        left, right = st.columns(2)
        with left:
            fig = charts.metrics_bars(ranked, "NDCG@10", "NDCG@10 by model")
            st.plotly_chart(fig, width="stretch", key=f"ch_metrics_{key}")
            exports.figure(fig, "model_ndcg", {"model": key}, key=f"dl_metrics_fig_{key}")
        with right:
            history = pd.DataFrame(meta.get("history", []), columns=["epoch", "loss", "val"])
            fig2 = charts.training_curve(history)
            st.plotly_chart(fig2, width="stretch", key=f"ch_history_{key}")
            exports.figure(fig2, "training_curve", {"model": key}, key=f"dl_history_{key}")


if st.session_state.pop("mdl_cancelled", False):
    st.warning("Training was cancelled; no model was kept. Start again when ready.")

PRESETS = {
    "quick": "Quick: 1 layer, width 32, up to 8 epochs (about 10-30 s on the sample)",
    "full": "Full: 2 layers, width 64, up to 40 epochs with early stopping (minutes on a CPU)",
}

with st.form("mdl_settings"):
    st.markdown("**Sequence model** (causal transformer over each user's history)")
    preset = st.radio("Preset", list(PRESETS), format_func=PRESETS.get, key="mdl_preset")
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.number_input(
        "Max epochs", 1, 200, value=None, placeholder="preset", key="mdl_epochs"
    )
    d_model = c2.selectbox("Width", [None, 32, 64, 128], format_func=_or_preset, key="mdl_width")
    max_len = c3.selectbox(
        "History length", [None, 20, 50, 100], format_func=_or_preset, key="mdl_len"
    )
    minutes = c4.number_input("Time limit (minutes)", 1, 120, 10, key="mdl_minutes")
    use_text = st.toggle("Initialise items from language-model vectors", value=True, key="mdl_text")
    start = st.form_submit_button("Train", type="primary", icon=":material/play_arrow:")

if start:
    base = train.TrainSpec.fast() if preset == "quick" else default
    chosen = {"epochs": epochs, "d_model": d_model, "max_len": max_len}
    tspec = replace(
        base,
        **{k: int(v) for k, v in chosen.items() if v is not None},
        max_seconds=float(minutes) * 60,
    )
    st.button(
        "Cancel training",
        key="mdl_cancel",
        on_click=lambda: st.session_state.__setitem__("mdl_cancelled", True),
        icon=":material/stop:",
    )
    bar = st.progress(0.0, text="Preparing sequences…")
    t0 = time.perf_counter()

    def progress(epoch: int, loss: float, val: float, eta: float) -> bool:
        done = epoch / max(tspec.epochs, 1)
        bar.progress(
            min(done, 1.0),
            text=f"epoch {epoch}/{tspec.epochs} · loss {loss:.3f} · validation NDCG@10 {val:.4f} · "
            f"{time.perf_counter() - t0:.0f}s elapsed, about {eta:.0f}s left",
        )
        return not st.session_state.get("mdl_cancelled", False)

    with guard("Training", "Try fewer epochs or a smaller width."):
        facade = cached.atlas(fp, spec, events)
        result = facade.train(tspec, use_text=use_text, progress=progress)
        # every training run is its own model (a time-limited stop or the text toggle change it),
        # so its recommendations are never served from another run's cache entries
        key = uuid.uuid4().hex
        bundle = facade.bundle(result)
        modelstate.keep(data, bundle, f"trained here ({result.stopped})", f"trained:{key}")
        bar.progress(1.0, text=f"Done in {result.seconds:.0f}s ({result.stopped}).")

encoder_section(data, spec)  # above the metrics, whose LM-interest rows it adds to

handle = modelstate.session_model(data)
st.subheader("Metrics against baselines")
if handle is None:
    st.info(
        "No model trained or loaded for this dataset yet: below is the quick preview model (one short "
        "epoch) that the Users page uses. Press **Train** for a full model, or load a saved one."
    )
    with st.spinner("Evaluating the preview model against the baselines…"), guard("Preview model"):
        preview = cached.quick_model(fp, spec, events)
        show_model(preview, cached.quick_report(fp, spec, events), "quick preview model", "quick")
else:
    show_model(handle.bundle, handle.bundle.report, handle.source, handle.key)

new_items_section(data, spec)

st.subheader("Save or load")
left, right = st.columns(2)
with left:
    if handle is not None:
        save_button(handle, key="mdl_save")
    else:
        st.caption("Train or load a model to save it.")
with right:
    load_form(data, key="mdl_load")
