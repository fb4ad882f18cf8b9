"""Deep links must go through ``streamlit_app.py`` (its page config, navigation and sidebar).

Streamlit decides per *process* whether the app uses its legacy ``pages/`` directory mode: the
flag ``PagesManager.uses_pages_directory`` starts True because ``pages/`` exists, and only a call
to ``st.navigation`` clears it. So on a fresh server, a first visitor who opens
``/classify`` directly gets ``pages/classify.py`` run on its own: no wide layout, no runtime
sidebar, the folder's file names as navigation. (Seen in our browser suite; Streamlit 1.67.0,
``runtime/scriptrunner/script_runner.py`` ``_mpa_v1``.) Clearing the flag and rerunning makes
that same request run the entry script, which then routes to the page the URL names.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

__all__ = ["ensure_app_navigation"]


def ensure_app_navigation() -> None:
    """Call first in every page: reruns through the entry script when run on its own."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
