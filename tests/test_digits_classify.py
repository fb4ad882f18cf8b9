"""LeNet-5 as a registered classifier: cnnapps.classify and `python -m cnnapps classify --model lenet5`."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

import cnnapps
from cnnapps.cli import main
from cnnapps.digits import EmptyDigit
from cnnapps.zoo.digits import DIGIT_SAMPLES, digit_sample_path


@pytest.fixture(scope="module")
def lenet():
    return cnnapps.load("lenet5", device="cpu")


def test_spec_is_bundled_and_offline() -> None:
    spec = cnnapps.get_spec("lenet5")
    assert spec.works_offline and spec.task == "classification" and spec.labels == tuple("0123456789")
    assert spec in cnnapps.list_models("classification")


@pytest.mark.parametrize("sample", DIGIT_SAMPLES, ids=lambda s: s.name)
def test_classify_reads_every_bundled_digit(lenet, sample) -> None:
    result = cnnapps.classify(lenet, digit_sample_path(sample.name), top_k=3)
    assert result.top[0].label == sample.name[-1]
    assert result.top[0].probability > 0.5 and len(result.top) == 3


def test_a_blank_image_is_a_clear_error(lenet) -> None:
    with pytest.raises(EmptyDigit):
        cnnapps.classify(lenet, Image.new("RGB", (50, 50), "white"))


def test_cli_classify_a_folder_of_digits(tmp_path, capsys) -> None:
    for d in (0, 5, 9):
        shutil.copy(digit_sample_path(f"mnist_{d}"), tmp_path / f"digit_{d}.png")
    shutil.copy(digit_sample_path("photo_7"), tmp_path / "photo_7.jpg")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    assert main(["classify", str(tmp_path), "--model", "lenet5", "--top-k", "1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_file = {row["file"].rsplit("/", 1)[-1]: row for row in rows}
    for name, digit in (("digit_0.png", "0"), ("digit_5.png", "5"), ("digit_9.png", "9"), ("photo_7.jpg", "7")):
        assert by_file[name]["label"] == digit, by_file[name]
    assert by_file["broken.png"].get("error")
