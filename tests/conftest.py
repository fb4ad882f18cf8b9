"""Shared fixtures. Tests never touch the network: downloads are disabled for the whole run."""

from __future__ import annotations

import os
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
