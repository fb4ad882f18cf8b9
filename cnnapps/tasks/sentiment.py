"""Sentence sentiment with Kim (2014)'s CNN: predict one or many sentences, and explain one.

Pure functions over a :class:`~cnnapps.loaded.LoadedModel` whose module is a
:class:`~cnnapps.models.text_cnn.TextCNN` (it carries its vocabulary and maximum length); labels
come from the spec. The model is only read (eval mode, ``torch.inference_mode``, the shared
gate), so a cached model can serve every session at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch

from cnnapps.device import synchronise
from cnnapps.loaded import LoadedModel
from cnnapps.models.text_cnn import TextCNN
from cnnapps.results.sentiment import Explanation, NGram, SentimentResult, TokenWeight
from cnnapps.text.tokenize import tokenize
from cnnapps.text.vocab import UNK_INDEX, pad_batch

__all__ = ["MAX_CHARS", "explain", "predict", "predict_batch", "sentiment"]

# Characters read from one text before tokenising; the model's own ``max_length`` (tokens) then
# applies. Both limits are stated on the page; a cut text has ``truncated=True``.
MAX_CHARS = 5000


def _prepare(model: TextCNN, text: str) -> tuple[list[str], list[int], bool, int]:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    cut = text[:MAX_CHARS]
    tokens = tokenize(cut)
    n_tokens = len(tokens) if len(text) <= MAX_CHARS else len(tokenize(text))
    truncated = len(text) > MAX_CHARS or len(tokens) > model.max_length
    tokens = tokens[: model.max_length]
    return tokens, model.vocab.encode(tokens), truncated, n_tokens


def _result(loaded: LoadedModel, elapsed_ms: float, text: str, tokens: list[str], ids: list[int],
            probs: torch.Tensor | list[float], truncated: bool, n_tokens: int, *,
            labels: tuple[str, ...] | None = None, device: str | None = None) -> SentimentResult:
    labels = labels or _labels(loaded)
    p = probs if isinstance(probs, list) else [float(v) for v in probs.tolist()]
    index = max(range(len(p)), key=p.__getitem__)
    unknown = tuple(t for t, i in zip(tokens, ids, strict=True) if i == UNK_INDEX) if UNK_INDEX in ids else ()
    return SentimentResult(loaded.name, device or str(loaded.device), elapsed_ms, text, tuple(tokens),
                           labels[index], index, p[index], tuple(p), labels, unknown, truncated,
                           n_tokens)


def _text_cnn(loaded: LoadedModel) -> TextCNN:
    if loaded.spec.task != "sentiment" or not isinstance(loaded.module, TextCNN):
        raise TypeError(f"{loaded.name} is not a sentiment model (task {loaded.spec.task!r})")
    return loaded.module


def _labels(loaded: LoadedModel) -> tuple[str, ...]:
    labels = loaded.spec.labels or ()
    if len(labels) != loaded.module.config.num_classes:
        raise ValueError(f"{len(labels)} labels for a model with {loaded.module.config.num_classes} outputs")
    return labels


def predict_batch(
    loaded: LoadedModel,
    texts: Sequence[str],
    *,
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> list[SentimentResult]:
    """Classify many texts (results in input order). ``progress(done, total)`` after each batch.

    Texts are batched in length order, which pads little; the model masks padding, so the answer
    for a text does not depend on its batch.
    """
    model = _text_cnn(loaded)
    labels, device = _labels(loaded), str(loaded.device)
    prepared = [_prepare(model, t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(prepared[i][1]))
    results: list[SentimentResult | None] = [None] * len(texts)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        x = pad_batch([prepared[i][1] for i in idx], min_length=model.min_length)
        began = time.perf_counter()
        probs = torch.softmax(loaded(x).float(), dim=1).cpu()
        synchronise(loaded.device)
        each_ms = 1000.0 * (time.perf_counter() - began) / len(idx)
        rows = probs.tolist()  # one conversion per chunk, not one tensor index per text
        for row, i in zip(rows, idx, strict=True):
            tokens, ids, truncated, n = prepared[i]
            results[i] = _result(loaded, each_ms, texts[i], tokens, ids, row, truncated, n,
                                 labels=labels, device=device)
        if progress is not None:
            progress(min(start + batch_size, len(order)), len(order))
    return [r for r in results if r is not None]


def sentiment(loaded: LoadedModel, texts: str | Sequence[str]) -> list[SentimentResult]:
    """The public API: sentiment of one text or many (results in input order)."""
    return predict_batch(loaded, [texts] if isinstance(texts, str) else list(texts))


def predict(loaded: LoadedModel, text: str) -> SentimentResult:
    """Classify one text."""
    return predict_batch(loaded, [text])[0]


def explain(loaded: LoadedModel, text: str, *, top_k: int = 5) -> Explanation:
    """Per-token weights and the top ``top_k`` n-grams per label, from the max-pool's winners."""
    model = _text_cnn(loaded)
    if len(_labels(loaded)) != 2:
        raise ValueError("explain() supports two-class models (it splits a logit difference)")
    tokens, ids, truncated, n_tokens = _prepare(model, text)
    device = loaded.device
    began = time.perf_counter()
    with loaded.shared(), torch.inference_mode():
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
    result = _result(loaded, 1000.0 * (time.perf_counter() - began), text, tokens, ids, probs,
                     truncated, n_tokens)
    token_weights = tuple(TokenWeight(t, wt, i != UNK_INDEX) for t, wt, i in zip(tokens, weights, ids, strict=True))
    return Explanation(result, token_weights, (toward_neg, toward_pos), bias)
