"""The CLI (python -m cnnapps ...) over the public API: formats, bad files, exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnnapps.cli import main
from cnnapps.samples import sample_path

CATS = {"Egyptian cat", "tabby", "tiger cat"}


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("cat", "coffee", "parrot"):
        shutil.copy(sample_path(name), folder / sample_path(name).name)
    (folder / "notes.txt").write_text("not a photo, and not picked up from a folder")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_classify_folder_to_csv(photos: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "classify", str(photos), "--top-k", "2")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 6  # 3 photos x top-2; the .txt in the folder is skipped
    top1 = {Path(r["file"]).stem: r["label"] for r in rows if r["rank"] == "1"}
    assert top1["cat"] in CATS and top1["coffee"] == "espresso" and top1["parrot"] == "macaw"
    assert {r["model"] for r in rows} == {"mobilenet_v2_tflite"} and not any(r["error"] for r in rows)


def test_classify_to_json_file_with_a_corrupt_file(photos: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    broken = photos / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 cut off")
    out = tmp_path / "out" / "result.json"
    code, stdout, _ = _run(capsys, "classify", str(photos), "--top-k", "1", "--format", "json",
                           "--out", str(out))
    records = json.loads(out.read_text())
    assert code == 0 and stdout == ""
    by_file = {Path(r["file"]).name: r for r in records}
    assert "damaged or incomplete" in by_file["broken.jpg"]["error"]
    assert by_file["parrot.jpg"]["label"] == "macaw" and by_file["parrot.jpg"]["error"] == ""


def test_nothing_readable_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "a.png"
    bad.write_bytes(b"")
    code, out, _ = _run(capsys, "classify", str(bad))
    assert code == 1 and "empty" in out


@pytest.mark.parametrize("argv", [["classify"], ["classify", "x.jpg", "--model", "nope"],
                                  ["classify", "x.jpg", "--format", "xml"], ["frobnicate"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_missing_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["classify", "/no/such/file.jpg"])
    assert info.value.code == 2 and "no such file" in capsys.readouterr().err


def test_download_only_model_offline_exits_1_with_the_message(photos: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["classify", str(photos), "--model", "resnet18"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "ResNet-18" in err and "resnet18-f37072fd.pth" in err and "MobileNetV2" in err


def test_sentiment_csv_with_a_chosen_column_keeps_every_column(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "reviews.csv"
    data.write_text("id,stars,review\n1,5,a gorgeous and witty film\n2,1,a boring tedious mess\n3,3,\n",
                    encoding="utf-8")
    code, out, _ = _run(capsys, "sentiment", str(data), "--column", "review", "--model", "textcnn_mr")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert [r["id"] for r in rows] == ["1", "2", "3"] and [r["stars"] for r in rows] == ["5", "1", "3"]
    assert [r["label"] for r in rows[:2]] == ["positive", "negative"]
    assert rows[2]["note"] == "no readable words"


def test_sentiment_txt_from_stdin_as_json() -> None:
    proc = subprocess.run([sys.executable, "-m", "cnnapps", "sentiment", "-", "--format", "json"],
                          input="a wonderful film\nthe worst movie in years\n", capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[1], check=False)
    assert proc.returncode == 0, proc.stderr
    labels = [r["label"] for r in json.loads(proc.stdout)]
    assert labels == ["positive", "negative"]


def test_sentiment_bad_column_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "r.csv"
    data.write_text("a,b\n1,2\n")
    code, _, err = _run(capsys, "sentiment", str(data), "--column", "text")
    assert code == 2 and "no column 'text'" in err


def test_list_names_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {"classification", "sentiment"} <= {r["task"] for r in rows}
    assert any(r["name"] == "mobilenet_v2_tflite" and r["offline"] for r in rows)
