"""Interest Atlas core: pure, vectorised computation over behaviour event logs (no Streamlit here)."""

__version__ = "0.1.0"
