"""The sidebar every page shares: where inference runs and whether downloads can work.

It must never delay a page (issue 13: a cold Home took 18 s because the sidebar imported torch and
waited for the hub check). So it imports no torch itself: the device line appears once a page
has loaded a model (torch is then in ``sys.modules``), and the hub check runs in a background
thread whose answer shows on a later rerun ("checking…" until then), rechecked every 5 minutes.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

__all__ = ["hub_status", "render_sidebar"]

_RECHECK_S = 300.0
_lock = threading.Lock()
_hub: dict[str, object] = {"online": None, "checked": 0.0, "running": False}


def _check() -> None:
    try:
        from cnnapps.weights import hub_reachable  # imports torch: only ever in this thread

        online: bool | None = hub_reachable(timeout=2.0)
    except Exception:  # noqa: BLE001  (a failed check means "offline", never a broken sidebar)
        online = False
    with _lock:
        _hub.update(online=online, checked=time.monotonic(), running=False)


def hub_status() -> bool | None:
    """The last hub check (True/False), or None while the first one runs; never blocks."""
    if os.environ.get("CNNAPPS_OFFLINE", "") not in ("", "0"):  # cnnapps.weights.offline()'s rule
        return False
    with _lock:
        stale = time.monotonic() - float(_hub["checked"]) > _RECHECK_S or _hub["online"] is None
        if stale and not _hub["running"]:
            _hub["running"] = True
            threading.Thread(target=_check, name="cnnapps-hub-check", daemon=True).start()
        return _hub["online"]  # type: ignore[return-value]


def render_sidebar(where: DeltaGenerator | None = None) -> None:
    """The runtime section, into ``where`` (default: the sidebar itself)."""
    with where if where is not None else st.sidebar:
        st.caption("Runtime")
        if "torch" in sys.modules:  # a page has loaded torch already: describing the device is free
            from cnnapps.device import describe_device
            from cnnapps.ui.loaders import app_device

            st.markdown(f":material/memory: **Device:** {describe_device(app_device())}")
        else:
            st.markdown(":material/memory: **Device:** chosen when a model first loads "
                        "(CUDA GPU, else Apple MPS, else CPU)")
        online = hub_status()
        if online is None:
            st.markdown(":material/cloud_sync: **Model hub:** checking… (bundled models work either way)")
        elif online:
            st.markdown(":material/cloud_done: **Model hub:** reachable, downloads work")
        else:
            st.markdown(
                ":material/cloud_off: **Model hub:** offline. Bundled models work; others need "
                "their weights in the local cache."
            )
