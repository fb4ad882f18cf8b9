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

__all__ = ["clean_str", "clean_str_kim", "fold_accents", "tokenize"]

# Kim's first pass: everything but ASCII letters, digits and ( ) , ! ? ' ` becomes a space.
_NOT_KEPT = re.compile(r"[^A-Za-z0-9(),!?'`]")
# Clitic splits, in Kim's order ("'s" -> " 's", "n't" -> " n't", ...).
_CLITICS = [(re.compile(p), r) for p, r in [
    (r"'s", " 's"), (r"'ve", " 've"), (r"n't", " n't"), (r"'re", " 're"), (r"'d", " 'd"),
    (r"'ll", " 'll"),
]]
# Punctuation Kim surrounds with spaces; the replacement is a plain string here (deviation 1).
_PUNCT = re.compile(r"([,!()?])")
_SPACES = re.compile(r"\s{2,}")


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
    if accents:
        text = fold_accents(text)
    text = _NOT_KEPT.sub(" ", text)
    for pattern, repl in _CLITICS:
        text = pattern.sub(repl, text)
    text = _PUNCT.sub(r" \1 ", text)
    text = _SPACES.sub(" ", text).strip()
    return text.lower() if lower else text


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
    cleaned = clean_str(text, lower=lower, accents=accents)
    return cleaned.split(" ") if cleaned else []
