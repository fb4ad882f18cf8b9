"""cnnapps.batch and the engine flags without a cluster (fast); the Ray jobs are in test_batch_ray.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from cnnapps import batch
from cnnapps.cli import build_parser, main
from cnnapps.cli.common import write_records

ROWS = [{"file": "a.jpg", "label": "cat", "probability": 0.5, "error": ""},
        {"file": "b.jpg", "error": "The file is empty."}]


def test_engine_flags_on_classify_and_sentiment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", "head:6379")
    args = build_parser().parse_args(["classify", "x.jpg", "--engine", "ray", "--workers", "3"])
    assert (args.engine, args.address, args.workers) == ("ray", "head:6379", 3)
    args = build_parser().parse_args(["sentiment", "x.csv", "--address", "auto"])
    assert (args.engine, args.address, args.workers) == ("local", "auto", None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["classify", "x.jpg", "--engine", "spark"])


def test_output_format_follows_the_out_suffix(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    write_records(ROWS, None, tmp_path / "r.parquet")
    assert pq.read_table(tmp_path / "r.parquet").to_pylist() == [
        ROWS[0], {"file": "b.jpg", "label": None, "probability": None, "error": "The file is empty."}]
    write_records(ROWS, None, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == ROWS
    write_records(ROWS, None, tmp_path / "r.txt")  # unknown suffix: CSV
    assert (tmp_path / "r.txt").read_text().splitlines()[0] == "file,label,probability,error"
    with pytest.raises(SystemExit) as stop:
        write_records(ROWS, "parquet", None)  # Parquet is binary: never to a terminal
    assert stop.value.code == 2


def test_ray_engine_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    (tmp_path / "a.jpg").write_bytes(b"")
    with pytest.raises(SystemExit) as stop:
        main(["classify", str(tmp_path), "--engine", "ray"])
    assert stop.value.code == 1
    assert "pip install -e '.[scale]'" in capsys.readouterr().err
    assert not batch.ray_available()


def _fake_ray(**resources: float) -> SimpleNamespace:
    return SimpleNamespace(cluster_resources=lambda: resources)


def test_pool_size_and_device_follow_the_cluster() -> None:
    plan = batch._plan
    assert plan(_fake_ray(CPU=8.0), batch.RayOptions()) == (7, 0.0, "cpu")  # one CPU left for reads
    assert plan(_fake_ray(CPU=2.0), batch.RayOptions()) == (1, 0.0, "cpu")
    assert plan(_fake_ray(CPU=16.0, GPU=4.0), batch.RayOptions()) == (4, 1.0, "cuda")
    assert plan(_fake_ray(CPU=16.0, GPU=4.0), batch.RayOptions(gpus_per_worker=0.5)) == (8, 0.5, "cuda")
    assert plan(_fake_ray(CPU=16.0, GPU=4.0), batch.RayOptions(gpus_per_worker=0)) == (15, 0.0, "cpu")
    assert plan(_fake_ray(CPU=8.0), batch.RayOptions(workers=2, cpus_per_worker=2)) == (2, 0.0, "cpu")
    with pytest.raises(batch.BatchError):
        plan(_fake_ray(CPU=8.0), batch.RayOptions(workers=0))
    with pytest.raises(batch.BatchError, match="plus 0.5 for reading"):  # would wait forever
        plan(_fake_ray(CPU=2.0), batch.RayOptions(workers=2))


def test_inputs_keep_the_cli_names_and_uris_pass_through(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    for name in ("b.jpg", "a.png", "notes.txt"):
        (tmp_path / "d" / name).write_bytes(b"x")
    files = batch.expand_files([str(tmp_path / "d"), "s3://bucket/x.jpg"], (".jpg", ".png"))
    assert files == [(str(tmp_path / "d" / "a.png"), str((tmp_path / "d" / "a.png").resolve())),
                     (str(tmp_path / "d" / "b.jpg"), str((tmp_path / "d" / "b.jpg").resolve())),
                     ("s3://bucket/x.jpg", "s3://bucket/x.jpg")]
    with pytest.raises(batch.BatchError, match="takes files"):
        batch.run_texts("classification", ["x"])
    with pytest.raises(batch.BatchError, match="No batch runner"):
        batch.run_files("face_embedding", files)


def test_progress_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    stream = io.StringIO()
    report = batch.print_progress(stream, every_s=3600)
    report(5, 10)  # first call prints
    report(6, 10)  # throttled
    report(10, 10)  # the last always prints
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("ray: 5/10 inputs (50%)")
    assert lines[1].startswith("ray: 10/10 inputs (100%)")


def test_detect_on_ray_refuses_videos_and_coco(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"")
    (tmp_path / "a.jpg").write_bytes(b"")
    assert main(["detect", str(tmp_path / "clip.mp4"), "--engine", "ray"]) == 2
    assert "videos, COCO JSON and --save-annotated need --engine local" in capsys.readouterr().err
    assert main(["detect", str(tmp_path / "a.jpg"), "--engine", "ray", "--format", "coco"]) == 2
