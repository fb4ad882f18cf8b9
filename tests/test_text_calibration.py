"""Temperature scaling of the bundled sentence CNNs (issue 13: "100.0 %" on ordinary sentences)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from cnnapps.models.text_cnn import TextCNN
from cnnapps.text.tokenize import tokenize
from cnnapps.text.vocab import pad_batch
from cnnapps.weights import BUNDLED_DIR

_spec = importlib.util.spec_from_file_location("calibrate_textcnn", "scripts/calibrate_textcnn.py")
calibrate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calibrate)


@pytest.mark.parametrize("name", ["textcnn_sst2", "textcnn_mr"])
def test_shipped_checkpoints_carry_a_temperature_that_the_model_applies(name: str) -> None:
    ckpt = torch.load(BUNDLED_DIR / f"{name}.pt", map_location="cpu", weights_only=True)
    assert ckpt["temperature"] > 1.0  # the trained models were over-confident
    assert ckpt["calibration"]["ece_after_cross_fitted"] < ckpt["calibration"]["ece_before"]
    raw, cal = TextCNN.from_checkpoint(ckpt, calibrated=False), TextCNN.from_checkpoint(ckpt)
    assert cal.temperature == ckpt["temperature"] and raw.temperature == 1.0
    x = pad_batch([raw.vocab.encode(tokenize(s)) for s in ["a gorgeous, witty, seductive movie.",
                                                             "an ambitious failure", "fine"]], min_length=5)
    with torch.inference_mode():
        z, zc = raw(x), cal(x)
    torch.testing.assert_close(zc, z / ckpt["temperature"], rtol=1e-5, atol=1e-5)
    assert torch.equal(z.argmax(1), zc.argmax(1))  # accuracy cannot change
    assert torch.softmax(zc, 1).max() < torch.softmax(z, 1).max()


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(4000, 2))
    p = calibrate.softmax(z)
    y = (rng.random(4000) < p[:, 1]).astype(int)  # labels drawn from the calibrated probabilities
    t = calibrate.fit_temperature(3.0 * z, y)  # over-confident logits, 3x too large
    assert t == pytest.approx(3.0, rel=0.1)
    ece_raw = calibrate.reliability(calibrate.softmax(3.0 * z), y)[0]
    ece_fit = calibrate.reliability(calibrate.softmax(3.0 * z / t), y)[0]
    assert ece_fit < ece_raw / 2
