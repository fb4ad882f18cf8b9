"""cnnapps.detect on the bundled Yolo-Fastest models: the dog photo, box mapping, NMS, filters."""

from __future__ import annotations

import io

import numpy as np
import pytest
from detect_support import loaded_model
from PIL import Image

from cnnapps.errors import CnnappsError
from cnnapps.samples import sample_path
from cnnapps.tasks.detect import detect, detect_video, infer, refine


@pytest.fixture(scope="module")
def xl():
    return loaded_model("yolo-fastest-1.1-xl")


@pytest.fixture(scope="module")
def dog() -> Image.Image:
    return Image.open(sample_path("dog")).convert("RGB")


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


# darknet's reference boxes for dog.jpg (768x576, ../shared README), scaled to the bundled 512x384 copy
REFERENCE = {
    "dog": [113.9, 188.5, 385.9, 535.6],
    "bicycle": [113.0, 126.7, 573.5, 497.3],
    "car": [449.8, 78.2, 684.6, 162.5],
}


def test_bundled_dog_photo(xl, dog):
    det = detect(xl, dog)
    assert det.image_size == (512, 384)
    best = {}
    for label, score, box in zip(det.labels, det.scores, det.boxes, strict=True):
        best.setdefault(label, (score, box))
    assert {"dog", "bicycle", "car"} <= set(best)
    for label, ref in REFERENCE.items():
        score, box = best[label]
        assert score > 0.6
        assert _iou(box, [v * 512 / 768 for v in ref]) > 0.8, label
    assert list(det.scores) == sorted(det.scores, reverse=True)
    assert det.boxes.dtype == np.float32 and det.boxes.shape == (len(det), 4)
    rows = det.rows()
    assert set(rows[0]) == {"class", "score", "x1", "y1", "x2", "y2"}
    coco = {a["category_id"] for a in det.coco_annotations(image_id=1)}
    assert {18, 2, 3} <= coco  # COCO's own ids: dog 18, bicycle 2, car 3
    assert det.elapsed_ms > 0 and det.total_ms >= det.elapsed_ms and det.device == "cpu"


def test_boxes_follow_resized_and_huge_images(xl, dog):
    base = detect(xl, dog, classes=["dog"]).boxes[0]
    for factor in (1.5, 4.5):  # 768x576 and 2304x1728 (shrunk to 2048 px before inference)
        big = dog.resize((round(512 * factor), round(384 * factor)), Image.Resampling.BILINEAR)
        det = detect(xl, big, classes=["dog"])
        assert det.image_size == big.size
        assert _iou(det.boxes[0], base * factor) > 0.9


def test_non_square_padding_maps_back(xl, dog):
    """The photo pasted on a wide grey canvas: boxes move with it, in canvas pixels."""
    canvas = Image.new("RGB", (712, 384), (128, 128, 128))
    canvas.paste(dog, (200, 0))
    ref = np.array(REFERENCE["dog"]) * 512 / 768 + [200, 0, 200, 0]
    det = detect(xl, canvas, classes=["dog"])
    assert len(det) >= 1 and _iou(det.boxes[0], ref) > 0.7


def test_exif_rotated_photo(xl, dog):
    """A camera photo stored sideways with EXIF orientation 6 is detected upright."""
    from cnnapps.images import load_image

    sideways = dog.transpose(Image.Transpose.ROTATE_90)  # what the sensor stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buf = io.BytesIO()
    sideways.save(buf, format="JPEG", exif=exif, quality=95)
    det = detect(xl, load_image(buf.getvalue()), classes=["dog"])
    assert det.image_size == (512, 384)
    assert _iou(det.boxes[0], np.array(REFERENCE["dog"]) * 512 / 768) > 0.8


def test_grayscale_photo(xl, dog):
    det = detect(xl, dog.convert("L"))  # converted to RGB inside
    assert "dog" in det.labels


def test_filters_and_nms(xl, dog):
    raw = infer(xl, dog)  # one forward pass; the thresholds below never rerun the model
    everything = refine(raw, conf=0.05, iou=1.0)
    merged = refine(raw, conf=0.05, iou=0.45)
    assert len(merged) < len(everything)  # NMS removed overlapping boxes
    assert len(refine(raw, conf=0.8)) < len(merged)
    assert refine(raw, conf=0.05, max_det=2).scores.shape == (2,)
    direct = detect(xl, dog, conf=0.3, iou=0.5)
    via = refine(raw, conf=0.3, iou=0.5)
    assert via.labels == direct.labels and np.allclose(via.boxes, direct.boxes)
    only = refine(raw, classes=["Dog", "motorbike"])  # case-insensitive; darknet alias
    assert set(only.labels) <= {"dog", "motorcycle"} and "dog" in only.labels
    with pytest.raises(CnnappsError, match="unicorn"):
        detect(xl, dog, classes=["unicorn"])
    with pytest.raises(CnnappsError):
        detect(xl, dog, conf=1.5)


def test_yolo_trace_explains_each_box(xl, dog):
    det = detect(xl, dog)
    tr = det.trace
    assert [h[:3] for h in tr.heads] == [(32, 10, 10), (16, 20, 20)]
    assert tr.objectness[0].shape == (3, 10, 10) and tr.objectness[1].shape == (3, 20, 20)
    w, h = det.image_size
    for k, cand in enumerate(tr.kept):
        np.testing.assert_allclose(tr.candidates[cand], det.boxes[k])  # the raw box is the kept box
        head, anchor, gy, gx = tr.cand_cells[cand]
        stride = tr.heads[head][0]
        cx = (det.boxes[k][0] + det.boxes[k][2]) / 2 * 320 / w
        cy = (det.boxes[k][1] + det.boxes[k][3]) / 2 * 320 / h
        assert int(cx // stride) == gx and int(cy // stride) == gy  # centre lies in its cell
        assert tr.objectness[head][anchor, gy, gx] > 0.25
    removed = np.nonzero(tr.suppressed_by >= 0)[0]
    assert len(removed) > 0
    for c in removed:
        k = tr.suppressed_by[c]
        assert tr.cand_class_ids[c] == det.class_ids[k]
        assert tr.cand_scores[c] <= det.scores[k]


def test_smaller_model_and_input_sizes(dog):
    small = loaded_model("yolo-fastest-1.1")
    assert "car" in detect(small, dog).labels
    det = detect(small, dog, input_size=416)
    assert det.input_size == (416, 416) and det.trace.objectness[0].shape == (3, 13, 13)
    with pytest.raises(CnnappsError, match="multiple of 32"):
        detect(small, dog, input_size=300)


def test_video_detection(xl, dog):
    from cnnapps.video import encode_mp4, iter_frames

    arr = np.asarray(dog.resize((320, 240)))
    frames = [np.roll(arr, 4 * i, axis=1) for i in range(6)]
    clip = encode_mp4(frames, fps=6)
    seen = []
    result = detect_video(xl, clip, max_frames=5, progress=lambda done, total: seen.append((done, total)))
    assert result.n_frames == 5 and result.truncated
    assert seen[-1] == (5, 5)
    assert all("dog" in c for c in result.counts)
    out = list(iter_frames(result.video))
    assert len(out) == 5 and out[0].shape == (240, 320, 3)
    assert not np.array_equal(out[0], frames[0])  # boxes were drawn
    assert result.fps_achieved > 0 and result.rows()[0]["frame"] == 0
