"""Readers for the two sentence data sets of Kim (2014) that we train on, and a batch iterator.

- SST-2 (Socher et al. 2013) as in GLUE: ``train.tsv``/``dev.tsv``/``test.tsv``, header
  ``sentence\\tlabel``, UTF-8. ``test.tsv`` is GLUE's dev set (872 sentences), the split papers report.
- MR, sentence polarity v1.0 (Pang & Lee 2005): ``rt-polarity.pos``/``.neg``, 5,331 lines each,
  **cp1252**. Lines are split on ``b"\\n"`` before decoding: ``str.splitlines()`` also breaks on
  ``\\x85`` (NEL), which gives wrong counts (``../shared/data/README.md``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from cnnapps.text.tokenize import tokenize
from cnnapps.text.vocab import Vocab, pad_batch

__all__ = ["Batches", "LabelledText", "kfold_indices", "read_mr", "read_sst2_split"]


@dataclass(frozen=True)
class LabelledText:
    """Tokenised sentences and their labels (0 negative, 1 positive)."""

    tokens: list[list[str]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: Sequence[int]) -> LabelledText:
        return LabelledText([self.tokens[i] for i in indices], [self.labels[i] for i in indices])


def read_sst2_split(path: Path) -> LabelledText:
    """One GLUE SST-2 ``.tsv`` file; empty sentences (after tokenising) are kept as empty lists."""
    tokens: list[list[str]] = []
    labels: list[int] = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header[:2] != ["sentence", "label"]:
            raise ValueError(f"{path}: expected the header 'sentence<TAB>label', got {header!r}")
        for row in reader:
            if len(row) < 2:
                continue
            tokens.append(tokenize(row[0]))
            labels.append(int(row[1]))
    return LabelledText(tokens, labels)


def _read_cp1252_lines(path: Path) -> list[str]:
    lines = Path(path).read_bytes().split(b"\n")
    return [line.decode("cp1252").strip() for line in lines if line.strip()]


def read_mr(folder: Path) -> LabelledText:
    """MR: positives then negatives, in file order (5,331 + 5,331)."""
    folder = Path(folder)
    pos = _read_cp1252_lines(folder / "rt-polarity.pos")
    neg = _read_cp1252_lines(folder / "rt-polarity.neg")
    return LabelledText([tokenize(s) for s in pos + neg], [1] * len(pos) + [0] * len(neg))


def kfold_indices(n: int, *, folds: int = 10, seed: int = 0) -> list[list[int]]:
    """A seeded random partition of ``range(n)`` into ``folds`` near-equal lists (Kim's CV)."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=gen).tolist()
    return [order[k::folds] for k in range(folds)]


class Batches:
    """Re-iterable mini-batches ``(ids [B, L] int64, labels [B] int64)`` for :func:`cnnapps.training.fit`.

    Shuffled with its own seeded generator (a new order every epoch, the same run to run).
    """

    def __init__(
        self,
        data: LabelledText,
        vocab: Vocab,
        *,
        batch_size: int = 50,
        shuffle: bool = False,
        seed: int = 0,
        min_length: int = 5,
        max_length: int | None = None,
    ) -> None:
        self.ids = [vocab.encode(t, max_length=max_length) for t in data.tokens]
        self.labels = torch.tensor(data.labels, dtype=torch.long)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.min_length = min_length
        self._gen = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return (len(self.ids) + self.batch_size - 1) // self.batch_size

    def _batches(self) -> list[list[int]]:
        n, size = len(self.ids), self.batch_size
        if not self.shuffle:
            return [list(range(s, min(n, s + size))) for s in range(0, n, size)]
        order = torch.randperm(n, generator=self._gen).tolist()
        # Bucketing: sort each pool of 50 random batches by length so a batch pads little (about
        # half the convolution work on SST-2's phrases), then shuffle the batch order.
        pool = size * 50
        batches: list[list[int]] = []
        for p in range(0, n, pool):
            chunk = sorted(order[p : p + pool], key=lambda i: len(self.ids[i]))
            batches += [chunk[s : s + size] for s in range(0, len(chunk), size)]
        perm = torch.randperm(len(batches), generator=self._gen).tolist()
        return [batches[i] for i in perm]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for idx in self._batches():
            x = pad_batch([self.ids[i] for i in idx], min_length=self.min_length)
            yield x, self.labels[idx]
