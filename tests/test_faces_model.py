"""MobileFaceNet port: strict load, parity with the reference embeddings, alignment."""

from __future__ import annotations

import json

import numpy as np
import torch
from PIL import Image

from cnnapps.faces.align import ARCFACE_TEMPLATE_112, align_face, similarity_transform
from cnnapps.models.mobilefacenet import MEAN, STD, mobilefacenet
from cnnapps.weights import BUNDLED_DIR

BUNDLED = BUNDLED_DIR / "mobilefacenet.pt"


def _bundled_model() -> torch.nn.Module:
    model = mobilefacenet()
    model.load_state_dict(torch.load(BUNDLED, map_location="cpu", weights_only=True), strict=True)
    return model.eval()


def test_architecture_shapes_random_weights():
    model = mobilefacenet().eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, 112, 112))
    assert out.shape == (2, 128)
    assert sum(p.numel() for p in model.parameters()) == 999_936  # the README's trainable count


def test_bundled_state_dict_loads_strictly():
    state = torch.load(BUNDLED, map_location="cpu", weights_only=True)
    assert len(state) == 307
    result = mobilefacenet().load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_parity_with_reference_embeddings(shared_dir):
    folder = shared_dir / "weights" / "mobilefacenet"
    ref = json.loads((folder / "reference.json").read_text())
    crops = np.stack([np.asarray(Image.open(folder / f["aligned_crop"]).convert("RGB")) for f in ref["faces"]])
    x = (torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255 - torch.tensor(MEAN).view(1, 3, 1, 1)) \
        / torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        ours = _bundled_model()(x).numpy()
    expected = np.array([f["embedding"] for f in ref["faces"]])
    cos = (ours * expected).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(expected, axis=1)
    assert cos.min() >= 0.999
    assert np.abs(ours - expected).max() < 1e-4  # README: about 1e-5 in float32 on CPU


def test_similarity_transform_recovers_a_known_similarity():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 300, size=(5, 2))
    angle, scale, shift = 0.3, 0.4, np.array([12.0, -7.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = scale * src @ rot.T + shift
    matrix = similarity_transform(src, dst)
    np.testing.assert_allclose(matrix[:, :2], scale * rot, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-7)


def test_alignment_matches_reference_matrices_and_crops(shared_dir):
    folder = shared_dir / "weights" / "mobilefacenet"
    ref = json.loads((folder / "reference.json").read_text())
    for face in ref["faces"]:
        landmarks = np.array(face["mtcnn_landmarks_xy"])
        matrix = similarity_transform(landmarks, ARCFACE_TEMPLATE_112)
        # The JSON rounds landmarks to 0.01 px, so the fitted matrices agree to ~0.02 only.
        np.testing.assert_allclose(matrix, np.array(face["affine_2x3"]), atol=0.03)
        rgb = np.asarray(Image.open(shared_dir / "images" / face["image"]).convert("RGB"))
        crop = align_face(rgb, landmarks).astype(int)
        expected = np.asarray(Image.open(folder / face["aligned_crop"]).convert("RGB")).astype(int)
        assert np.abs(crop - expected).mean() < 0.5, face["id"]
