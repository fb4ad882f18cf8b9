"""The chest X-ray model and task: registry, API, Grad-CAM, OOD warnings, CLI, shipped metrics."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from dicom_support import pydicom_file
from PIL import Image

import cnnapps
from cnnapps.cli import main
from cnnapps.errors import CnnappsError
from cnnapps.medical.dicom import InvalidDicom
from cnnapps.samples import sample_path

warnings.filterwarnings("ignore", module="pydicom")


@pytest.fixture(scope="module")
def loaded():
    return cnnapps.load("xray_pneumonia_cnn", device="cpu")


def test_spec_and_architecture():
    spec = cnnapps.get_spec("xray_pneumonia_cnn")
    assert spec.task == "xray" and spec.works_offline and spec.labels == ("normal", "pneumonia")
    model = spec.build().eval()
    with torch.inference_mode():
        out = model(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 2)
    model.get_submodule(spec.cam.target_layers[0])  # the CAM layer exists


def test_xray_on_a_dicom_radiograph(loaded):
    res = cnnapps.xray(loaded, pydicom_file("RG1_UNCI.dcm"), with_cam=True)
    assert isinstance(res, cnnapps.XrayFindings)
    assert 0.0 <= res.probability <= 1.0 and 0.0 < res.threshold < 1.0
    assert res.label == ("pneumonia" if res.probability >= res.threshold else "normal")
    assert res.warnings == ()  # a real chest CR: no metadata, colour or feature warning
    assert res.heatmap is not None and res.heatmap.shape == (28, 28)
    assert res.heatmap.min() >= 0.0 and res.heatmap.max() <= 1.0
    assert res.display.shape == (1955, 1841)
    row = res.rows()[0]
    assert set(row) >= {"file", "label", "probability", "threshold", "warning"}
    assert all(isinstance(v, str | int | float | bool | type(None)) for v in row.values())


def test_same_answer_for_dicom_and_its_png(loaded, tmp_path: Path):
    from cnnapps.medical.dicom import read_dicom, render

    im = read_dicom(pydicom_file("RG1_UNCI.dcm"))
    png = tmp_path / "rg1.png"
    Image.fromarray(render(im)).save(png)
    a, b = cnnapps.xray(loaded, im), cnnapps.xray(loaded, png)
    assert a.probability == pytest.approx(b.probability, abs=1e-6)


@pytest.mark.parametrize("name", ["cat", "coffee", "parrot"])
def test_colour_photos_are_flagged(loaded, name):
    res = cnnapps.xray(loaded, sample_path(name))
    assert res.out_of_distribution and any("colour" in w for w in res.warnings)


def test_ct_slice_is_flagged(loaded):
    res = cnnapps.xray(loaded, pydicom_file("CT_small.dcm"))
    assert any("CT" in w for w in res.warnings)


def test_bad_inputs(loaded):
    with pytest.raises(CnnappsError):
        cnnapps.xray(loaded, b"definitely not an image")
    with pytest.raises(InvalidDicom, match="structured report"):
        cnnapps.xray(loaded, pydicom_file("test-SR.dcm"))


def test_public_read_dicom():
    im = cnnapps.read_dicom(pydicom_file("CT_small.dcm"))
    assert isinstance(im, cnnapps.DicomImage) and im.pixels.shape == (1, 128, 128)


# --------------------------------------------------------------------------------------------- CLI

def test_cli_xray_csv(tmp_path: Path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    code = main(["xray", pydicom_file("RG1_UNCI.dcm"), str(sample_path("cat")), str(bad), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert code == 0 and len(rows) == 3
    assert rows[0]["label"] in ("normal", "pneumonia") and rows[0]["warning"] == ""
    assert "colour" in rows[1]["warning"]
    assert rows[2]["error"] and not rows[2]["label"]


def test_cli_dicom_info_render_deidentify(tmp_path: Path, capsys):
    ct, sr = pydicom_file("CT_small.dcm"), pydicom_file("test-SR.dcm")
    assert main(["dicom", "info", ct, sr, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["modality"] == "CT" and records[0]["PatientName"] == "•••"
    assert "structured report" in records[1]["error"]
    out = tmp_path / "ct.png"
    assert main(["dicom", "render", ct, "--window", "lung", "--out", str(out)]) == 0
    with Image.open(out) as png:
        assert png.size == (128, 128)
    assert main(["dicom", "render", ct, "--window=-600,1500", "--out", str(out)]) == 0
    assert main(["dicom", "render", sr, "--out", str(out)]) == 1
    with pytest.raises(SystemExit):
        main(["dicom", "render", ct, "--window", "nonsense", "--out", str(out)])
    assert main(["dicom", "deidentify", ct, "--out", str(tmp_path / "deid")]) == 0
    import pydicom

    ds = pydicom.dcmread(tmp_path / "deid" / "CT_small_deid.dcm")
    assert ds.PatientIdentityRemoved == "YES"


def test_cli_dicom_info_all_bad_exits_1(tmp_path: Path, capsys):
    bad = tmp_path / "x.dcm"
    bad.write_bytes(b"nope")
    assert main(["dicom", "info", str(bad)]) == 1


# ---------------------------------------------------------------- shipped model on the test split

def test_shipped_model_test_metrics(shared_dir: Path, loaded):
    from cnnapps.medical.metrics import binary_metrics
    from cnnapps.medical.xray_train import load_npz, predict, to_tensor

    npz = shared_dir / "data/pneumoniamnist/pneumoniamnist.npz"
    if not npz.is_file():
        pytest.skip("PneumoniaMNIST is not in ../shared")
    data = load_npz(npz)
    model = loaded.module
    logits = predict(model, to_tensor(data["test"][0]))
    prob = model.probability(logits).numpy()
    m = binary_metrics(data["test"][1], prob, threshold=float(model.threshold))
    spec = cnnapps.get_spec("xray_pneumonia_cnn")
    assert m.n == 624
    # the numbers quoted in the registry and the README are the ones this file gives
    assert 100 * m.accuracy == pytest.approx(spec.meta.metrics["test ACC (%)"], abs=0.05)
    assert 100 * m.auc == pytest.approx(spec.meta.metrics["test AUC (%)"], abs=0.05)
    assert m.accuracy >= 0.90 and m.auc >= 0.97
    assert np.isfinite(m.ece)
