"""Shared fixtures. Tests never touch the network: downloads are disabled for the whole run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Set before anything imports cnnapps.weights: a test that wants the download path patches
# urlopen and clears this itself.
os.environ.setdefault("CNNAPPS_OFFLINE", "1")
os.environ.setdefault("CNNAPPS_DEVICE", os.environ.get("TORCH_DEVICE", "cpu"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the checkout (CI and developers have it; a fresh clone does not)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside the checkout (only CI/dev machines have it)")
    return SHARED


@pytest.fixture
def fresh_streamlit_caches() -> None:
    """AppTest runs share Streamlit's process-wide caches: clear them so each test loads afresh."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One torch intra-op thread for a module's tests, restored afterwards for the others."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of one `streamlit run` of the whole app (offline, CPU), shared by browser tests."""
    from browser_support import require_browser, streamlit_server

    require_browser()
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def _browser_context() -> Iterator[object]:
    from browser_support import chromium_context, require_browser

    require_browser()
    with chromium_context() as context:
        yield context


@pytest.fixture
def new_page(_browser_context: object) -> Iterator[object]:
    """A fresh Playwright page (tab) on Debian's Chromium; closed after the test."""
    page = _browser_context.new_page()
    try:
        yield page
    finally:
        page.close()
