"""python -m cnnapps detect: photos, a video, folders, formats, bad files, exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnapps.cli import main
from cnnapps.samples import sample_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for name in ("dog", "pets"):
        shutil.copy(sample_path(name), d / sample_path(name).name)
    (d / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return d


def test_folder_to_csv_with_class_filter_and_annotated_pngs(folder, tmp_path, capsys):
    out_dir = tmp_path / "annotated"
    code, out, _ = _run(capsys, "detect", str(folder), "--classes", "dog,car", "--save-annotated", str(out_dir))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0  # the broken file is a row with its error, the others worked
    by_file = {}
    for r in rows:
        by_file.setdefault(Path(r["file"]).name, []).append(r)
    assert {r["class"] for r in by_file["dog.jpg"]} == {"dog", "car"}
    assert [r["class"] for r in by_file["pets.jpg"]] == ["dog", "dog"]
    assert by_file["broken.jpg"][0]["error"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["dog_detections.png", "pets_detections.png"]
    assert Image.open(out_dir / "dog_detections.png").size == (512, 384)


def test_coco_json_and_video(tmp_path, capsys):
    from cnnapps.video import encode_mp4

    frame = np.asarray(Image.open(sample_path("dog")).convert("RGB").resize((256, 192)))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(encode_mp4([frame] * 3, fps=3))
    out = tmp_path / "det.json"
    code, _, _ = _run(capsys, "detect", str(sample_path("eagle")), str(clip), "--format", "coco",
                      "--out", str(out), "--save-annotated", str(tmp_path / "ann"))
    doc = json.loads(out.read_text())
    assert code == 0
    names = [im["file_name"] for im in doc["images"]]
    assert names[0].endswith("eagle.jpg") and sum("#frame=" in n for n in names) == 3
    eagle = [a for a in doc["annotations"] if a["image_id"] == 1]
    assert eagle[0]["category_id"] == 16  # COCO's id for "bird"
    x, y, w, h = eagle[0]["bbox"]
    assert w > 0 and h > 0 and x + w <= 512 + 5
    assert (tmp_path / "ann" / "clip_detections.mp4").stat().st_size > 1000


def test_bad_inputs_exit_codes(tmp_path, capsys):
    bad = tmp_path / "empty.mp4"
    bad.write_bytes(b"")
    code, out, _ = _run(capsys, "detect", str(bad), "--format", "json")
    assert code == 1 and "empty" in json.loads(out)[0]["error"]
    code, _, err = _run(capsys, "detect", str(sample_path("dog")), "--classes", "unicorn")
    assert code == 2 and "unicorn" in err
