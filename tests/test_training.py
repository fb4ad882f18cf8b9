"""The generic training loop: overfits a tiny batch, early-stops, restores the best epoch,
checkpoints, reports progress, and is seeded."""

import pytest
import torch

from cnnapps.models.text_cnn import TextCNN, TextCNNConfig
from cnnapps.text.data import Batches, LabelledText, kfold_indices
from cnnapps.text.train import KIM_INIT_STD, pretrained_matrix, train_text_cnn
from cnnapps.text.vocab import Vocab
from cnnapps.training import (
    Callback,
    EarlyStopping,
    FitConfig,
    FitProgress,
    FitState,
    ProgressCallback,
    evaluate,
    fit,
    load_checkpoint,
)

TINY = LabelledText(
    [["a", "great", "film"], ["truly", "awful"], ["wonderful", "and", "moving"], ["dull", "boring", "mess"],
     ["great", "acting"], ["awful", "script"], ["moving", "story"], ["boring", "plot"]],
    [1, 0, 1, 0, 1, 0, 1, 0],
)


def _tiny_model(vocab: Vocab) -> TextCNN:
    torch.manual_seed(0)
    return TextCNN(TextCNNConfig(vocab_size=len(vocab), embed_dim=16, maps=8, variant="rand"), vocab=vocab)


def test_overfits_a_tiny_batch_to_100_percent():
    vocab = Vocab.build(TINY.tokens)
    model = _tiny_model(vocab)
    batches = Batches(TINY, vocab, batch_size=8, shuffle=True)
    cfg = FitConfig(epochs=60, optimizer="adam", lr=1e-2, patience=None)
    history = fit(model, batches, batches, config=cfg, after_step=model.apply_max_norm)
    assert history.epochs[-1]["train_loss"] < history.epochs[0]["train_loss"]
    assert evaluate(model, batches)["val_accuracy"] == 100.0
    assert model.fc.weight.norm(dim=1).max() <= 3.0 + 1e-4  # max-norm held throughout
    assert not model.training


def test_early_stopping_and_best_weights_restored(tmp_path):
    vocab = Vocab.build(TINY.tokens)
    model = _tiny_model(vocab)
    flipped = LabelledText(TINY.tokens, [1 - y for y in TINY.labels])  # val gets worse as train improves
    ckpt = tmp_path / "best.pt"
    cfg = FitConfig(epochs=40, optimizer="adam", lr=1e-2, patience=3, checkpoint_path=ckpt)
    history = fit(model, Batches(TINY, vocab, batch_size=8), Batches(flipped, vocab, batch_size=8),
                  config=cfg)
    assert history.stopped_early and len(history.epochs) < 40
    assert len(history.epochs) - history.best_epoch == 3
    saved = load_checkpoint(ckpt)
    assert saved["epoch"] == history.best_epoch
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved["state_dict"][key])  # model ends on its best epoch


def test_early_stopping_callback_unit():
    cb, state = EarlyStopping(monitor="val_accuracy", patience=2), FitState()
    for acc in (50.0, 60.0, 59.0, 60.0):
        state.metrics = {"val_accuracy": acc}
        cb.on_epoch_end(state)
    assert state.stop
    with pytest.raises(KeyError):
        EarlyStopping(monitor="nope").on_epoch_end(state)


def test_progress_callback_and_custom_callback():
    vocab = Vocab.build(TINY.tokens)
    seen: list[FitProgress] = []
    events: list[str] = []

    class Recorder(Callback):
        def on_fit_start(self, state): events.append("start")
        def on_fit_end(self, state): events.append("end")

    fit(_tiny_model(vocab), Batches(TINY, vocab, batch_size=2), config=FitConfig(epochs=2),
        callbacks=[ProgressCallback(seen.append, every=1), Recorder()])
    assert events == ["start", "end"]
    assert seen[-1].fraction == 1.0 and seen[-1].epoch == 2
    assert all(0.0 <= p.fraction <= 1.0 for p in seen) and seen[0].message


def test_fit_is_seeded():
    vocab = Vocab.build(TINY.tokens)
    runs = []
    for _ in range(2):
        model = _tiny_model(vocab)
        fit(model, Batches(TINY, vocab, batch_size=4, shuffle=True, seed=3),
            config=FitConfig(epochs=3, seed=3))
        runs.append(model.fc.weight.detach().clone())
    assert torch.equal(runs[0], runs[1])


def test_train_text_cnn_end_to_end_tiny():
    cfg = FitConfig(epochs=30, optimizer="adam", lr=1e-2, patience=None)
    model, history = train_text_cnn(TINY, TINY, variant="rand", fit_config=cfg,
                                    model_config={"maps": 8, "embed_dim": 16})
    assert history.best_metric == 100.0
    assert model.vocab is not None and model.config.vocab_size == len(model.vocab)
    with pytest.raises(ValueError):
        train_text_cnn(TINY, TINY, variant="static", fit_config=cfg)  # needs glove


def test_train_text_cnn_pretrained_variant_with_fake_vectors():
    words = ["great", "awful", "film", "the"]
    vectors = torch.randn(4, 16).numpy()
    cfg = FitConfig(epochs=2)
    model, _ = train_text_cnn(TINY, TINY, variant="multichannel", glove=(words, vectors), glove_extra=4,
                              glove_std=None, fit_config=cfg, model_config={"maps": 4})
    assert "the" in model.vocab  # an extra pretrained word, absent from the training data
    row = model.vocab.index("great")
    assert torch.allclose(model.static_embedding.weight[row], torch.from_numpy(vectors[0]))


def test_pretrained_vectors_are_rescaled_to_kims_init_std():
    words = [f"w{i}" for i in range(500)]
    vectors = (0.64 * torch.randn(500, 16)).numpy()  # GloVe 50d's component std
    vocab = Vocab.build([words[:300] + ["not_in_glove"]])
    matrix, found = pretrained_matrix(vocab, words, vectors)
    assert found == 300
    assert float(matrix[2:].std()) == pytest.approx(KIM_INIT_STD, rel=0.1)
    row = vocab.index("w7")
    scale = KIM_INIT_STD / float(vectors.std())
    assert torch.allclose(matrix[row], torch.from_numpy(vectors[7]) * scale, atol=1e-6)
    assert matrix[0].abs().sum() == 0  # <pad>


def test_kfold_indices_partition():
    folds = kfold_indices(23, folds=10, seed=1)
    flat = sorted(i for f in folds for i in f)
    assert flat == list(range(23)) and len(folds) == 10
    assert max(map(len, folds)) - min(map(len, folds)) <= 1


def test_stratified_split_keeps_class_shares_and_is_seeded():
    import numpy as np

    from cnnapps.training import stratified_split

    labels = np.repeat(np.arange(3), [100, 50, 10])  # sorted by class, as MNIST's files are
    train, val = stratified_split(labels, val_fraction=0.2, seed=1)
    assert len(set(train) & set(val)) == 0 and len(train) + len(val) == len(labels)
    assert [int((labels[val] == c).sum()) for c in range(3)] == [20, 10, 2]
    again = stratified_split(labels, val_fraction=0.2, seed=1)
    assert np.array_equal(train, again[0]) and np.array_equal(val, again[1])
    assert not np.array_equal(val, stratified_split(labels, val_fraction=0.2, seed=2)[1])
    assert not np.array_equal(np.sort(val), val)  # shuffled, not sorted by class


def test_fit_leaves_the_global_rng_untouched():
    vocab = Vocab.build(TINY.tokens)
    model = _tiny_model(vocab)  # built first: its initialisation draws from the global RNG
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit(model, Batches(TINY, vocab, batch_size=4), config=FitConfig(epochs=1, seed=9))
    assert torch.equal(torch.rand(3), expected)
