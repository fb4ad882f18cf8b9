"""The sentence CNN of Kim (2014), "Convolutional Neural Networks for Sentence Classification", EMNLP.

embeddings -> parallel 1-D convolutions (widths 3, 4, 5; 100 maps each) -> ReLU -> max-over-time
pooling -> dropout 0.5 -> linear -> softmax, with an l2 max-norm of 3 on the output weights
(applied after every optimiser step by :meth:`TextCNN.apply_max_norm`, as Kim rescales ``W``).

Variants (Kim section 3.1):

- ``rand``: embeddings randomly initialised (U[-0.25, 0.25], Kim's code) and trained;
- ``static``: pretrained vectors, kept fixed;
- ``non-static``: pretrained vectors, fine-tuned;
- ``multichannel``: two channels, one static and one fine-tuned copy. "Each filter is applied to
  both channels and the results are added": that is an ordinary convolution over the two channels
  stacked, i.e. ``in_channels = 2 * embed_dim``.

.. note:: Deviation from Kim's code. Kim pads every sentence to the corpus maximum with zero
   vectors, so padding windows (ReLU(bias)) take part in the max-pool and an answer depends on the
   padding. We use a wide convolution (``padding = width - 1``, equivalent to Kim's width-1 zero
   words on each side) and mask the windows that lie wholly in the right-padding, so a sentence gets
   the same answer alone or in a batch of any length.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from cnnapps.text.vocab import PAD_INDEX, Vocab

__all__ = ["VARIANTS", "TextCNN", "TextCNNConfig", "TextCNNTrace"]

Variant = Literal["rand", "static", "non-static", "multichannel"]
VARIANTS: tuple[str, ...] = ("rand", "static", "non-static", "multichannel")


@dataclass
class TextCNNConfig:
    vocab_size: int = 20000  # rows of the embedding table, <pad> and <unk> included
    embed_dim: int = 50  # GloVe 6B 50d (Kim used 300-d word2vec)
    widths: tuple[int, ...] = (3, 4, 5)  # filter windows h (Kim: 3, 4, 5)
    maps: int = 100  # feature maps per width (Kim: 100)
    dropout: float = 0.5  # on the penultimate layer (Kim: 0.5)
    max_norm: float = 3.0  # l2 constraint s on each class's output weight vector (Kim: 3)
    num_classes: int = 2
    variant: Variant = "non-static"
    max_length: int = 200  # tokens kept per sentence at inference (longer input is cut)

    def __post_init__(self) -> None:
        self.widths = tuple(int(w) for w in self.widths)
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if not self.widths or min(self.widths) < 1:
            raise ValueError(f"widths must be positive, got {self.widths}")

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, not tuples), so ``torch.load(weights_only=True)`` reads it."""
        out = asdict(self)
        out["widths"] = list(self.widths)
        return out


@dataclass(frozen=True)
class TextCNNTrace:
    """What the max-pool chose, for explanations (eval mode, no dropout).

    ``pooled``: float32 [B, F] pooled features (F = maps * len(widths));
    ``start``: int64 [B, F] index of the first token of each filter's winning window (may be
    negative or past the sentence for windows that overlap the wide convolution's padding);
    ``width``: int64 [F] the window width of each feature.
    """

    logits: torch.Tensor
    pooled: torch.Tensor
    start: torch.Tensor
    width: torch.Tensor


class TextCNN(nn.Module):
    """Kim's CNN. Input int64 ids [B, L] (right-padded with 0), output logits float32 [B, classes].

    ``vocab`` (a :class:`~cnnapps.text.vocab.Vocab`) and ``config.max_length`` travel with the model,
    so :func:`cnnapps.tasks.sentiment.predict` needs nothing else.
    """

    def __init__(
        self,
        config: TextCNNConfig,
        *,
        vocab: Vocab | None = None,
        pretrained: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.vocab = vocab
        self.temperature = 1.0  # set by from_checkpoint: the output layer is already divided by it
        if vocab is not None and len(vocab) != config.vocab_size:
            raise ValueError(f"vocab has {len(vocab)} words but config.vocab_size={config.vocab_size}")
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD_INDEX)
        self.static_embedding: nn.Embedding | None = None
        channels = 1
        if c.variant == "multichannel":
            self.static_embedding = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD_INDEX)
            channels = 2
        self.convs = nn.ModuleList(
            nn.Conv1d(channels * c.embed_dim, c.maps, w, padding=w - 1) for w in c.widths
        )
        self.dropout = nn.Dropout(c.dropout)
        self.fc = nn.Linear(c.maps * len(c.widths), c.num_classes)
        self._init_embeddings(pretrained)
        self.register_buffer(
            "_widths", torch.tensor([w for w in c.widths for _ in range(c.maps)]), persistent=False
        )

    def _init_embeddings(self, pretrained: torch.Tensor | None) -> None:
        c = self.config
        with torch.no_grad():
            if pretrained is None:
                nn.init.uniform_(self.embedding.weight, -0.25, 0.25)  # Kim's U[-a, a], a = 0.25
            else:
                if tuple(pretrained.shape) != (c.vocab_size, c.embed_dim):
                    raise ValueError(f"pretrained is {tuple(pretrained.shape)}, expected "
                                     f"{(c.vocab_size, c.embed_dim)}")
                self.embedding.weight.copy_(pretrained)
            self.embedding.weight[PAD_INDEX].zero_()
            if self.static_embedding is not None:
                self.static_embedding.weight.copy_(self.embedding.weight)
        if c.variant in ("static",):
            self.embedding.weight.requires_grad_(False)
        if self.static_embedding is not None:
            self.static_embedding.weight.requires_grad_(False)

    @property
    def max_length(self) -> int:
        return self.config.max_length

    @property
    def min_length(self) -> int:
        """Pad at least to the widest filter (Kim pads every sentence)."""
        return max(self.config.widths)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids)
        if self.static_embedding is not None:
            x = torch.cat([self.static_embedding(ids), x], dim=2)
        return x.transpose(1, 2)  # [B, channels*E, L]

    def _pool(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._embed(ids)
        lengths = (ids != PAD_INDEX).sum(dim=1, keepdim=True)  # [B, 1]
        pooled, starts = [], []
        for conv, w in zip(self.convs, self.config.widths, strict=True):
            h = F.relu(conv(x))  # [B, maps, L + w - 1]; position t covers tokens t-w+1 .. t
            t = torch.arange(h.shape[2], device=ids.device)
            valid = (t.unsqueeze(0) < lengths + w - 1).unsqueeze(1)  # [B, 1, T]
            # ReLU output is >= 0, so filling with 0 leaves the max over valid windows unchanged.
            value, arg = h.masked_fill(~valid, 0.0).max(dim=2)
            pooled.append(value)
            starts.append(arg - (w - 1))
        return torch.cat(pooled, dim=1), torch.cat(starts, dim=1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        pooled, _ = self._pool(ids)
        return self.fc(self.dropout(pooled))

    @torch.no_grad()
    def trace(self, ids: torch.Tensor) -> TextCNNTrace:
        """Logits plus the max-pool's winners (call in eval mode)."""
        pooled, start = self._pool(ids)
        return TextCNNTrace(self.fc(pooled), pooled, start, self._widths)

    @torch.no_grad()
    def apply_max_norm(self) -> None:
        """Rescale each class's output weight vector to l2 norm <= ``max_norm`` (Kim's s = 3)."""
        if self.config.max_norm > 0:
            w = self.fc.weight
            w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=self.config.max_norm))

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to rebuild the model, in types ``torch.load(weights_only=True)`` accepts."""
        if self.vocab is None:
            raise ValueError("a TextCNN needs its vocab to be saved")
        state = {k: v.detach().cpu().clone() for k, v in self.state_dict().items()}
        return {"format": "cnnapps.textcnn/1", "config": self.config.to_dict(),
                "vocab": list(self.vocab.itos), "state_dict": state}

    @classmethod
    def from_checkpoint(cls, ckpt: dict[str, Any], *, calibrated: bool = True) -> TextCNN:
        """Rebuild a saved model. A checkpoint may carry a ``temperature`` T (fitted after training
        by ``scripts/calibrate_textcnn.py``); with ``calibrated`` (the default) the output layer
        is divided by T, so every logit is ``z / T``: softmax probabilities become calibrated,
        the predicted class and the explanation's additive split of the logit difference stay
        exact. ``calibrated=False`` gives the trained logits (to refit T)."""
        config = TextCNNConfig(**ckpt["config"])
        model = cls(config, vocab=Vocab(tuple(ckpt["vocab"])))
        model.load_state_dict(ckpt["state_dict"])
        if config.variant == "static":
            model.embedding.weight.requires_grad_(False)
        temperature = float(ckpt.get("temperature", 1.0)) if calibrated else 1.0
        if not temperature > 0:
            raise ValueError(f"a checkpoint's temperature must be > 0, got {temperature}")
        if temperature != 1.0:
            with torch.no_grad():
                model.fc.weight.div_(temperature)
                model.fc.bias.div_(temperature)
        model.temperature = temperature
        return model.eval()

    def extra_repr(self) -> str:
        return f"variant={self.config.variant!r}, vocab={self.config.vocab_size}"


