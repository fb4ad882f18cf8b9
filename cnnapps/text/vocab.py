"""Word vocabulary with a minimum count and an ``<unk>`` token, plus encoding and padding.

Index 0 is ``<pad>`` (its embedding row is kept at zero, as Kim's code resets ``Words[0]``) and
index 1 is ``<unk>``; real words follow, most frequent first (ties alphabetical, so a vocabulary
built twice from the same data is identical).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

__all__ = ["PAD", "PAD_INDEX", "UNK", "UNK_INDEX", "Vocab", "pad_batch"]

PAD, UNK = "<pad>", "<unk>"
PAD_INDEX, UNK_INDEX = 0, 1


@dataclass(frozen=True)
class Vocab:
    """An immutable token <-> index map. Build with :meth:`build`; store as ``list(vocab.itos)``."""

    itos: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.itos[:2] != (PAD, UNK):
            raise ValueError(f"a Vocab starts with {PAD!r}, {UNK!r}; got {self.itos[:2]!r}")
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("a Vocab has no duplicate tokens")
        object.__setattr__(self, "_stoi", {tok: i for i, tok in enumerate(self.itos)})

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        *,
        min_count: int = 1,
        extra: Iterable[str] = (),
    ) -> Vocab:
        """Words seen at least ``min_count`` times in ``sentences`` (token lists), then ``extra``.

        ``extra`` adds words not (often enough) in the training data, e.g. the most frequent
        words of the pretrained vectors, so that a sentence typed into the app finds them.
        """
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        counts = Counter(tok for sent in sentences for tok in sent)
        words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
        seen = {PAD, UNK, *words}
        for word in extra:
            if word not in seen:
                seen.add(word)
                words.append(word)
        return cls(itos=(PAD, UNK, *(w for w in words if w not in (PAD, UNK))))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi  # type: ignore[attr-defined]

    def index(self, token: str) -> int:
        return self._stoi.get(token, UNK_INDEX)  # type: ignore[attr-defined]

    def encode(self, tokens: Sequence[str], *, max_length: int | None = None) -> list[int]:
        """Token indices, unknown words as ``UNK_INDEX``, cut to ``max_length`` tokens if given."""
        get = self._stoi.get  # type: ignore[attr-defined]
        if max_length is not None:
            tokens = tokens[:max_length]
        return [get(tok, UNK_INDEX) for tok in tokens]


def pad_batch(
    sequences: Sequence[Sequence[int]], *, min_length: int = 5, max_length: int | None = None
) -> torch.Tensor:
    """Right-pad index lists with ``PAD_INDEX`` into an int64 tensor [batch, length].

    ``length`` is the longest sequence, at least ``min_length`` (use the widest filter, so a
    one-word sentence still fills a width-5 window: Kim pads every sentence) and at most
    ``max_length`` (longer sequences are cut).
    """
    longest = max((len(s) for s in sequences), default=0)
    length = max(longest, min_length)
    if max_length is not None:
        length = min(length, max(max_length, min_length))
    if not sequences:
        return torch.full((0, length), PAD_INDEX, dtype=torch.long)
    # One tensor from padded lists: a torch.tensor call per row cost more than the rows' copy.
    rows = [list(seq[:length]) + [PAD_INDEX] * (length - min(len(seq), length)) for seq in sequences]
    return torch.tensor(rows, dtype=torch.long)
