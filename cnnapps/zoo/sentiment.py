"""Sentence-sentiment models: Kim (2014)'s CNN trained here on SST-2 and on MR (issue 4).

Both files are bundled (offline) and carry their own vocabulary and GloVe-initialised embedding
rows; ``cnnapps/weights/NOTICE.md`` gives their data, licences, sha256 and metrics.
Retrain with ``python -m cnnapps.text.train`` (see the module docstring for the commands).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from cnnapps.models.text_cnn import TextCNN, TextCNNConfig
from cnnapps.registry import ModelMeta, ModelSpec, WeightsSource, register

__all__: list[str] = []

_KIM = ("Kim, Y. (2014). Convolutional Neural Networks for Sentence Classification. EMNLP. "
        "GloVe: Pennington, Socher & Manning (2014), EMNLP.")
_LABELS = ("negative", "positive")


def _load(paths: Mapping[str, Path]) -> TextCNN:
    # weights_only=True: the file holds only tensors, lists, numbers and strings (house rule 5).
    return TextCNN.from_checkpoint(torch.load(paths["model"], map_location="cpu", weights_only=True))


def _textcnn(
    *, name: str, display_name: str, vocab_size: int, size: int, sha256: str, metric: str,
    accuracy: float, data: str, citation: str, description: str,
) -> ModelSpec:
    def build() -> TextCNN:
        # Untrained, same shape as the shipped file; no vocabulary (predict() needs a loaded model).
        return TextCNN(TextCNNConfig(vocab_size=vocab_size, variant="non-static"))

    return ModelSpec(
        task="sentiment",
        name=name,
        display_name=display_name,
        labels=_LABELS,
        build=build,
        load=_load,
        weights={"model": WeightsSource(filename=f"{name}.pt", sha256=sha256, bundled=True,
                                        size_bytes=size)},
        meta=ModelMeta(
            licence=f"Weights: trained here on {data} with GloVe 6B (PDDL-1.0) initialisation.",
            citation=f"{citation} {_KIM}",
            description=description,
            metrics={metric: accuracy},
        ),
    )


# Values from the trained files: scripts/eval_textcnn.py prints size, sha256 and accuracy.
register(_textcnn(
    name="textcnn_sst2",
    display_name="Kim CNN, movie-review phrases (SST-2)",
    vocab_size=25886,
    size=5_869_332,
    sha256="293a77931538e73962e7fb2f1dd3dc4f4b0cfabf624e306d62b21d330b07a118",
    metric="SST-2 test accuracy (%)",
    accuracy=82.57,
    data="SST-2 (Socher et al. 2013; GLUE distribution)",
    citation="Socher, R. et al. (2013). Recursive Deep Models for Semantic Compositionality Over a "
             "Sentiment Treebank. EMNLP.",
    description="non-static variant, GloVe 50d, trained on SST-2 phrases (train.tsv).",
))

register(_textcnn(
    name="textcnn_mr",
    display_name="Kim CNN, movie-review snippets (MR)",
    vocab_size=28168,
    size=6_366_326,
    sha256="c4fe1725c0dcc3599313c256d06d4003bd2281f4b4ac443148fb895e8db3c02b",
    metric="MR fold-0 held-out accuracy (%)",
    accuracy=79.19,
    data="MR, sentence polarity v1.0 (Pang & Lee 2005)",
    citation="Pang, B. & Lee, L. (2005). Seeing stars: Exploiting class relationships for sentiment "
             "categorization with respect to rating scales. ACL.",
    description="non-static variant, GloVe 50d, trained on 90% of MR (fold 0 of 10 held out).",
))
