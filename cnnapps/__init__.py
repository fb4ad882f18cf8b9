"""cnnapps: convolutional networks you can watch.

The core package: importable and testable without Streamlit (only ``cnnapps.ui`` imports it).
Importing it has no side effects; models register when the registry is first queried.
"""

from cnnapps.errors import CnnappsError, InvalidImage, InvalidText, WeightsUnavailable
from cnnapps.registry import ModelSpec, get_spec, list_models

__all__ = [
    "CnnappsError",
    "InvalidImage",
    "InvalidText",
    "ModelSpec",
    "WeightsUnavailable",
    "get_spec",
    "list_models",
]
__version__ = "0.1.0"
