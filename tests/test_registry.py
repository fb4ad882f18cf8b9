"""Registry invariants over every registered model (torchvision's test_naming_conventions idea)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from cnnapps.registry import TASKS, ModelSpec, WeightsSource, get_spec, list_models, register
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
        assert specs[0].works_offline, f"{task}: the default (first) model must work offline"


def test_tasks_are_checked_against_the_task_table() -> None:
    assert {s.task for s in ALL} <= set(TASKS)
    with pytest.raises(ValueError, match="unknown task"):
        dataclasses.replace(IMAGE[0], name="x", task="telepathy")
    with pytest.raises(ValueError, match="unknown task"):
        list_models("telepathy")


def test_weights_sources_state_their_hash_explicitly() -> None:
    with pytest.raises(ValueError, match="sha256"):
        WeightsSource(filename="x.pt", bundled=True)
    with pytest.raises(ValueError, match="neither bundled nor downloadable"):
        WeightsSource(filename="x.pt")
    with pytest.raises(TypeError):
        IMAGE[0].weights["other"] = IMAGE[0].weights["model"]  # frozen: specs are shared


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_every_spec_is_complete(spec: ModelSpec) -> None:
    assert spec.display_name and spec.meta.licence and spec.meta.citation
    assert spec.load is not None or "model" in spec.weights
    if spec.head in ("softmax", "sigmoid"):
        assert spec.labels, "a classifier needs its labels"
    if spec.cam is not None:
        assert spec.cam.target_layers


def test_issue_models_are_registered() -> None:
    wanted = {"mobilenet_v2_tflite", "alexnet", "vgg16", "resnet18", "resnet50",
              "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny"}
    assert wanted <= {s.name for s in IMAGE}


BUNDLED = [(s, k, w) for s in ALL for k, w in s.weights.items() if w.bundled]
DOWNLOADED = [(s, k, w) for s in ALL for k, w in s.weights.items() if not w.bundled]


@pytest.mark.parametrize(("spec", "key", "source"), BUNDLED, ids=lambda v: getattr(v, "name", ""))
def test_bundled_file_present_with_matching_sha256(spec: ModelSpec, key: str, source: WeightsSource) -> None:
    path = BUNDLED_DIR / source.filename
    assert path.is_file(), f"{spec.name}[{key}]: {path} missing"
    assert source.sha256 and sha256_file(path) == source.sha256
    assert source.size_bytes in (None, path.stat().st_size)


@pytest.mark.parametrize(("spec", "key", "source"), DOWNLOADED, ids=lambda v: getattr(v, "name", ""))
def test_downloadable_has_url_and_a_hash(spec: ModelSpec, key: str, source: WeightsSource) -> None:
    assert source.url and source.url.endswith(source.filename)
    assert source.sha256 or source.sha256_prefix, f"{spec.name}[{key}] states no hash"
    assert source.size_bytes and source.size_bytes > 1_000_000


@pytest.mark.parametrize("spec", IMAGE, ids=lambda s: s.name)
def test_image_model_labels_match_output_and_target_layer_resolves(spec: ModelSpec) -> None:
    assert spec.preprocessing is not None and spec.cam is not None and spec.labels
    torch.manual_seed(0)
    model = spec.build().eval()  # weights=None: no file, no network
    height, width = spec.preprocessing.input_size
    seen: list[torch.Size] = []
    handle = model.get_submodule(spec.cam.target_layers[0]).register_forward_hook(
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
    from cnnapps.loaded import load

    untrained = spec.build().eval()
    model = load(spec.name, device="cpu").module  # bundled: small, offline
    assert isinstance(model, type(untrained))  # on the CPU, a subclass whose forward runs ONNX Runtime
    ids = torch.ones(2, max(model.min_length, 7), dtype=torch.long)
    with torch.inference_mode():
        assert untrained(ids).shape == (2, len(spec.labels))
        assert model(ids).shape == (2, len(spec.labels))
