"""The sidebar every page shares: where inference runs and whether downloads can work."""

from __future__ import annotations

import streamlit as st

from cnnapps.device import describe_device
from cnnapps.ui.loaders import app_device, hub_online

__all__ = ["render_sidebar"]


def render_sidebar() -> None:
    with st.sidebar:
        st.caption("Runtime")
        st.markdown(f":material/memory: **Device:** {describe_device(app_device())}")
        if hub_online():
            st.markdown(":material/cloud_done: **Model hub:** reachable, downloads work")
        else:
            st.markdown(
                ":material/cloud_off: **Model hub:** offline. Bundled models work; others need "
                "their weights in the local cache."
            )
