"""Load a detector for the detection tests (bundled Yolo-Fastest, CPU), once per process."""

from __future__ import annotations

from functools import cache

import cnnapps


@cache
def loaded_model(name: str) -> cnnapps.LoadedModel:
    return cnnapps.load(name, device="cpu")
