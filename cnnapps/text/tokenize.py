"""Kim (2014)'s sentence preprocessing, ``clean_str`` from ``yoonkim/CNN_sentence/process_data.py``.

Two deliberate deviations from a verbatim Python 3 port, both tested in ``tests/test_text_tokenize.py``:

1. **The backslash quirk is fixed.** The original replaces ``(`` with the template ``" \\( "``. In a
   ``re.sub`` replacement, ``\\(`` is an unknown escape of a non-letter, which Python keeps as the
   two characters backslash + paren, so a literal port turns ``"a(b)"`` into ``'a \\\\( b \\\\) '``.
   The tokens ``\\(``, ``\\)`` and ``\\?`` exist in no word-vector vocabulary (GloVe has ``(``, ``)``
   and ``?``), so we emit the bare characters. :func:`clean_str_kim` keeps the literal port for
   reference and for the test that documents the difference.
2. **Accents are folded before the ASCII filter** (NFKD, combining marks dropped), so
   ``"clichés"`` becomes ``cliches`` instead of Kim's ``clich s``; other non-Latin characters
   (emoji, CJK, Cyrillic) are removed exactly as Kim's first regex removes them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["clean_str", "clean_str_kim", "fold_accents", "has_words", "tokenize", "word_tokens"]

# Kim's first pass: everything but ASCII letters, digits and ( ) , ! ? ' ` becomes a space.
_NOT_KEPT = re.compile(r"[^A-Za-z0-9(),!?'`]")
# The same pass for ASCII text as a byte table: ``bytes.translate`` is a C table lookup, several
# times faster than the regex (most input is ASCII).
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789(),!?'`")
_NOT_KEPT_ASCII = bytes(c if c in _KEPT else 32 for c in range(256))
# Clitic splits, in Kim's order ("'s" -> " 's", "n't" -> " n't", ...). Kim's patterns are
# literals, so ``str.replace`` does exactly what his ``re.sub`` calls do, in C.
_CLITICS = (("'s", " 's"), ("'ve", " 've"), ("n't", " n't"), ("'re", " 're"), ("'d", " 'd"),
            ("'ll", " 'll"))
# Punctuation Kim surrounds with spaces (plain characters: deviation 1). Five ``str.replace``
# calls do ``re.sub(r"([,!()?])", r" \1 ", s)`` without re's per-match template expansion, which
# was the biggest cost of tokenising (issue 13: predict_batch at 0.5-0.7x the raw model call).
_PUNCT = tuple((c, f" {c} ") for c in ",!()?")


def fold_accents(text: str) -> str:
    """``"Clichés naïve"`` -> ``"Cliches naive"``: NFKD, then combining marks dropped."""
    if text.isascii():  # most English input: skip the per-character pass (half of tokenising time)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_str(text: str, *, lower: bool = True, accents: bool = True) -> str:
    """Kim's ``clean_str`` with the backslash quirk fixed; returns space-separated tokens.

    Args:
        text: any Unicode string.
        lower: lowercase the result (Kim lowercases for every data set but TREC; GloVe 6B is lowercase).
        accents: fold accents first (deviation 2 above); ``False`` gives Kim's behaviour.
    """
    return " ".join(_tokens(text, lower=lower, accents=accents))


def _tokens(text: str, *, lower: bool, accents: bool) -> list[str]:
    if accents:
        text = fold_accents(text)
    if text.isascii():
        text = text.encode("ascii").translate(_NOT_KEPT_ASCII).decode("ascii")
    else:
        text = _NOT_KEPT.sub(" ", text)
    if "'" in text:
        for pattern, repl in _CLITICS:
            text = text.replace(pattern, repl)
    for char, spaced in _PUNCT:
        if char in text:
            text = text.replace(char, spaced)
    if lower:
        text = text.lower()  # ASCII only by now, so lowering before the split changes nothing
    # Only spaces are left as whitespace: split() is Kim's ``\s{2,}`` -> " " plus strip() and split.
    return text.split()


def clean_str_kim(string: str, TREC: bool = False) -> str:  # noqa: N803 (Kim's signature)
    """Verbatim Python 3 port of Kim's ``clean_str``, backslashes and all (reference only)."""
    string = re.sub(r"[^A-Za-z0-9(),!?\'\`]", " ", string)
    string = re.sub(r"\'s", " \'s", string)
    string = re.sub(r"\'ve", " \'ve", string)
    string = re.sub(r"n\'t", " n\'t", string)
    string = re.sub(r"\'re", " \'re", string)
    string = re.sub(r"\'d", " \'d", string)
    string = re.sub(r"\'ll", " \'ll", string)
    string = re.sub(r",", " , ", string)
    string = re.sub(r"!", " ! ", string)
    string = re.sub(r"\(", " \\( ", string)  # the template keeps "\(" in Python 3 (the quirk)
    string = re.sub(r"\)", " \\) ", string)
    string = re.sub(r"\?", " \\? ", string)
    string = re.sub(r"\s{2,}", " ", string)
    return string.strip() if TREC else string.strip().lower()


def tokenize(text: str, *, lower: bool = True, accents: bool = True) -> list[str]:
    """``clean_str`` split on spaces: ``"It isn't bad!"`` -> ``["it", "is", "n't", "bad", "!"]``."""
    return _tokens(text, lower=lower, accents=accents)


def word_tokens(tokens: Sequence[str]) -> list[str]:
    """The tokens that are words: at least one letter or digit (``","`` and ``"!"`` are not).

    A Chinese sentence keeps no Chinese characters, but its full-width comma folds (NFKD) to
    ``","``: the model then reads punctuation alone, and its answer means nothing.
    """
    return [t for t in tokens if any(ch.isalnum() for ch in t)]


def has_words(tokens: Sequence[str]) -> bool:
    """True when at least one token is a word (see :func:`word_tokens`)."""
    return any(ch.isalnum() for t in tokens for ch in t)
