"""Our darknet reader: cfg parsing, the .weights layout, and the Yolo-Fastest port's parity."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cnnapps.models.darknet import Darknet, fuse_batch_norms, load_darknet_weights, parse_cfg
from cnnapps.models.yolo_fastest import build_yolo_fastest, candidates, preprocess

TINY = """
[net]
width=64
height=64
channels=3
# a comment
[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
groups=8
filters=8
size=3
stride=1
pad=1
batch_normalize=1
activation=leaky

[shortcut]
from=-2
activation=linear

[maxpool]
size=3
stride=1

[route]
layers=-1,-3

[route]
layers=-1
groups=2
group_id=1

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = 0,1,2
anchors = 10,14,  23,27,  37,58
classes=2
num=3
scale_x_y = 1.05
"""


def test_parse_cfg_sections_and_values():
    blocks = parse_cfg(TINY)
    assert [b[0] for b in blocks] == ["net", "convolutional", "convolutional", "shortcut", "maxpool",
                                      "route", "route", "convolutional", "yolo"]
    assert blocks[8][1]["anchors"] == "10,14,23,27,37,58"  # spaces removed
    with pytest.raises(ValueError, match="unsupported"):
        parse_cfg("[net]\n[crnn]\n")
    with pytest.raises(ValueError, match="starts with a \\[net\\]"):
        parse_cfg("[convolutional]\nfilters=1\n")
    with pytest.raises(ValueError, match="key=value"):
        parse_cfg("[net]\nnonsense\n")


def _write_weights(model: Darknet, path, *, extra: int = 0) -> np.ndarray:
    """Darknet layout by hand: header 0.2.5 + int64 seen, then per conv [bn b, g, mean, var | bias], w."""
    chunks = []
    rng = np.random.default_rng(0)
    for kind, layer in zip(model.kinds, model.layers, strict=True):
        if kind != "convolutional":
            continue
        n = layer.conv.out_channels
        if layer.bn is not None:
            chunks += [rng.normal(size=n), rng.normal(size=n), rng.normal(size=n), rng.uniform(0.5, 2, n)]
        else:
            chunks.append(rng.normal(size=n))
        chunks.append(rng.normal(size=layer.conv.weight.numel()))
    values = np.concatenate(chunks + [np.zeros(extra)]).astype(np.float32)
    header = np.array([0, 2, 5], np.int32).tobytes() + np.array([12345], np.int64).tobytes()
    path.write_bytes(header + values.tobytes())
    return values


def test_weights_layout_and_shapes(tmp_path):
    model = Darknet(parse_cfg(TINY)).eval().requires_grad_(False)
    values = _write_weights(model, tmp_path / "t.weights")
    header = load_darknet_weights(model, tmp_path / "t.weights")
    assert header == {"major": 0, "minor": 2, "revision": 5, "seen": 12345}
    bn0 = model.layers[0].bn
    np.testing.assert_array_equal(bn0.bias.numpy(), values[0:8])  # beta first
    np.testing.assert_array_equal(bn0.weight.numpy(), values[8:16])  # then gamma
    np.testing.assert_array_equal(bn0.running_var.numpy(), values[24:32])
    np.testing.assert_array_equal(model.layers[0].conv.weight.numpy().ravel(), values[32 : 32 + 8 * 3 * 9])
    assert model.layers[1].conv.groups == 8 and model.layers[1].conv.weight.shape == (8, 1, 3, 3)
    assert model.head_strides == [2]
    out = model(torch.rand(1, 3, 64, 64))
    assert out.shape == (1, 3 * 32 * 32, 7)
    assert out[..., 4:].min() >= 0 and out[..., 4:].max() <= 1  # sigmoid objectness/classes
    # too many floats and too few both mean the cfg does not match the file
    _write_weights(model, tmp_path / "long.weights", extra=3)
    with pytest.raises(ValueError, match="3 floats more"):
        load_darknet_weights(model, tmp_path / "long.weights")
    (tmp_path / "short.weights").write_bytes((tmp_path / "t.weights").read_bytes()[:-40])
    with pytest.raises(ValueError, match="ends early"):
        load_darknet_weights(model, tmp_path / "short.weights")


def test_route_groups_and_maxpool_padding():
    model = Darknet(parse_cfg(TINY)).eval()
    x = torch.rand(1, 3, 64, 64)
    # layer 4: route -1,-3 concatenates maxpool (8 ch) and conv 0 (8 ch); layer 5 keeps group 1 of 2
    outs = {}
    hooks = [model.layers[i].register_forward_hook(lambda m, a, o, i=i: outs.__setitem__(i, o)) for i in (0, 3)]
    model(x)
    for h in hooks:
        h.remove()
    assert outs[3].shape == (1, 8, 32, 32)  # stride-1 maxpool keeps the size (darknet padding)


def test_decoding_matches_darknet_formula():
    model = Darknet(parse_cfg(TINY)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    out = model(torch.rand(1, 3, 64, 64))[0]
    # all logits 0: sigmoid 0.5, exp 1 -> cell (y=0, x=1) of anchor 0 has cx = (1 + 0.5*1.05 - 0.025) / 32
    row = out[(0 * 32 + 0) * 32 + 1]
    assert row[0].item() == pytest.approx((1 + 0.5 * 1.05 - 0.025) / 32)
    assert row[2].item() == pytest.approx(10 / 64) and row[3].item() == pytest.approx(14 / 64)
    assert out[32 * 32, 2].item() == pytest.approx(23 / 64)  # anchor 1


def test_bundled_cfgs_build_and_fuse():
    for variant, n_params in (("yolo-fastest-1.1", 346_062), ("yolo-fastest-1.1-xl", 923_486)):
        model = build_yolo_fastest(variant)
        assert len(model.layers) == 131 and model.head_strides == [32, 16]
        # parameters + BN running stats = exactly the floats of the darknet file (README of ../shared)
        n = sum(p.numel() for k, p in model.state_dict().items() if not k.endswith("num_batches_tracked"))
        assert n == n_params
        if variant == "yolo-fastest-1.1":  # one forward pair is enough to check the folding
            x = torch.rand(1, 3, 320, 320)
            with torch.no_grad():
                a = model(x)
                b = fuse_batch_norms(model)(x)
            assert a.shape == (1, 3 * 100 + 3 * 400, 85)
            assert torch.allclose(a, b, atol=1e-4)


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("variant", ["yolo-fastest-1.1-xl", "yolo-fastest-1.1"])
def test_parity_with_darknet_reference(shared_dir, variant):
    """Our port vs OpenCV's darknet run (reference.json, ../shared) on every reference photo.

    The darknet file is read by our reader here (the bundled .pt must hold the same tensors),
    then the reference's own post-processing: score > 0.3, per-class NMS at 0.45. Same classes,
    each box IoU >= 0.9 with its reference, scores within 0.05.
    """
    from PIL import Image
    from torchvision.ops import batched_nms

    src = shared_dir / "weights" / "yolo-fastest-1.1_coco"
    ref = json.loads((src / "reference.json").read_text())
    model = build_yolo_fastest(variant)
    load_darknet_weights(model, src / f"{variant}.weights")
    bundled = torch.load(f"cnnapps/weights/{variant}.pt", map_location="cpu", weights_only=True)
    for key, value in model.state_dict().items():
        assert torch.equal(bundled[key], value), key
    results = ref["models"][variant]["results"]
    assert len(results) >= 10
    worst_iou, worst_score = 1.0, 0.0
    for name, expected in results.items():
        rgb = np.asarray(Image.open(shared_dir / "images" / name).convert("RGB"))
        h, w = rgb.shape[:2]
        assert [w, h] == expected["image_size_wh"]
        with torch.no_grad():
            out = model(preprocess(rgb, 320))[0]
        cand = candidates(out, conf=ref["conf_threshold"])
        boxes = cand.boxes * torch.tensor([w, h, w, h])
        keep = batched_nms(boxes, cand.scores, cand.class_ids, ref["nms_threshold"])
        got = sorted((int(cand.class_ids[k]), float(cand.scores[k]), boxes[k].tolist()) for k in keep)
        want = sorted((d["class_id"], d["score"], d["box_xyxy"]) for d in expected["detections"])
        assert [g[0] for g in got] == [r[0] for r in want], name
        for (_, gs, gb), (_, rs, rb) in zip(got, want, strict=True):
            worst_iou = min(worst_iou, _iou(gb, rb))
            worst_score = max(worst_score, abs(gs - rs))
    assert worst_iou >= 0.9 and worst_score <= 0.05
    print(f"{variant}: {len(results)} photos, worst box IoU {worst_iou:.4f}, worst score diff {worst_score:.4f}")
