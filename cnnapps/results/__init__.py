"""Every result type the tasks return, in one package (one module per application).

Results are frozen dataclasses with no tensors inside (numpy arrays at most), and every one has
``model_name``, ``device``, ``elapsed_ms`` and ``rows()`` (:class:`~cnnapps.results.base.Result`),
so pages, the CLI and CSV/JSON downloads treat them alike.
"""

from cnnapps.results.base import Result, Row
from cnnapps.results.classification import Classification, Prediction
from cnnapps.results.detection import Detections
from cnnapps.results.sentiment import Explanation, NGram, SentimentResult, TokenWeight
from cnnapps.results.xray import XrayFindings

__all__ = [
    "Classification",
    "Detections",
    "Explanation",
    "NGram",
    "Prediction",
    "Result",
    "Row",
    "SentimentResult",
    "TokenWeight",
    "XrayFindings",
]
from cnnapps.results.faces import *  # noqa: E402, F403  (issue 9: face results; names in its __all__)
