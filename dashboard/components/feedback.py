"""Turn failures into messages that say what to do, never tracebacks."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from core.errors import AtlasError, ModelUnavailableError, TooLittleDataError

LOG = logging.getLogger("interest_atlas.dashboard")


def md_escape(text: object) -> str:
    """Escape HTML and markdown in a string (which may come from an upload) before st.markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>$<])", r"\\\1", html.escape(str(text), quote=False))


@contextmanager
def guard(what: str, hint: str = "") -> Iterator[None]:
    """Run a block; show a plain message (what failed, why, what to do) if it raises."""
    try:
        yield
    except (StopException, RerunException):
        raise  # Streamlit stops or reruns a script by raising: pass through untouched
    except TooLittleDataError as exc:
        st.info(
            f"{what}: not enough data. {md_escape(exc)}. {hint or 'Widen the time window or filters.'}"
        )
    except ModelUnavailableError as exc:
        st.warning(
            f"{what}: {md_escape(exc)}. {hint or 'Train or load a model on the Model page.'}"
        )
    except AtlasError as exc:
        st.error(
            f"{what} failed: {md_escape(exc)}. {hint or 'Check the filters or the data mapping.'}"
        )
    except Exception as exc:
        LOG.exception("%s failed", what)
        st.error(
            f"{what} failed unexpectedly ({type(exc).__name__}: {md_escape(exc)}). "
            f"{hint or 'Try other filters, or reload the page; the details are in the server log.'}"
        )


def windows_caption(ranked: pd.DataFrame, empty: str) -> bool:
    """For an emerging-interests ranking: ``st.info(empty)`` when it is empty, else the windows it
    compares as a caption. True when there is a ranking to show."""
    if ranked.empty:
        st.info(empty)
        return False
    window_text = ranked.attrs.get("window", "")
    if window_text:
        st.caption(md_escape(window_text))
    return True
