"""The training lab's core: data, models, each cure doing what it claims, jobs and the tour."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import numpy as np
import pytest
import torch
from torch import nn

from cnnapps.lab import runner
from cnnapps.lab.augment import augment_batch
from cnnapps.lab.config import InvalidLabConfig, LabConfig
from cnnapps.lab.data import BUNDLED_MNIST, Batches, DatasetUnavailable, load_dataset, stratified_sample
from cnnapps.lab.models import LabDropout, build_model, set_dropout_generator
from cnnapps.lab.tour import TOUR_QUICK, format_table, tour_configs, tour_rows
from cnnapps.lab.trainer import evaluate_batches, l1_penalty, train_lab
from cnnapps.training.callbacks import Callback, FitState

torch.set_num_threads(1)

TINY = LabConfig(train_size=100, val_size=100, epochs=2, batch_size=25)


@pytest.fixture(scope="module")
def tiny_data():
    return load_dataset("mnist", train_size=TINY.train_size, val_size=TINY.val_size, seed=0)


def _weights(model_state: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([v.flatten() for k, v in model_state.items() if k.endswith("weight") and v.dim() > 1])


# --- config -----------------------------------------------------------------------------------

class TestConfig:
    def test_json_round_trip(self) -> None:
        c = LabConfig(augment=("shift", "rotate"), dropout=0.5, early_stopping=3)
        again = LabConfig.from_dict(__import__("json").loads(c.to_json()))
        assert again == c
        assert c.cures == ("augment shift+rotate", "dropout 0.5", "early stop 3")

    @pytest.mark.parametrize("change", [
        {"train_size": 5}, {"epochs": 0}, {"epochs": 10_000}, {"model": "alexnet"}, {"dataset": "imagenet"},
        {"dropout": 1.0}, {"augment": ("cutmix",)}, {"lr": 0.0}, {"weight_decay": -1.0},
        {"early_stopping": 0}, {"batch_size": 2}, {"optimizer": "lbfgs"},
    ])
    def test_bad_settings_are_refused_with_a_message(self, change) -> None:
        with pytest.raises(InvalidLabConfig, match="Lab setting"):
            LabConfig(**change)

    def test_unknown_key_refused(self) -> None:
        with pytest.raises(InvalidLabConfig, match="unknown keys"):
            LabConfig.from_dict({"epochs": 3, "learning_rate": 1.0})


# --- data ---------------------------------------------------------------------------------------

class TestData:
    def test_bundled_subset_is_small_and_balanced(self) -> None:
        assert BUNDLED_MNIST.stat().st_size < 2_000_000
        with np.load(BUNDLED_MNIST) as d:
            assert d["x"].shape == (6000, 28, 28) and d["x"].dtype == np.uint8
            assert np.bincount(d["y"]).tolist() == [600] * 10

    def test_split_sizes_stratified_disjoint_seeded(self) -> None:
        a = load_dataset("mnist", train_size=200, val_size=500, seed=1)
        b = load_dataset("mnist", train_size=200, val_size=500, seed=1)
        c = load_dataset("mnist", train_size=200, val_size=500, seed=2)
        assert a.x_train.shape == (200, 1, 28, 28) and a.x_val.shape == (500, 1, 28, 28)
        assert np.bincount(a.y_train.numpy()).tolist() == [20] * 10
        assert np.bincount(a.y_val.numpy()).tolist() == [50] * 10
        assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_train, c.x_train)
        flat_train = {t.numpy().tobytes() for t in a.x_train}
        assert not flat_train & {t.numpy().tobytes() for t in a.x_val}
        assert float(a.x_train.min()) >= 0.0 and float(a.x_train.max()) <= 1.0

    def test_stratified_sample_keeps_proportions(self) -> None:
        labels = np.array([0] * 90 + [1] * 10)
        ix = stratified_sample(labels, 20, generator=np.random.default_rng(0))
        assert len(set(ix)) == 20 and np.bincount(labels[ix]).tolist() == [18, 2]

    def test_too_many_images_is_a_clear_error(self) -> None:
        with pytest.raises(DatasetUnavailable, match="6,000 images"):
            load_dataset("mnist", train_size=5_000, val_size=2_000)

    def test_pneumoniamnist_without_file(self, monkeypatch, tmp_path) -> None:
        with pytest.raises(DatasetUnavailable, match="pneumoniamnist.npz"):
            load_dataset("pneumoniamnist", train_size=100, val_size=100, path=tmp_path / "missing.npz")

    def test_pneumoniamnist_from_shared(self, shared_dir) -> None:
        d = load_dataset("pneumoniamnist", train_size=100, val_size=100,
                         path=shared_dir / "data/pneumoniamnist/pneumoniamnist.npz")
        assert d.labels == ("normal", "pneumonia") and d.x_train.shape == (100, 1, 28, 28)

    @pytest.mark.parametrize("name", ["fashion_mnist", "cifar10"])
    def test_torchvision_sets_offline_say_so(self, name, monkeypatch, tmp_path) -> None:
        monkeypatch.setenv("CNNAPPS_OFFLINE", "1")
        monkeypatch.setenv("CNNAPPS_DATA_DIR", str(tmp_path))
        with pytest.raises(DatasetUnavailable, match="offline"):
            load_dataset(name, train_size=100, val_size=100)

    def test_batches_shuffle_from_generator_only(self, tiny_data) -> None:
        def first_labels(seed: int) -> list[int]:
            b = Batches(tiny_data.x_train, tiny_data.y_train, batch_size=10, mean=tiny_data.mean,
                        std=tiny_data.std, device=torch.device("cpu"), shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
            return next(iter(b))[1].tolist()

        assert first_labels(0) == first_labels(0) != first_labels(1)
        with pytest.raises(ValueError, match="generator"):
            Batches(tiny_data.x_train, tiny_data.y_train, batch_size=10, mean=(0.0,), std=(1.0,),
                    device=torch.device("cpu"), shuffle=True)


# --- models and the cures they carry ------------------------------------------------------------

class TestModels:
    @pytest.mark.parametrize("name", ["lenet5", "vgg", "resnet"])
    @pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 32)])
    def test_shapes(self, name, channels, size) -> None:
        model = build_model(name, in_channels=channels, num_classes=10, image_size=size).eval()
        assert model(torch.zeros(3, channels, size, size)).shape == (3, 10)

    def test_init_is_seeded_and_leaves_the_global_rng_alone(self) -> None:
        before = torch.random.get_rng_state()
        a = build_model("lenet5", in_channels=1, num_classes=10, image_size=28, seed=3)
        b = build_model("lenet5", in_channels=1, num_classes=10, image_size=28, seed=3)
        c = build_model("lenet5", in_channels=1, num_classes=10, image_size=28, seed=4)
        assert torch.equal(before, torch.random.get_rng_state())
        assert torch.equal(_weights(a.state_dict()), _weights(b.state_dict()))
        assert not torch.equal(_weights(a.state_dict()), _weights(c.state_dict()))

    @pytest.mark.parametrize("name", ["lenet5", "vgg", "resnet"])
    def test_dropout_off_in_eval_and_random_in_training(self, name) -> None:
        x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        plain = build_model(name, in_channels=1, num_classes=10, image_size=28, dropout=0.0)
        drop = build_model(name, in_channels=1, num_classes=10, image_size=28, dropout=0.5)
        assert any(isinstance(m, LabDropout) for m in drop.modules())
        assert not any(isinstance(m, LabDropout) for m in plain.modules())
        drop.load_state_dict(plain.state_dict())  # dropout has no parameters: same weights
        plain.eval()
        drop.eval()
        assert torch.equal(drop(x), plain(x))  # eval: dropout is the identity
        drop.train()
        plain.train()
        set_dropout_generator(drop, torch.Generator().manual_seed(0))
        first, second = drop(x), drop(x)
        assert not torch.allclose(first, second)  # a new mask per call
        assert not torch.allclose(first, plain(x))
        set_dropout_generator(drop, torch.Generator().manual_seed(0))
        assert torch.equal(drop(x), first)  # the masks come from the run's generator

    @pytest.mark.parametrize("name", ["lenet5", "vgg", "resnet"])
    def test_batch_norm_present_and_uses_batch_statistics(self, name) -> None:
        without = build_model(name, in_channels=1, num_classes=10, image_size=28, batch_norm=False)
        model = build_model(name, in_channels=1, num_classes=10, image_size=28, batch_norm=True)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in without.modules())
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        assert len(bns) >= 2
        g = torch.Generator().manual_seed(0)
        x = torch.randn(8, 1, 28, 28, generator=g)
        other = torch.randn(8, 1, 28, 28, generator=g) * 3 + 1
        model.train()
        # In training a sample's output depends on the rest of its batch (batch statistics) ...
        alone = model(x)[0]
        mixed = model(torch.cat([x[:1], other[1:]]))[0]
        assert not torch.allclose(alone, mixed, atol=1e-5)
        assert int(bns[0].num_batches_tracked) == 2 and bns[0].running_mean.abs().sum() > 0
        # ... in eval it uses the running statistics, so it does not.
        model.eval()
        assert torch.allclose(model(x)[:1], model(torch.cat([x[:1], other[1:]]))[:1], atol=1e-5)


class TestAugmentation:
    def test_changes_batches_reproducibly_and_leaves_input_alone(self, tiny_data) -> None:
        x = tiny_data.x_train[:16]
        copy = x.clone()
        for kinds in (("shift",), ("rotate",), ("scale",), ("flip",), ("erase",), ("shift", "rotate", "scale")):
            a = augment_batch(x, kinds, generator=torch.Generator().manual_seed(0))
            b = augment_batch(x, kinds, generator=torch.Generator().manual_seed(0))
            c = augment_batch(x, kinds, generator=torch.Generator().manual_seed(1))
            assert a.shape == x.shape
            assert not torch.equal(a, x), kinds
            assert torch.equal(a, b) and not torch.equal(a, c), kinds
        assert torch.equal(x, copy)

    def test_flip_mirrors_and_erase_blanks(self, tiny_data) -> None:
        x = tiny_data.x_train[:32]
        flipped = augment_batch(x, ("flip",), generator=torch.Generator().manual_seed(0))
        mirrored = [torch.equal(f, o.flip(-1)) for f, o in zip(flipped, x, strict=True)]
        same = [torch.equal(f, o) for f, o in zip(flipped, x, strict=True)]
        assert all(m or s for m, s in zip(mirrored, same, strict=True)) and any(mirrored) and any(same)
        erased = augment_batch(torch.ones(32, 1, 28, 28), ("erase",), generator=torch.Generator().manual_seed(0))
        blanked = (erased == 0).flatten(1).sum(1)
        assert set(blanked.tolist()) <= {0, 14 * 14} and blanked.max() == 14 * 14

    def test_training_batches_differ_with_augmentation(self, tiny_data) -> None:
        def batch(augment: tuple[str, ...]) -> torch.Tensor:
            b = Batches(tiny_data.x_train, tiny_data.y_train, batch_size=20, mean=tiny_data.mean,
                        std=tiny_data.std, device=torch.device("cpu"), shuffle=True, augment=augment,
                        generator=torch.Generator().manual_seed(0))
            return next(iter(b))[0]

        assert not torch.equal(batch(("shift",)), batch(()))

    def test_unknown_kind(self) -> None:
        with pytest.raises(ValueError, match="unknown"):
            augment_batch(torch.zeros(1, 1, 4, 4), ("mixup",), generator=torch.Generator())


# --- training with the cures --------------------------------------------------------------------

class TestTraining:
    def test_runs_are_reproducible_and_never_touch_the_global_rng(self, tiny_data) -> None:
        config = dataclasses.replace(TINY, dropout=0.3, augment=("shift",))
        before = torch.random.get_rng_state()
        a = train_lab(config, data=tiny_data)
        torch.rand(100)  # disturb the global RNG between the runs: must not matter
        b = train_lab(config, data=tiny_data)
        assert a.history and [r["val_loss"] for r in a.history] == [r["val_loss"] for r in b.history]
        after_a = torch.random.get_rng_state()
        torch.random.set_rng_state(before)
        torch.rand(100)
        assert torch.equal(after_a, torch.random.get_rng_state())  # only our torch.rand moved it
        assert a.final["train_accuracy"] >= 0 and len(a.rows()) == 2

    def test_weight_decay_shrinks_the_weight_norm(self, tiny_data) -> None:
        base = dataclasses.replace(TINY, epochs=3, optimizer="sgd", lr=0.05)
        plain = train_lab(base, data=tiny_data)
        decayed = train_lab(dataclasses.replace(base, weight_decay=0.05), data=tiny_data)
        assert _weights(decayed.state_dict).norm() < 0.9 * _weights(plain.state_dict).norm()

    def test_l1_makes_weights_sparser(self, tiny_data) -> None:
        base = dataclasses.replace(TINY, epochs=3)
        plain = train_lab(base, data=tiny_data)
        sparse = train_lab(dataclasses.replace(base, l1=2e-3), data=tiny_data)

        def near_zero(state) -> float:
            return float((_weights(state).abs() < 1e-2).float().mean())

        assert near_zero(sparse.state_dict) > near_zero(plain.state_dict) + 0.1
        model = build_model("lenet5", in_channels=1, num_classes=10, image_size=28)
        assert torch.isclose(l1_penalty(model), sum(m.weight.abs().sum() for m in model.modules()
                                                    if isinstance(m, nn.Conv2d | nn.Linear)))

    def test_early_stopping_stops_and_restores_the_best_epoch(self, tiny_data) -> None:
        # A high learning rate on 100 images: validation loss turns up within a few epochs.
        config = dataclasses.replace(TINY, epochs=25, lr=1e-2, early_stopping=2)
        run = train_lab(config, data=tiny_data)
        losses = [r["val_loss"] for r in run.history]
        assert run.stopped_early and len(run.history) < config.epochs
        assert run.restored_best and run.best_epoch == 1 + int(np.argmin(losses)) < len(run.history)
        assert all(loss >= losses[run.best_epoch - 1] for loss in losses[run.best_epoch:])
        # The returned weights are the best epoch's: measured afresh, same validation loss as then.
        model = build_model("lenet5", in_channels=1, num_classes=10, image_size=28)
        model.load_state_dict(run.state_dict)
        val = Batches(tiny_data.x_val, tiny_data.y_val, batch_size=64, mean=tiny_data.mean, std=tiny_data.std,
                      device=torch.device("cpu"))
        assert evaluate_batches(model, val, device=torch.device("cpu"))[0] == pytest.approx(
            losses[run.best_epoch - 1], rel=1e-5)
        assert run.final["val_loss"] == losses[run.best_epoch - 1]

    def test_a_stop_takes_effect_after_the_current_batch(self, tiny_data) -> None:
        class StopAtBatch(Callback):
            def __init__(self) -> None:
                self.batches = 0

            def on_batch_end(self, state: FitState, loss: float) -> None:
                self.batches += 1
                if self.batches == 3:
                    state.stop = True

        cb = StopAtBatch()
        run = train_lab(dataclasses.replace(TINY, epochs=10), data=tiny_data, callbacks=[cb])
        assert cb.batches == 3 and run.stopped_by_user and run.history == [] and run.state_dict

    def test_a_stop_mid_epoch_returns_the_last_finished_epoch(self, tiny_data) -> None:
        class StopInEpochTwo(Callback):
            def on_batch_end(self, state: FitState, loss: float) -> None:
                state.stop = state.epoch == 2 and state.step == 2

        run = train_lab(dataclasses.replace(TINY, epochs=5), data=tiny_data, callbacks=[StopInEpochTwo()])
        assert run.stopped_by_user and len(run.history) == 1 and run.best_epoch == 1
        model = build_model("lenet5", in_channels=1, num_classes=10, image_size=28)
        model.load_state_dict(run.state_dict)
        val = Batches(tiny_data.x_val, tiny_data.y_val, batch_size=64, mean=tiny_data.mean, std=tiny_data.std,
                      device=torch.device("cpu"))
        assert evaluate_batches(model, val, device=torch.device("cpu"))[0] == pytest.approx(
            run.history[0]["val_loss"], rel=1e-5)


# --- background jobs ---------------------------------------------------------------------------

class TestJobs:
    def test_stop_ends_a_job_at_once_and_frees_its_slot(self) -> None:
        job = runner.start_job([dataclasses.replace(TINY, epochs=100, train_size=1000)], device="cpu")
        time.sleep(0.5)
        t0 = time.monotonic()
        job.stop()
        assert job.join(timeout=20)
        assert time.monotonic() - t0 < 5
        status = job.status()
        assert status.done and status.stopped and status.error is None
        assert status.finished[0].stopped_by_user
        assert runner.active_jobs() == 0

    def test_thread_setting_is_put_back_for_other_sessions(self) -> None:
        def in_new_thread() -> int:
            seen: list[int] = []
            t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
            t.start()
            t.join()
            return seen[0]

        torch.set_num_threads(2)  # what a server's script threads would start with
        try:
            assert in_new_thread() == 2
            runner.start_job([TINY], device="cpu").join(timeout=60)
            assert in_new_thread() == 2
        finally:
            torch.set_num_threads(1)

    def test_over_the_limit_is_refused_politely(self, monkeypatch) -> None:
        monkeypatch.setattr(runner, "_SLOTS", threading.BoundedSemaphore(1))
        job = runner.start_job([dataclasses.replace(TINY, epochs=100, train_size=1000)], device="cpu")
        try:
            with pytest.raises(runner.LabBusy, match="try again"):
                runner.start_job([TINY], device="cpu")
        finally:
            job.stop()
            job.join(timeout=20)
        runner.start_job([TINY], device="cpu").join(timeout=60)  # the slot is free again

    def test_an_abandoned_job_stops_itself(self) -> None:
        job = runner.start_job([dataclasses.replace(TINY, epochs=100, train_size=1000)], device="cpu",
                               orphan_after=0.5)
        assert job.join(timeout=30)
        assert job.status().stopped

    def test_errors_become_messages(self) -> None:
        job = runner.start_job([LabConfig(dataset="pneumoniamnist", train_size=100, val_size=100)], device="cpu",
                               data_path=__import__("pathlib").Path("/nonexistent.npz"))
        job.join(timeout=30)
        assert job.status().error and "pneumoniamnist.npz" in job.status().error


# --- the tour ------------------------------------------------------------------------------------

def test_tour_baseline_overfits_and_cures_shrink_the_gap() -> None:
    """The lesson, in real numbers, at the quick tour's scale (same model and cures as the full tour)."""
    base = TOUR_QUICK
    steps = tour_configs(base)
    data = load_dataset("mnist", train_size=base.train_size, val_size=base.val_size, seed=base.seed)
    runs = [train_lab(config, data=data) for _, config in steps]
    rows = tour_rows([n for n, _ in steps], runs)
    print("\n" + format_table(rows))
    baseline = rows[0]
    assert baseline["step"] == "baseline" and baseline["train_acc"] >= 90 and baseline["gap"] >= 8
    shrunk = [r["step"] for r in rows[1:] if r["gap_change"] < -1.0]
    assert len(shrunk) >= 3, rows
    # In loss, every cure closes some of the gap, weight decay and L1 included (they make the model
    # less over-confident on its training digits more than they change which digits it gets right).
    assert baseline["loss_gap"] > 0.2
    assert all(r["loss_gap_change"] < 0 for r in rows[1:]), rows


def test_charts_mark_the_gap_the_stop_and_the_restored_epoch() -> None:
    from cnnapps.ui.lab import accuracy_chart, run_markers

    run = train_lab(dataclasses.replace(TINY, epochs=25, lr=1e-2, early_stopping=2),
                    data=load_dataset("mnist", train_size=100, val_size=100, seed=0))
    spec = json.dumps(accuracy_chart(run.history, **run_markers(run)).to_dict())
    assert run.restored_best
    assert '"area"' in spec  # the shaded gap
    assert f"restored best (epoch {run.best_epoch})" in spec
    assert f"early stop (epoch {len(run.history)})" in spec
