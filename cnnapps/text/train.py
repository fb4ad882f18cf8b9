"""Train Kim (2014)'s sentence CNN on SST-2 or MR, through :func:`cnnapps.training.fit`.

    python -m cnnapps.text.train --dataset sst2 --data-dir ../shared/data/sst2 --variant non-static \\
        --out cnnapps/weights/textcnn_sst2.pt
    python -m cnnapps.text.train --dataset mr --data-dir ../shared/data/mr --variant rand --folds 10

SST-2: train on ``train.tsv``, early-stop on ``dev.tsv``, report ``test.tsv`` (872 sentences).
MR: k-fold cross-validation as in the paper (10 folds; each fold's training part loses a random
10% to a validation set for early stopping, as Kim's code does). ``--out`` on MR saves the fold-0
model, whose held-out accuracy is then an honest test number for the shipped file.

Results go to a JSON-lines file (``--results``) that ``scripts/eval_textcnn.py`` turns into the table.
:func:`train_text_cnn` is the importable core; this module prints only in ``main``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from cnnapps.models.text_cnn import VARIANTS, TextCNN, TextCNNConfig
from cnnapps.text.data import Batches, LabelledText, kfold_indices, read_mr, read_sst2_split
from cnnapps.text.vocab import PAD_INDEX, Vocab
from cnnapps.training import Callback, FitConfig, History, evaluate, fit, save_checkpoint

__all__ = ["KIM_INIT_STD", "main", "pretrained_matrix", "train_text_cnn"]

# Tokens clean_str can emit; GloVe words with other characters ("u.s.", "e-mail") can never match.
_EMITTABLE = set("abcdefghijklmnopqrstuvwxyz0123456789(),!?'`")


# Standard deviation of Kim's random init U[-0.25, 0.25]. GloVe 6B 50d components have std 0.64,
# about 4.5x that (and ~5x word2vec's, which Kim used): Adadelta's steps are absolute (they start
# near sqrt(eps)), so at GloVe's scale the fine-tuning barely moves the vectors, and the
# non-static model scored below rand (SST-2 80.8 vs 83.0, MR 75.0 vs 77.4 in our first runs).
# Rescaling the vectors (directions, hence similarities, unchanged) restores Kim's regime.
KIM_INIT_STD = 0.25 / math.sqrt(3.0)


def pretrained_matrix(
    vocab: Vocab, words: Sequence[str], vectors: np.ndarray, *, seed: int = 0,
    target_std: float | None = KIM_INIT_STD,
) -> tuple[torch.Tensor, int]:
    """GloVe rows for ``vocab`` (float32 [len(vocab), dim]) and how many words were found.

    With ``target_std``, all vectors are scaled by one factor so their component std equals it
    (``None``: GloVe's own scale). Words without a vector get U[-a, a] with a chosen so that their
    variance matches the (scaled) pretrained vectors' (Kim's rule for words missing from
    word2vec); ``<pad>`` is zero.
    """
    index = {w: i for i, w in enumerate(words)}
    scale = 1.0 if target_std is None else target_std / float(vectors[: 100000].std())
    a = float(math.sqrt(3.0 * vectors[: 100000].var(axis=0).mean())) * scale
    gen = torch.Generator().manual_seed(seed)
    out = (torch.rand(len(vocab), vectors.shape[1], generator=gen) * 2 - 1) * a
    found = 0
    for i, word in enumerate(vocab.itos):
        j = index.get(word)
        if j is not None:
            out[i] = torch.from_numpy(np.asarray(vectors[j], dtype=np.float32)) * scale
            found += 1
    out[PAD_INDEX] = 0.0
    return out, found


def train_text_cnn(
    train: LabelledText,
    val: LabelledText,
    *,
    variant: str = "non-static",
    glove: tuple[list[str], np.ndarray] | None = None,
    glove_extra: int = 20000,
    glove_std: float | None = KIM_INIT_STD,
    min_count: int = 1,
    batch_size: int = 50,
    fit_config: FitConfig | None = None,
    model_config: dict | None = None,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str = "cpu",
) -> tuple[TextCNN, History]:
    """Build the vocabulary from ``train``, build the model, and fit it; returns (model, history).

    Args:
        glove: (words, vectors) from :func:`cnnapps.text.glove.load_glove`; required for every
            variant but ``rand``.
        glove_std: rescale the pretrained vectors to this component std (see ``KIM_INIT_STD``).
        glove_extra: pretrained variants also get the ``glove_extra`` most frequent GloVe words,
            so words absent from the training data still have a meaning at inference.
        model_config: overrides of :class:`TextCNNConfig` fields (e.g. ``{"maps": 10}`` in tests).
    """
    fit_config = fit_config or FitConfig()
    pretrained = variant != "rand"
    if pretrained and glove is None:
        raise ValueError(f"variant {variant!r} needs pretrained vectors (glove=...)")
    extra: list[str] = []
    if pretrained and glove_extra > 0:
        extra = [w for w in glove[0][: glove_extra * 2] if set(w) <= _EMITTABLE][:glove_extra]
    vocab = Vocab.build(train.tokens, min_count=min_count, extra=extra)
    matrix = None
    if pretrained:
        matrix, _ = pretrained_matrix(vocab, glove[0], glove[1], seed=fit_config.seed,
                                      target_std=glove_std)
    embed_dim = matrix.shape[1] if matrix is not None else (model_config or {}).get("embed_dim", 50)
    cfg = TextCNNConfig(**{"vocab_size": len(vocab), "embed_dim": embed_dim, "variant": variant,
                           **(model_config or {})})
    # The initialisation is part of the seeded run; forked so the process-wide RNG is untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(fit_config.seed)
        model = TextCNN(cfg, vocab=vocab, pretrained=matrix)
    kw = {"min_length": model.min_length}
    history = fit(
        model,
        Batches(train, vocab, batch_size=batch_size, shuffle=True, seed=fit_config.seed, **kw),
        Batches(val, vocab, batch_size=500, **kw) if len(val) else None,
        config=fit_config,
        after_step=model.apply_max_norm,
        callbacks=callbacks,
        device=device,
    )
    return model.cpu().eval(), history


def _accuracy(model: TextCNN, data: LabelledText) -> float:
    batches = Batches(data, model.vocab, batch_size=500, min_length=model.min_length)
    return evaluate(model, batches, device=torch.device("cpu"), prefix="")["accuracy"]


def _split_val(data: LabelledText, *, fraction: float, seed: int) -> tuple[LabelledText, LabelledText]:
    gen = torch.Generator().manual_seed(seed + 7919)
    order = torch.randperm(len(data), generator=gen).tolist()
    n_val = int(round(fraction * len(data)))
    return data.subset(order[n_val:]), data.subset(order[:n_val])


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cnnapps.text.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=("sst2", "mr"), required=True)
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--variant", choices=VARIANTS, default="non-static")
    p.add_argument("--out", type=Path, help="save the (first seed's / fold 0's) model here")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--folds", type=int, default=10, help="MR: k of k-fold CV (paper: 10)")
    p.add_argument("--run-folds", type=int, default=None, help="MR: run only the first n folds")
    p.add_argument("--only-folds", type=int, nargs="+", default=None,
                   help="MR: run just these fold indices (to spread a 10-fold CV over several calls)")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--optimizer", choices=("adadelta", "adam", "sgd"), default="adadelta")
    p.add_argument("--min-count", type=int, default=1)
    p.add_argument("--glove-extra", type=int, default=20000)
    p.add_argument("--glove-std", type=float, default=KIM_INIT_STD,
                   help="rescale GloVe to this component std (<= 0: keep GloVe's own 0.64)")
    p.add_argument("--max-length", type=int, default=200)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (shared machines: 1)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--results", type=Path, default=Path("scripts/textcnn_runs.jsonl"),
                   help="append one JSON line per run here")
    p.add_argument("--verbose", action="store_true", help="print each epoch's metrics")
    return p


class _PrintEpochs(Callback):
    def on_epoch_end(self, state) -> None:  # noqa: ANN001
        shown = " ".join(f"{k}={v:.3f}" for k, v in state.metrics.items())
        print(f"  epoch {state.epoch}: {shown}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    glove = None
    if args.variant != "rand":
        from cnnapps.text.glove import load_glove

        glove = load_glove()
    cbs = [_PrintEpochs()] if args.verbose else []
    model_cfg = {"max_length": args.max_length}

    def run(train: LabelledText, val: LabelledText, test: LabelledText, seed: int) -> tuple[TextCNN, dict]:
        fc = FitConfig(epochs=args.epochs, patience=args.patience, seed=seed,
                       lr=args.lr, optimizer=args.optimizer)
        model, hist = train_text_cnn(train, val, variant=args.variant, glove=glove,
                                     glove_extra=args.glove_extra, min_count=args.min_count,
                                     glove_std=args.glove_std if args.glove_std > 0 else None,
                                     batch_size=args.batch_size, fit_config=fc,
                                     model_config=model_cfg, callbacks=cbs, device=args.device)
        return model, {"test_accuracy": _accuracy(model, test), "best_epoch": hist.best_epoch,
                       "val_accuracy": hist.best_metric, "epochs_run": len(hist.epochs),
                       "seconds": round(hist.seconds, 1), "vocab_size": len(model.vocab)}

    records = []
    if args.dataset == "sst2":
        train = read_sst2_split(args.data_dir / "train.tsv")
        val = read_sst2_split(args.data_dir / "dev.tsv")
        test = read_sst2_split(args.data_dir / "test.tsv")
        for n, seed in enumerate(args.seeds):
            model, rec = run(train, val, test, seed)
            rec.update(seed=seed, fold=None)
            records.append(rec)
            print(json.dumps(rec), flush=True)
            if args.out and n == 0:
                save_checkpoint(model.checkpoint() | {"metrics": {"SST-2 test accuracy (%)": rec["test_accuracy"]}}, args.out)
    else:
        data = read_mr(args.data_dir)
        for n, seed in enumerate(args.seeds):
            folds = kfold_indices(len(data), folds=args.folds, seed=seed)
            for k in args.only_folds or range(args.run_folds or args.folds):
                test_idx = set(folds[k])
                rest = data.subset([i for i in range(len(data)) if i not in test_idx])
                train, val = _split_val(rest, fraction=0.1, seed=seed)
                model, rec = run(train, val, data.subset(folds[k]), seed)
                rec.update(seed=seed, fold=k)
                records.append(rec)
                print(json.dumps(rec), flush=True)
                if args.out and n == 0 and k == 0:
                    metrics = {"MR fold-0 held-out accuracy (%)": rec["test_accuracy"]}
                    save_checkpoint(model.checkpoint() | {"metrics": metrics}, args.out)
    summary = {"dataset": args.dataset, "variant": args.variant, "argv": list(argv or sys.argv[1:]),
               "runs": records, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "threads": args.threads,
               "glove_std": None if args.variant == "rand" or args.glove_std <= 0 else args.glove_std}
    accs = [r["test_accuracy"] for r in records]
    summary["mean"], summary["std"] = float(np.mean(accs)), float(np.std(accs))
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(summary) + "\n")
    print(f"{args.dataset} {args.variant}: {summary['mean']:.2f} +/- {summary['std']:.2f} "
          f"over {len(accs)} run(s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
