"""Pins how a full-size radiograph becomes the 28 x 28 input (MedMNIST: centre crop, then resize)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnapps.medical.xray_input import INPUT_SIZE, centre_crop_square, prepare_radiograph


def test_centre_crop_square():
    assert centre_crop_square(300, 200) == (50, 0, 250, 200)
    assert centre_crop_square(200, 301) == (0, 50, 200, 250)
    assert centre_crop_square(128, 128) == (0, 0, 128, 128)


def test_centre_crop_then_bicubic_resize():
    # a wide radiograph: white side bands outside the centre square, a gradient inside it
    h = 280
    img = np.full((h, 2 * h), 255, np.uint8)
    grad = np.tile(np.linspace(0, 200, h).astype(np.uint8)[:, None], (1, h))
    img[:, h // 2: h // 2 + h] = grad
    prepared = prepare_radiograph(Image.fromarray(img))
    assert prepared.crop_box == (h // 2, 0, h // 2 + h, h)
    assert prepared.model_input.shape == (INPUT_SIZE, INPUT_SIZE) and prepared.model_input.dtype == np.float32
    ref = np.asarray(Image.fromarray(grad).resize((28, 28), Image.BICUBIC), np.float32) / 255
    np.testing.assert_array_equal(prepared.model_input, ref)
    # nothing of the white bands leaks in (a squash of the whole picture would bring them in)
    assert prepared.model_input.max() <= 201 / 255
    # rows follow the gradient: the top is dark, the bottom bright
    assert prepared.model_input[0].mean() < 0.1 < 0.7 < prepared.model_input[-1].mean()
    assert prepared.warnings == ()


def test_resize_averages_instead_of_sampling():
    # a fine checkerboard must come out as mid gray (area-aware), not aliased black/white
    board = ((np.indices((560, 560)).sum(0) % 2) * 255).astype(np.uint8)
    x = prepare_radiograph(Image.fromarray(board)).model_input
    assert abs(float(x.mean()) - 0.5) < 0.02 and float(x.std()) < 0.05


def test_colour_photo_warns_grayscale_rgb_does_not():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 255, (64, 80), dtype=np.uint8)
    rgb_gray = Image.fromarray(np.stack([gray] * 3, -1))
    assert prepare_radiograph(rgb_gray).warnings == ()
    colour = Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8))
    assert any("colour" in w for w in prepare_radiograph(colour).warnings)


def test_dicom_radiograph_is_rendered_and_cropped():
    from pydicom.data import get_testdata_file

    from cnnapps.medical.dicom import read_dicom, render

    path = get_testdata_file("RG1_UNCI.dcm")
    if path is None:
        pytest.skip("pydicom-data's RG1_UNCI.dcm is not installed")
    im = read_dicom(path)
    prepared = prepare_radiograph(im)
    np.testing.assert_array_equal(prepared.display, render(im))  # file window, MONOCHROME1 inverted
    assert prepared.crop_box == (0, (1955 - 1841) // 2, 1841, (1955 - 1841) // 2 + 1841)
    assert prepared.warnings == ()  # CR, CHEST


def test_dicom_ct_warns():
    from pydicom.data import get_testdata_file

    from cnnapps.medical.dicom import read_dicom

    prepared = prepare_radiograph(read_dicom(get_testdata_file("CT_small.dcm")))
    assert any("CT" in w for w in prepared.warnings)
