"""Sentence sentiment with Kim (2014)'s CNN: predict one or many sentences, and explain one.

Pure functions over a loaded :class:`~cnnapps.models.text_cnn.TextCNN` (which carries its
vocabulary and maximum length); results are frozen dataclasses with no tensors inside.
The model is only read (eval mode, ``torch.inference_mode``), so a cached model can be shared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from cnnapps.device import model_device
from cnnapps.models.text_cnn import TextCNN
from cnnapps.text.tokenize import tokenize
from cnnapps.text.vocab import UNK_INDEX, pad_batch

__all__ = [
    "MAX_CHARS",
    "Explanation",
    "NGram",
    "SentimentResult",
    "TokenWeight",
    "explain",
    "predict",
    "predict_batch",
]

# Characters read from one text before tokenising; the model's own ``max_length`` (tokens) then
# applies. Both limits are stated on the page; a cut text has ``truncated=True``.
MAX_CHARS = 5000


@dataclass(frozen=True)
class SentimentResult:
    text: str  # the input as given
    tokens: tuple[str, ...]  # what the model read (clean_str tokens, after truncation)
    label: str
    index: int
    probability: float  # softmax probability of ``label``, in [0, 1]
    probabilities: tuple[float, ...]  # one per label, in the model's label order
    labels: tuple[str, ...]
    unknown: tuple[str, ...]  # tokens outside the vocabulary (read as <unk>)
    truncated: bool  # the text was longer than MAX_CHARS characters or max_length tokens
    n_tokens: int  # tokens before truncation

    @property
    def no_words(self) -> bool:
        """Nothing the tokenizer keeps (empty, emoji only, non-Latin script only)."""
        return not self.tokens

    @property
    def all_unknown(self) -> bool:
        """Every token is unknown to the model: the answer carries no information."""
        return bool(self.tokens) and len(self.unknown) == len(self.tokens)

    @property
    def note(self) -> str:
        """Why this answer may mean little ("" when nothing to say); for tables."""
        if self.no_words:
            return "no readable words"
        if self.all_unknown:
            return "only unknown words"
        return "truncated" if self.truncated else ""

    def as_row(self) -> dict[str, str | float]:
        """One row of the batch table / CSV download."""
        return {"sentence": self.text, "label": self.label,
                "probability (%)": round(100.0 * self.probability, 2), "note": self.note}


@dataclass(frozen=True)
class TokenWeight:
    token: str
    weight: float  # logit(labels[1]) - logit(labels[0]) this token accounts for; > 0 favours labels[1]
    known: bool


@dataclass(frozen=True)
class NGram:
    text: str
    start: int  # first token's index in ``SentimentResult.tokens``
    width: int  # tokens covered
    weight: float  # summed contribution of the filters whose max-pool this window won


@dataclass(frozen=True)
class Explanation:
    """Which words and n-grams drove the decision (binary models).

    Each pooled feature f contributes ``(W[1, f] - W[0, f]) * h_f`` to the logit difference; that
    share is split evenly over the real tokens of the window that won f's max-pool. So
    ``sum(t.weight for t in tokens) + bias == logit(labels[1]) - logit(labels[0])``.
    """

    result: SentimentResult
    tokens: tuple[TokenWeight, ...]
    top_ngrams: tuple[tuple[NGram, ...], ...]  # per label: windows pushing most toward it
    bias: float  # output bias difference, plus features whose window held no real token


def _prepare(model: TextCNN, text: str) -> tuple[list[str], list[int], bool, int]:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    cut = text[:MAX_CHARS]
    tokens = tokenize(cut)
    n_tokens = len(tokens) if len(text) <= MAX_CHARS else len(tokenize(text))
    truncated = len(text) > MAX_CHARS or len(tokens) > model.max_length
    tokens = tokens[: model.max_length]
    return tokens, model.vocab.encode(tokens), truncated, n_tokens


def _result(text: str, tokens: list[str], ids: list[int], probs: torch.Tensor, labels: tuple[str, ...],
            truncated: bool, n_tokens: int) -> SentimentResult:
    p = [float(v) for v in probs.tolist()]
    index = max(range(len(p)), key=p.__getitem__)
    unknown = tuple(t for t, i in zip(tokens, ids, strict=True) if i == UNK_INDEX)
    return SentimentResult(text, tuple(tokens), labels[index], index, p[index], tuple(p), labels,
                           unknown, truncated, n_tokens)


def _check(model: TextCNN, labels: Sequence[str]) -> tuple[str, ...]:
    labels = tuple(labels)
    if len(labels) != model.config.num_classes:
        raise ValueError(f"{len(labels)} labels for a model with {model.config.num_classes} outputs")
    return labels


def predict_batch(
    model: TextCNN,
    texts: Sequence[str],
    *,
    labels: Sequence[str],
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> list[SentimentResult]:
    """Classify many texts (results in input order). ``progress(done, total)`` after each batch.

    Texts are batched in length order, which pads little; the model masks padding, so the answer
    for a text does not depend on its batch.
    """
    labels = _check(model, labels)
    prepared = [_prepare(model, t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(prepared[i][1]))
    device = model_device(model)
    results: list[SentimentResult | None] = [None] * len(texts)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            x = pad_batch([prepared[i][1] for i in idx], min_length=model.min_length).to(device)
            probs = torch.softmax(model(x).float(), dim=1).cpu()
            for row, i in enumerate(idx):
                tokens, ids, truncated, n = prepared[i]
                results[i] = _result(texts[i], tokens, ids, probs[row], labels, truncated, n)
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
    return [r for r in results if r is not None]


def predict(model: TextCNN, text: str, *, labels: Sequence[str]) -> SentimentResult:
    """Classify one text."""
    return predict_batch(model, [text], labels=labels)[0]


def explain(model: TextCNN, text: str, *, labels: Sequence[str], top_k: int = 5) -> Explanation:
    """Per-token weights and the top ``top_k`` n-grams per label, from the max-pool's winners."""
    labels = _check(model, labels)
    if len(labels) != 2:
        raise ValueError("explain() supports two-class models (it splits a logit difference)")
    tokens, ids, truncated, n_tokens = _prepare(model, text)
    device = model_device(model)
    with torch.inference_mode():
        x = pad_batch([ids], min_length=model.min_length).to(device)
        trace = model.trace(x)
        w = model.fc.weight.float()
        direction = (w[1] - w[0]).cpu()
        bias = float(model.fc.bias[1] - model.fc.bias[0])
        probs = torch.softmax(trace.logits.float(), dim=1)[0].cpu()
    share = (direction * trace.pooled[0].cpu()).tolist()  # [F] logit-difference per feature
    starts, widths = trace.start[0].cpu().tolist(), trace.width.cpu().tolist()
    n = len(tokens)
    weights = [0.0] * n
    windows: dict[tuple[int, int], float] = {}
    for f, contrib in enumerate(share):
        lo, hi = max(0, starts[f]), min(n, starts[f] + widths[f])
        if hi <= lo:
            bias += contrib  # the window lies wholly in the padding (e.g. an empty text)
            continue
        for t in range(lo, hi):
            weights[t] += contrib / (hi - lo)
        windows[(lo, hi)] = windows.get((lo, hi), 0.0) + contrib
    grams = [NGram(" ".join(tokens[lo:hi]), lo, hi - lo, v) for (lo, hi), v in windows.items()]
    toward_neg = tuple(sorted((g for g in grams if g.weight < 0), key=lambda g: g.weight)[:top_k])
    toward_pos = tuple(sorted((g for g in grams if g.weight > 0), key=lambda g: -g.weight)[:top_k])
    result = _result(text, tokens, ids, probs, labels, truncated, n_tokens)
    token_weights = tuple(TokenWeight(t, wt, i != UNK_INDEX) for t, wt, i in zip(tokens, weights, ids, strict=True))
    return Explanation(result, token_weights, (toward_neg, toward_pos), bias)
