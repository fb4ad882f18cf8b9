"""The bundled classifier on bundled photos, through the public API."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnapps.errors import InvalidImage
from cnnapps.images import load_image
from cnnapps.loaded import LoadedModel, load
from cnnapps.preprocess import model_view, to_input
from cnnapps.registry import get_spec
from cnnapps.samples import sample_bytes, sample_path
from cnnapps.tasks.classify import classify
from cnnapps.viz import overlay_heatmap, predictions_table

SPEC = get_spec("mobilenet_v2_tflite")


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return load(SPEC.name, device="cpu")


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("cat", {"Egyptian cat", "tabby", "tiger cat"}), ("chelsea", {"Egyptian cat", "tabby", "tiger cat"}),
     ("coffee", {"espresso"}), ("parrot", {"macaw"})],
)
def test_bundled_model_names_the_photo(model: LoadedModel, sample: str, expected: set[str]) -> None:
    result = classify(model, load_image(sample_bytes(sample)), top_k=5)
    assert result.best.label in expected
    assert result.best.probability > 0.5
    probs = [p.probability for p in result.top]
    assert probs == sorted(probs, reverse=True) and len(probs) == 5
    assert result.device == "cpu" and result.elapsed_ms > 0 and not result.multi_label


def test_cam_points_at_the_cat(model: LoadedModel) -> None:
    image = load_image(sample_bytes("cat"))
    result = classify(model, image, top_k=1, with_cam=True)
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


def test_top_k_is_clamped_and_table_matches(model: LoadedModel) -> None:
    result = classify(model, load_image(sample_bytes("coffee")), top_k=10_000)
    assert len(result.top) == len(SPEC.labels)
    table = predictions_table(result.top[:3])
    assert table["label"][0] == "espresso" and table["rank"] == [1, 2, 3]


def test_accepts_path_bytes_and_pil_alike(model: LoadedModel) -> None:
    by_path = classify(model, sample_path("parrot"), top_k=3)
    by_bytes = classify(model, sample_bytes("parrot"), top_k=3)
    by_pil = classify(model, load_image(sample_bytes("parrot")), top_k=3)
    assert by_path.top == by_bytes.top == by_pil.top
    assert by_path.rows()[0] == {"rank": 1, "label": "macaw", "index": by_path.best.index,
                                 "probability": round(by_path.best.probability, 6)}


def test_bad_input_raises_the_user_facing_error(model: LoadedModel) -> None:
    with pytest.raises(InvalidImage, match="not an image"):
        classify(model, b"not an image")
    with pytest.raises(InvalidImage, match="empty"):
        classify(model, b"")


def test_a_text_model_is_refused_by_classify() -> None:
    with pytest.raises(TypeError, match="not an image classifier"):
        classify(load("textcnn_mr", device="cpu"), sample_bytes("cat"))


def test_heatmap_canvas_undoes_squash_and_keeps_crop() -> None:
    from cnnapps.preprocess import heatmap_canvas

    photo = load_image(sample_bytes("parrot"))  # portrait, 282x512
    squash = heatmap_canvas(photo, SPEC.preprocessing)
    assert squash.size == photo.size  # the whole photo, undistorted, for a squash model
    cropped = heatmap_canvas(photo, get_spec("resnet18").preprocessing)
    assert cropped.size == (224, 224)  # exactly the centre crop the model saw
