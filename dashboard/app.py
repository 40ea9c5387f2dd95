"""Interest Atlas dashboard: navigation only. Run with ``streamlit run dashboard/app.py``."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path; the packages live one level up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="Interest Atlas", page_icon=":material/explore:", layout="wide")

# Not "pages/": Streamlit would then also auto-discover the files as legacy pages.
PAGES = Path(__file__).resolve().parent / "views"
navigation = st.navigation(
    [
        st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(PAGES / "data.py", title="Data", icon=":material/upload_file:"),
        st.Page(PAGES / "interests.py", title="Interests & trends", icon=":material/insights:"),
        st.Page(PAGES / "atlas_map.py", title="Map", icon=":material/map:"),
        st.Page(PAGES / "users.py", title="Users", icon=":material/person_search:"),
        st.Page(PAGES / "compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page(PAGES / "model.py", title="Model", icon=":material/model_training:"),
    ]
)
from dashboard.components.arrivals import watch_folder, watcher  # noqa: E402

if watch_folder() is not None:  # $ATLAS_WATCH: new files are folded in while the app runs
    with st.sidebar:
        watcher()
navigation.run()
