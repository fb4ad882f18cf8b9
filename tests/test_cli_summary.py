"""python -m cnnapps summary MODEL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cnnapps.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_summary_table_for_lenet5(capsys) -> None:
    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "total parameters: 60,850" in out
    assert "c3" in out and "SparseConv" in out and "5x5" in out and "1,516" in out
    assert "weight layers (conv + fc): 5" in out


def test_summary_json_and_csv(tmp_path, capsys) -> None:
    assert main(["summary", "resnet18", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == 11_689_512 and data["layers"][0]["layer"] == "conv1"
    out = tmp_path / "alexnet.csv"
    assert main(["summary", "alexnet", "--format", "csv", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("layer,type,depth,kernel") and len(lines) == 22  # header + 21 leaf layers


def test_unknown_model_exits_1_with_a_message(capsys) -> None:
    assert main(["summary", "resnet1000"]) == 1
    assert "No architecture named 'resnet1000'" in capsys.readouterr().err


def test_module_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "cnnapps", "summary", "lenet5"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "60,850" in proc.stdout
