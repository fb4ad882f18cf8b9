"""The sample photos bundled with the package, for the demo galleries and the tests.

They live in ``cnnapps/assets/`` (provenance, licences and how they were re-encoded: its README.md),
so a fresh clone has them without the shared data folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ASSETS_DIR", "SAMPLES", "Sample", "sample_bytes", "sample_path"]

ASSETS_DIR = Path(__file__).parent / "assets"


@dataclass(frozen=True)
class Sample:
    """One bundled photo: ``name`` is the key, ``filename`` is relative to :data:`ASSETS_DIR`."""

    name: str
    filename: str
    caption: str
    credit: str


_CORAL = "google-coral/test_data (Apache-2.0)"
_DARKNET = "darknet test image, via dog-qiuqiu/Yolo-Fastest (YOLO licence v2: public domain)"

SAMPLES: tuple[Sample, ...] = (
    Sample("cat", "cat.jpg", "A tabby cat sitting on a red rug", _CORAL),
    Sample("dog", "dog.jpg", "A dog, a bicycle and a car", _DARKNET),
    Sample("parrot", "parrot.jpg", "A red macaw on a perch", _CORAL),
    Sample("pets", "pets.jpg", "Two dogs playing on artificial grass", _CORAL),
    Sample("eagle", "eagle.jpg", "An eagle by the water", _DARKNET),
    Sample("grace_hopper", "grace_hopper.jpg", "Grace Hopper in navy uniform", _CORAL),
    Sample(
        "coffee",
        "coffee.jpg",
        "A cup of espresso on a wooden table",
        "Rachel Michetti (Pikolo Espresso Bar), via scikit-image (CC0)",
    ),
    Sample(
        "chelsea",
        "chelsea.jpg",
        "Chelsea the cat, close up",
        "Stefan van der Walt, via scikit-image (CC0)",
    ),
)

_BY_NAME = {sample.name: sample for sample in SAMPLES}


def sample_path(name: str) -> Path:
    """Path of the bundled photo called ``name`` (one of the :data:`SAMPLES` names).

    Raises:
        KeyError: ``name`` is not a bundled sample (a programming error, not a user one).
    """
    try:
        sample = _BY_NAME[name]
    except KeyError:
        raise KeyError(f"No sample called {name!r}; the samples are: {', '.join(_BY_NAME)}") from None
    return ASSETS_DIR / sample.filename


def sample_bytes(name: str) -> bytes:
    """The encoded bytes of the bundled photo ``name`` (what an upload of that file would give)."""
    return sample_path(name).read_bytes()
