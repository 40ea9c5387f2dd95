"""Placeholder."""

import streamlit as st

st.title("model")
st.info("Coming soon.")
