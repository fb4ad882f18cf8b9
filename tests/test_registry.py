"""Registry invariants over every registered model (torchvision's test_naming_conventions idea)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from cnnapps.registry import ModelSpec, get_spec, list_models, register
from cnnapps.weights import BUNDLED_DIR, sha256_file

ALL = list_models()
IMAGE = list_models("classification")


def test_names_unique_and_lookup_roundtrips() -> None:
    names = [s.name for s in ALL]
    assert len(names) == len(set(names))
    for spec in ALL:
        assert get_spec(spec.name) is spec


def test_duplicate_registration_refused() -> None:
    spec = IMAGE[0]
    with pytest.raises(ValueError, match="already registered"):
        register(dataclasses.replace(spec))


def test_unknown_name_lists_known() -> None:
    with pytest.raises(KeyError, match="mobilenet_v2_tflite"):
        get_spec("no-such-model")


def test_bundled_first_and_every_task_has_an_offline_model() -> None:
    for task in {s.task for s in ALL}:
        specs = list_models(task)
        assert specs[0].weights.bundled, f"{task}: the default (first) model must work offline"


def test_issue_models_are_registered() -> None:
    wanted = {"mobilenet_v2_tflite", "alexnet", "vgg16", "resnet18", "resnet50",
              "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny"}
    assert wanted <= {s.name for s in IMAGE}


@pytest.mark.parametrize("spec", [s for s in ALL if s.weights.bundled], ids=lambda s: s.name)
def test_bundled_file_present_with_matching_sha256(spec: ModelSpec) -> None:
    path = BUNDLED_DIR / spec.weights.filename
    assert path.is_file(), f"{path} missing"
    assert spec.weights.sha256, "bundled weights must pin their full sha256"
    assert sha256_file(path) == spec.weights.sha256


@pytest.mark.parametrize("spec", [s for s in ALL if not s.weights.bundled], ids=lambda s: s.name)
def test_downloadable_has_url_and_hash_in_filename(spec: ModelSpec) -> None:
    assert spec.weights.url and spec.weights.url.endswith(spec.weights.filename)
    assert spec.weights.size_bytes and spec.weights.size_bytes > 1_000_000


@pytest.mark.parametrize("spec", IMAGE, ids=lambda s: s.name)
def test_image_model_labels_match_output_and_target_layer_resolves(spec: ModelSpec) -> None:
    assert spec.preprocessing is not None and spec.target_layer
    torch.manual_seed(0)
    model = spec.build().eval()  # weights=None: no file, no network
    height, width = spec.preprocessing.input_size
    seen: list[torch.Size] = []
    handle = model.get_submodule(spec.target_layer).register_forward_hook(
        lambda _m, _i, out: seen.append(out.shape)
    )
    try:
        with torch.inference_mode():
            out = model(torch.randn(1, 3, height, width))
    finally:
        handle.remove()
    assert out.shape == (1, len(spec.labels))
    # Grad-CAM needs a spatial map: [N, C, h, w] with h, w > 1.
    assert len(seen[0]) == 4 and seen[0][2] > 1 and seen[0][3] > 1


@pytest.mark.parametrize("spec", list_models("sentiment"), ids=lambda s: s.name)
def test_text_model_labels_match_output(spec: ModelSpec) -> None:
    from cnnapps.weights import load_model

    untrained = spec.build().eval()
    model = load_model(spec)  # bundled: small, offline
    assert type(untrained) is type(model)
    ids = torch.ones(2, max(model.min_length, 7), dtype=torch.long)
    with torch.inference_mode():
        assert untrained(ids).shape == (2, len(spec.labels))
        assert model(ids).shape == (2, len(spec.labels))
