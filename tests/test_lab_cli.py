"""python -m cnnapps train / tour."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from cnnapps.cli import main
from cnnapps.lab.config import LabConfig
from cnnapps.lab.models import build_model


def test_train_writes_history_model_and_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["train", "--dataset", "mnist", "--model", "lenet5", "--train-size", "60", "--val-size", "100",
                 "--epochs", "2", "--dropout", "0.5", "--weight-decay", "1e-4", "--augment", "--early-stopping", "2",
                 "--batch-size", "20", "--out", str(out)])
    assert code == 0
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy"} <= rows[0].keys()
    config = LabConfig.from_dict(json.loads((out / "config.json").read_text()))
    assert config.augment == ("shift", "rotate", "scale") and config.dropout == 0.5 and config.early_stopping == 2
    state = torch.load(out / "model.pt", map_location="cpu", weights_only=True)
    model = build_model("lenet5", in_channels=1, num_classes=10, image_size=28, dropout=0.5)
    model.load_state_dict(state)  # the file is a plain state dict of the configured architecture
    assert json.loads(capsys.readouterr().out)["epochs_run"] == 2


def test_train_bad_setting_exits_1_with_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--train-size", "3", "--out", str(tmp_path)]) == 1
    assert "train size must be a whole number" in capsys.readouterr().err


def test_train_offline_dataset_exits_1(tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CNNAPPS_DATA_DIR", str(tmp_path))
    assert main(["train", "--dataset", "cifar10", "--out", str(tmp_path / "o")]) == 1
    assert "offline" in capsys.readouterr().err


def test_train_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "--model", "alexnet", "--out", "x"])
    assert exc.value.code == 2


def test_tour_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tour", "--train-size", "60", "--val-size", "100", "--epochs", "2", "--batch-size", "20",
                 "--steps", "baseline", "dropout", "--format", "csv"])
    assert code == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [r["step"] for r in rows] == ["baseline", "dropout"]
    assert rows[0]["gap_change"] == "" and rows[1]["gap_change"] != ""
