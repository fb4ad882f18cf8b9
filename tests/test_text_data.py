"""The real data sets in ../shared/data (skipped, with the reason, when the folder is absent)."""

import pytest

from cnnapps.loaded import load
from cnnapps.tasks.sentiment import predict_batch
from cnnapps.text.data import kfold_indices, read_mr, read_sst2_split


def test_mr_has_5331_sentences_per_class(shared_dir):
    data = read_mr(shared_dir / "data" / "mr")
    assert data.labels.count(1) == 5331 and data.labels.count(0) == 5331


def test_sst2_splits_have_the_documented_sizes(shared_dir):
    folder = shared_dir / "data" / "sst2"
    assert len(read_sst2_split(folder / "test.tsv")) == 872
    assert len(read_sst2_split(folder / "dev.tsv")) == 6735


def test_shipped_sst2_model_accuracy_on_test_tsv(shared_dir):
    model = load("textcnn_sst2", device="cpu")
    lines = (shared_dir / "data" / "sst2" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.split("\t") for line in lines if line]
    results = predict_batch(model, [t for t, _ in rows])
    acc = 100 * sum(r.index == int(y) for r, (_, y) in zip(results, rows, strict=True)) / len(rows)
    assert acc == pytest.approx(model.spec.meta.metrics["SST-2 test accuracy (%)"], abs=0.05)


def test_shipped_mr_model_accuracy_on_its_held_out_fold(shared_dir):
    model = load("textcnn_mr", device="cpu")
    data = read_mr(shared_dir / "data" / "mr")
    fold = kfold_indices(len(data), folds=10, seed=0)[0]  # the fold the shipped model never saw
    results = predict_batch(model, [" ".join(data.tokens[i]) for i in fold])
    acc = 100 * sum(r.index == data.labels[i] for r, i in zip(results, fold, strict=True)) / len(fold)
    assert acc == pytest.approx(model.spec.meta.metrics["MR fold-0 held-out accuracy (%)"], abs=0.05)
