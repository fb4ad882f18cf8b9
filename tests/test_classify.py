"""The bundled classifier on bundled photos, and the batch path with a bad file."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cnnapps.images import load_image
from cnnapps.preprocess import model_view, to_input
from cnnapps.registry import get_spec
from cnnapps.samples import sample_bytes
from cnnapps.tasks.classify import classify, classify_files
from cnnapps.viz import overlay_heatmap, predictions_table
from cnnapps.weights import load_model

SPEC = get_spec("mobilenet_v2_tflite")


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return load_model(SPEC, device=torch.device("cpu"))


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("cat", {"Egyptian cat", "tabby", "tiger cat"}), ("chelsea", {"Egyptian cat", "tabby", "tiger cat"}),
     ("coffee", {"espresso"}), ("parrot", {"macaw"})],
)
def test_bundled_model_names_the_photo(model: torch.nn.Module, sample: str, expected: set[str]) -> None:
    result = classify(model, load_image(sample_bytes(sample)), spec=SPEC, top_k=5)
    assert result.best.label in expected
    assert result.best.probability > 0.5
    probs = [p.probability for p in result.top]
    assert probs == sorted(probs, reverse=True) and len(probs) == 5
    assert result.device == "cpu" and result.forward_ms > 0


def test_cam_points_at_the_cat(model: torch.nn.Module) -> None:
    image = load_image(sample_bytes("cat"))
    result = classify(model, image, spec=SPEC, top_k=1, with_cam=True)
    assert result.heatmap is not None and result.heatmap.shape == (224, 224)
    overlay = overlay_heatmap(model_view(image, SPEC.preprocessing), result.heatmap, alpha=0.5)
    assert overlay.size == (224, 224) and overlay.mode == "RGB"
    # The cat fills the centre of cat.jpg: most heat must fall inside the central half.
    heat = result.heatmap
    centre = heat[56:168, 56:168].sum() / heat.sum()
    assert centre > 0.4


def test_preprocessing_matches_reference_rule() -> None:
    # (q - 128) / 128 on the whole image squashed to 224x224 (the TFLite reference).
    image = load_image(sample_bytes("cat"))
    x = to_input(image, SPEC.preprocessing)
    q = np.asarray(image.resize((224, 224), 2), dtype=np.float32)  # 2 = PIL bilinear
    expected = torch.from_numpy((q - 128.0) / 128.0).permute(2, 0, 1).unsqueeze(0)
    assert x.shape == (1, 3, 224, 224)
    assert torch.allclose(x, expected, atol=1e-5)


def test_top_k_is_clamped_and_table_matches(model: torch.nn.Module) -> None:
    result = classify(model, load_image(sample_bytes("coffee")), spec=SPEC, top_k=10_000)
    assert len(result.top) == len(SPEC.labels)
    table = predictions_table(result.top[:3])
    assert table["label"][0] == "espresso" and table["rank"] == [1, 2, 3]


def test_batch_keeps_going_past_a_bad_file(model: torch.nn.Module) -> None:
    seen: list[int] = []
    rows = classify_files(
        model,
        [("coffee.jpg", sample_bytes("coffee")), ("broken.jpg", b"not an image"), ("empty.png", b"")],
        spec=SPEC,
        progress=lambda i, _name: seen.append(i),
    )
    assert seen == [1, 2, 3]
    assert rows[0].top1 == "espresso" and not rows[0].error
    assert rows[1].top1 == "" and "not an image" in rows[1].error and math.isnan(rows[1].probability)
    assert "empty" in rows[2].error


def test_heatmap_canvas_undoes_squash_and_keeps_crop() -> None:
    from cnnapps.preprocess import heatmap_canvas

    photo = load_image(sample_bytes("parrot"))  # portrait, 282x512
    squash = heatmap_canvas(photo, SPEC.preprocessing)
    assert squash.size == photo.size  # the whole photo, undistorted, for a squash model
    cropped = heatmap_canvas(photo, get_spec("resnet18").preprocessing)
    assert cropped.size == (224, 224)  # exactly the centre crop the model saw
