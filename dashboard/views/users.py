"""Placeholder."""

import streamlit as st

st.title("users")
st.info("Coming soon.")
