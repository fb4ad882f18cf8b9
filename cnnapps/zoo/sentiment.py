"""Sentence-sentiment models: Kim (2014)'s CNN trained here on SST-2 and on MR (issue 4).

Both files are bundled (offline) and carry their own vocabulary and GloVe-initialised embedding
rows; ``cnnapps/weights/NOTICE.md`` gives their data, licences, sha256 and metrics.
Retrain with ``python -m cnnapps.text.train`` (see the module docstring for the commands).
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import torch

from cnnapps.models.text_cnn import TextCNN, TextCNNConfig
from cnnapps.registry import ModelSpec, WeightsSource, register

__all__: list[str] = []

_KIM = ("Kim, Y. (2014). Convolutional Neural Networks for Sentence Classification. EMNLP. "
        "GloVe: Pennington, Socher & Manning (2014), EMNLP.")
_LABELS = ("negative", "positive")


def _load(path: Path) -> TextCNN:
    # weights_only=True: the file holds only tensors, lists, numbers and strings (house rule 5).
    return TextCNN.from_checkpoint(torch.load(path, map_location="cpu", weights_only=True))


def _builder(vocab_size: int, variant: str):  # noqa: ANN202
    def build() -> TextCNN:
        # Untrained, same shape as the shipped file; no vocabulary (predict() needs a loaded model).
        return TextCNN(TextCNNConfig(vocab_size=vocab_size, variant=variant))  # type: ignore[arg-type]

    return build


_SST2 = {"vocab_size": 25886, "variant": "non-static", "size": 5868997, "acc": 82.57,
         "sha256": "2190a4e181bca84e6fbe342be5a2f92c97b90eba03a1ffae1d935a840b874621"}
_MR = {"vocab_size": 28168, "variant": "non-static", "size": 6366021, "acc": 79.19,
       "sha256": "3538aefb6137e08a5385994c0be79cb0099a668a84f4f384591922fc3d0eda0c"}

register(ModelSpec(
    task="sentiment",
    name="textcnn_sst2",
    display_name="Kim CNN, movie-review phrases (SST-2)",
    labels=_LABELS,
    build=_builder(_SST2["vocab_size"], _SST2["variant"]),
    load=_load,
    weights=WeightsSource(filename="textcnn_sst2.pt", sha256=_SST2["sha256"], bundled=True,
                          size_bytes=_SST2["size"]),
    licence="Weights: trained here on SST-2 (Socher et al. 2013; GLUE distribution) with GloVe 6B "
            "(PDDL-1.0) initialisation.",
    citation="Socher, R. et al. (2013). Recursive Deep Models for Semantic Compositionality Over a "
             "Sentiment Treebank. EMNLP. " + _KIM,
    description=f"{_SST2['variant']} variant, GloVe 50d, trained on SST-2 phrases (train.tsv).",
    metrics=MappingProxyType({} if _SST2["acc"] is None else {"SST-2 test accuracy (%)": _SST2["acc"]}),
))

register(ModelSpec(
    task="sentiment",
    name="textcnn_mr",
    display_name="Kim CNN, movie-review snippets (MR)",
    labels=_LABELS,
    build=_builder(_MR["vocab_size"], _MR["variant"]),
    load=_load,
    weights=WeightsSource(filename="textcnn_mr.pt", sha256=_MR["sha256"], bundled=True,
                          size_bytes=_MR["size"]),
    licence="Weights: trained here on MR, sentence polarity v1.0 (Pang & Lee 2005) with GloVe 6B "
            "(PDDL-1.0) initialisation.",
    citation="Pang, B. & Lee, L. (2005). Seeing stars: Exploiting class relationships for sentiment "
             "categorization with respect to rating scales. ACL. " + _KIM,
    description=f"{_MR['variant']} variant, GloVe 50d, trained on 90% of MR (fold 0 of 10).",
    metrics=MappingProxyType({} if _MR["acc"] is None else {"MR fold-0 held-out accuracy (%)": _MR["acc"]}),
))
