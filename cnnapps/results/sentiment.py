"""Sentence-sentiment results and their explanation (which words and n-grams decided)."""

from __future__ import annotations

from dataclasses import dataclass

from cnnapps.results.base import Row
from cnnapps.text.tokenize import has_words

__all__ = ["Explanation", "NGram", "SentimentResult", "TokenWeight"]


@dataclass(frozen=True)
class SentimentResult:
    model_name: str
    device: str
    elapsed_ms: float  # this text's share of its batch's forward pass
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
        """No word the tokenizer keeps (empty, emoji only, non-Latin script only, or punctuation
        alone: a Chinese sentence's full-width comma folds to ","; issue 13)."""
        return not has_words(self.tokens)

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

    def rows(self) -> list[Row]:
        """One row: the text, the label, its probability (0-1) and the note."""
        return [{"text": self.text, "label": self.label, "probability": round(self.probability, 6),
                 "note": self.note}]


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
