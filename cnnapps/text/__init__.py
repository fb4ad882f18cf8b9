"""Text preprocessing for Kim (2014)'s sentence CNN: tokenizer, vocabulary, data readers.

Importing this package is cheap (no torch model, no GloVe); ``cnnapps.text.glove`` and
``cnnapps.text.train`` are imported explicitly where needed (training time only).
"""

from cnnapps.text.tokenize import clean_str, clean_str_kim, tokenize
from cnnapps.text.vocab import PAD, PAD_INDEX, UNK, UNK_INDEX, Vocab, pad_batch

__all__ = [
    "PAD",
    "PAD_INDEX",
    "UNK",
    "UNK_INDEX",
    "Vocab",
    "clean_str",
    "clean_str_kim",
    "pad_batch",
    "tokenize",
]
