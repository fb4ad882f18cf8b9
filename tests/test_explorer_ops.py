"""The layer playground's arithmetic, checked against torch's own layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnapps.explorer.ops import (
    KERNEL_PRESETS,
    InvalidLayerSettings,
    activate,
    convolve,
    explain_pixel,
    kernel_preset,
    output_size,
    parse_kernel,
    pool,
    softmax,
)

RNG = np.random.default_rng(0)
IMAGE = RNG.random((23, 31), dtype=np.float32)


@pytest.mark.parametrize("size", [7, 8, 28, 31])
@pytest.mark.parametrize("kernel", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("dilation", [1, 2])
def test_output_size_matches_torch_conv2d(size, kernel, stride, padding, dilation) -> None:
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        with pytest.raises(InvalidLayerSettings):
            output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
        return
    expected = conv(torch.zeros(1, 1, size, size)).shape[-1]
    assert output_size(size, kernel, stride=stride, padding=padding, dilation=dilation) == expected


def test_output_size_matches_pooling() -> None:
    for size, k, s in [(28, 2, 2), (27, 3, 2), (13, 3, 1), (224, 3, 2)]:
        assert output_size(size, k, stride=s) == nn.MaxPool2d(k, s)(torch.zeros(1, 1, size, size)).shape[-1]


def test_convolve_is_cross_correlation_like_conv2d() -> None:
    kernel = RNG.standard_normal((3, 3)).astype(np.float32)
    out = convolve(IMAGE, kernel, stride=2, padding=1, dilation=2)
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1, dilation=2, bias=False)
    conv.weight.data = torch.from_numpy(kernel)[None, None]
    ref = conv(torch.from_numpy(IMAGE)[None, None])[0, 0].detach().numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    # Not flipped: an asymmetric kernel gives a different answer from true convolution.
    flipped = convolve(IMAGE, kernel[::-1, ::-1].copy(), stride=2, padding=1, dilation=2)
    assert not np.allclose(out, flipped)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 3, 1)])
def test_step_through_pixel_equals_convolution(stride, padding, dilation) -> None:
    kernel = kernel_preset("Sobel x (vertical edges)", 3)
    out = convolve(IMAGE, kernel, stride=stride, padding=padding, dilation=dilation)
    for row, col in [(0, 0), (out.shape[0] - 1, out.shape[1] - 1), (out.shape[0] // 2, 1)]:
        step = explain_pixel(IMAGE, kernel, row=row, col=col, stride=stride, padding=padding,
                             dilation=dilation)
        assert step.value == pytest.approx(float(out[row, col]), abs=1e-5)
        assert step.rows[1] - step.rows[0] == dilation


def test_step_through_rejects_pixels_outside() -> None:
    with pytest.raises(InvalidLayerSettings, match="outside"):
        explain_pixel(IMAGE, np.ones((3, 3)), row=99, col=0)


@pytest.mark.parametrize("name", KERNEL_PRESETS)
@pytest.mark.parametrize("size", [3, 5, 7])
def test_presets(name, size) -> None:
    k = kernel_preset(name, size)
    assert k.shape == (size, size) and k.dtype == np.float32
    flat = np.full((12, 12), 0.5, np.float32)
    out = convolve(flat, k)
    # On a flat image, derivative filters answer 0 and averaging/identity/sharpen keep the value.
    expected = 0.5 * float(k.sum())
    np.testing.assert_allclose(out, expected, atol=1e-5)
    if name in ("identity", "box blur", "Gaussian blur", "sharpen"):
        assert k.sum() == pytest.approx(1.0, abs=1e-5)
    if name in ("edge (all directions)", "Sobel x (vertical edges)", "Sobel y (horizontal edges)", "Laplacian"):
        assert k.sum() == pytest.approx(0.0, abs=1e-6)


def test_identity_preserves_and_sobel_finds_a_vertical_edge() -> None:
    np.testing.assert_allclose(convolve(IMAGE, kernel_preset("identity"), padding=1), IMAGE, atol=1e-6)
    step = np.zeros((10, 10), np.float32)
    step[:, 5:] = 1.0
    sx = convolve(step, kernel_preset("Sobel x (vertical edges)"))
    sy = convolve(step, kernel_preset("Sobel y (horizontal edges)"))
    assert sx.max() == pytest.approx(4.0) and np.abs(sy).max() == pytest.approx(0.0)


def test_parse_kernel() -> None:
    np.testing.assert_allclose(parse_kernel("-1 0 1; -2 0 2; -1 0 1"), kernel_preset("Sobel x (vertical edges)"))
    np.testing.assert_allclose(parse_kernel("1/9 1/9 1/9\n1/9,1/9,1/9\n1/9 1/9 1/9"), kernel_preset("box blur"))
    for bad, msg in [("", "Type a kernel"), ("1 2; 3", "square"), ("1 x; 2 3", "not a number"),
                     ("1/0", "not a number"), ("nan", "not finite")]:
        with pytest.raises(InvalidLayerSettings, match=msg):
            parse_kernel(bad)


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(InvalidLayerSettings, match="spans"):
        convolve(np.zeros((4, 4)), np.ones((7, 7)))
    with pytest.raises(InvalidLayerSettings):
        convolve(np.zeros((8, 8)), np.ones((3, 3)), stride=0)
    with pytest.raises(InvalidLayerSettings):
        kernel_preset("nope")
    with pytest.raises(InvalidLayerSettings):
        kernel_preset("identity", 4)


def test_pool_matches_torch() -> None:
    x = torch.from_numpy(IMAGE)[None, None]
    np.testing.assert_allclose(pool(IMAGE, kind="max", size=2), nn.MaxPool2d(2)(x)[0, 0].numpy())
    np.testing.assert_allclose(pool(IMAGE, kind="average", size=3, stride=2),
                               nn.AvgPool2d(3, 2)(x)[0, 0].numpy(), rtol=1e-6)
    with pytest.raises(InvalidLayerSettings):
        pool(IMAGE, kind="median")


def test_activations_and_softmax() -> None:
    v = np.linspace(-3, 3, 13, dtype=np.float32)
    np.testing.assert_allclose(activate(v, "ReLU"), np.maximum(v, 0))
    np.testing.assert_allclose(activate(v, "leaky ReLU (0.1)"), np.where(v > 0, v, 0.1 * v), rtol=1e-6)
    np.testing.assert_allclose(activate(v, "tanh"), np.tanh(v), rtol=1e-5)
    with pytest.raises(InvalidLayerSettings):
        activate(v, "swish-ish")
    z = np.array([2.0, 1.0, 0.1])
    p1 = softmax(z)
    np.testing.assert_allclose(p1, np.exp(z) / np.exp(z).sum())
    cold, hot = softmax(z, temperature=0.1), softmax(z, temperature=100.0)
    assert cold[0] > p1[0] > hot[0] and cold[0] > 0.99 and np.ptp(hot) < 0.01
    with pytest.raises(InvalidLayerSettings):
        softmax(z, temperature=0)
    with pytest.raises(InvalidLayerSettings):
        softmax(np.array([]))


def test_public_api_convolve_takes_a_pil_image() -> None:
    from PIL import Image

    import cnnapps

    im = Image.fromarray(np.uint8(IMAGE * 255))
    out = cnnapps.convolve(im, kernel_preset("identity"), padding=1)
    np.testing.assert_allclose(out, np.uint8(IMAGE * 255) / 255.0, atol=1e-6)
