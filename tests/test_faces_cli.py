"""``python -m cnnapps faces ...``: every action in-process, CSV/JSON, exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cnnapps.cli import main
from cnnapps.faces.samples import face_sample_path
from cnnapps.samples import sample_path

# MTCNN runs many small ops: one intra-op thread is faster on 2 busy cores (conftest.py).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_detect_verify_and_errors(capsys, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a photo")
    assert main(["faces", "detect", str(face_sample_path("two_people")), str(sample_path("cat")), str(bad)]) == 0
    rows = _csv(capsys.readouterr().out)
    assert [r["faces"] for r in rows] == ["2", "2", "0", ""] and "not an image" in rows[-1]["error"]
    assert main(["faces", "verify", str(face_sample_path("obama1")), str(face_sample_path("obama2")),
                 "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["same_person"] is True and row["model"] == "mobilefacenet"
    assert main(["faces", "verify", str(sample_path("cat")), str(face_sample_path("obama2"))]) == 1
    assert "No face" in capsys.readouterr().err
    assert main(["faces", "detect", str(bad)]) == 1  # nothing could be processed


def test_enroll_identify_cluster_anonymise(capsys, tmp_path):
    gallery = tmp_path / "g.json"
    assert main(["faces", "enroll", "--gallery", str(gallery), "--name", "Obama",
                 str(face_sample_path("obama1"))]) == 0
    capsys.readouterr()
    assert main(["faces", "identify", "--gallery", str(gallery), str(face_sample_path("two_people"))]) == 0
    rows = sorted(_csv(capsys.readouterr().out), key=lambda r: float(r["x1"]))
    assert [r["name"] for r in rows] == ["Obama", "unknown"]
    gallery.write_text("{broken")
    assert main(["faces", "identify", "--gallery", str(gallery), str(face_sample_path("john1"))]) == 1
    assert "not a face gallery" in capsys.readouterr().err
    assert main(["faces", "cluster", "--format", "json", str(face_sample_path("obama1")),
                 str(face_sample_path("obama2")), str(face_sample_path("john2"))]) == 0
    labels = [r["cluster"] for r in json.loads(capsys.readouterr().out)]
    assert labels[0] == labels[1] != labels[2]
    out_dir = tmp_path / "anon"
    assert main(["faces", "anonymise", "--out-dir", str(out_dir), "--method", "pixelate",
                 str(face_sample_path("john1"))]) == 0
    (row,) = _csv(capsys.readouterr().out)
    assert row["faces"] == "1" and (out_dir / "john1.anonymised.png").is_file()
