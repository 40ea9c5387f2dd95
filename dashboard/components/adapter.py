"""The encoder adapted to the log, on the Model page: train with progress and cancel, compare."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from dashboard import cached
from dashboard.components import exports
from dashboard.components.dataset import Dataset
from dashboard.components.feedback import guard, md_escape

CANCEL_KEY = "ft_cancelled"


def _state_key(data: Dataset) -> str:
    return f"encoder_report:{data.fingerprint}"


def adapted_rows(data: Dataset) -> pd.DataFrame:
    """The adapted encoder's LM-interest row of this dataset (empty until it has been adapted)."""
    report = st.session_state.get(_state_key(data))
    if report is None or report.empty:
        return pd.DataFrame()
    return report[report["encoder"] == "adapted encoder"].drop(
        columns=["encoder", "pair recall@10", "seconds"]
    )


def encoder_section(data: Dataset, spec: cached.AnalysisSpec) -> None:
    """A form that adapts the sentence encoder to the log's co-engagement (progress bar, Cancel)
    and the frozen-vs-adapted table once it has run."""
    st.subheader("Encoder adapted to the log")
    if st.session_state.pop(CANCEL_KEY, False):
        st.warning("Fine-tuning was cancelled; nothing was kept: the frozen encoder stays in use.")
    with st.form("ft_settings"):
        st.caption(
            "A contrastive adapter on top of the frozen sentence encoder, trained on items the same "
            "users engage with within a day (each user's last two steps held out). About a minute "
            "or two on 2 CPU cores at the sample's size; cached on disk."
        )
        start = st.form_submit_button("Adapt encoder", icon=":material/tune:")
    if start:
        st.button(
            "Cancel fine-tuning",
            key="ft_cancel",
            on_click=lambda: st.session_state.__setitem__(CANCEL_KEY, True),
            icon=":material/stop:",
        )
        bar = st.progress(0.0, text="Mining co-engaged pairs…")
        t0 = time.perf_counter()

        def progress(epoch: int, loss: float, eta: float) -> bool:
            total = epoch + eta / max((time.perf_counter() - t0) / epoch, 1e-9)
            bar.progress(
                min(epoch / max(total, 1), 1.0),
                text=f"epoch {epoch} · contrastive loss {loss:.3f} · "
                f"{time.perf_counter() - t0:.0f}s elapsed, about {eta:.0f}s left",
            )
            return not st.session_state.get(CANCEL_KEY, False)

        with guard("Fine-tuning the encoder", "This needs item text and repeat users."):
            report = cached.atlas(data.fingerprint, spec, data.events).encoder_report(progress)
            if report.empty:
                st.session_state[CANCEL_KEY] = True
                st.rerun()
            st.session_state[_state_key(data)] = report
            bar.progress(1.0, text=f"Done in {time.perf_counter() - t0:.0f}s.")
    report = st.session_state.get(_state_key(data))
    if report is None:
        st.info("The encoder is frozen. Press **Adapt encoder** to fit it to this log.")
        return
    for text in report["protocol"].dropna().unique():
        st.caption(f"Protocol: {md_escape(text)}")
    st.dataframe(report.drop(columns=["protocol"]), hide_index=True, width="stretch")
    exports.table(report, "encoder_report", {"data": data.name}, key="dl_encoder_report")
