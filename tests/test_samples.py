"""The bundled sample photos: present, small, documented, and decodable by load_image."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cnnapps.images import load_image
from cnnapps.samples import ASSETS_DIR, SAMPLES, Sample, sample_bytes, sample_path


def test_samples_are_unique_and_frozen() -> None:
    names = [s.name for s in SAMPLES]
    assert len(names) == len(set(names)) >= 8
    assert {"cat", "dog", "coffee", "chelsea", "grace_hopper"} <= set(names)
    with pytest.raises(dataclasses.FrozenInstanceError):
        SAMPLES[0].name = "x"  # type: ignore[misc]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_sample_loads_as_a_small_rgb_photo(sample: Sample) -> None:
    path = sample_path(sample.name)
    assert path == ASSETS_DIR / sample.filename
    assert path.is_file()
    data = sample_bytes(sample.name)
    assert 10_000 < len(data) <= 80_000
    im = load_image(data)
    assert im.mode == "RGB"
    assert 256 <= max(im.size) <= 512
    pixels = np.asarray(im)
    assert pixels.shape == (im.height, im.width, 3)
    assert pixels.std() > 20  # a real photo, not a blank or a placeholder
    assert sample.caption
    assert sample.credit


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_sample_is_documented_in_the_assets_readme(sample: Sample) -> None:
    readme = (ASSETS_DIR / "README.md").read_text(encoding="utf-8")
    assert f"`{sample.filename}`" in readme


def test_licence_texts_are_bundled() -> None:
    names = {p.name for p in (ASSETS_DIR / "LICENSES").iterdir()}
    assert {"google-coral_test_data.LICENSE", "dog-qiuqiu_Yolo-Fastest.LICENSE"} <= names
    assert "scikit-image_data.NOTICE" in names


def test_unknown_sample_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="cat"):
        sample_path("unicorn")
