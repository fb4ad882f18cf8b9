"""Token weights -> HTML with background colours (no Streamlit; the page passes it to ``st.html``)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from cnnapps.text.tokenize import tokenize

__all__ = ["highlight_html", "highlight_words_html", "probability_bar_html", "word_alignment"]

# Colour-blind-safe pair (Okabe & Ito): blue for labels[1], vermillion for labels[0].
_POS, _NEG = (0, 114, 178), (213, 94, 0)


def highlight_html(tokens: Sequence[str], weights: Sequence[float], *, labels: Sequence[str] = ("negative", "positive"),
                   known: Sequence[bool] | None = None) -> str:
    """One ``<span>`` per token; opacity ∝ |weight| / max |weight|; unknown words struck through.

    ``weights`` > 0 favour ``labels[1]``. The hover text gives each weight (logit units).
    """
    scale = max((abs(w) for w in weights), default=0.0) or 1.0
    spans = []
    for i, (tok, w) in enumerate(zip(tokens, weights, strict=True)):
        rgb = _POS if w > 0 else _NEG
        alpha = min(1.0, abs(w) / scale) * 0.85
        toward = labels[1] if w > 0 else labels[0]
        unknown = known is not None and not known[i]
        style = (f"background: rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.2f}); padding: 0.1em 0.25em; "
                 "border-radius: 0.3em; margin: 0 0.05em; line-height: 2.0;"
                 + (" text-decoration: line-through;" if unknown else ""))
        title = f"{w:+.3f} toward {toward}" + (" (unknown word)" if unknown else "")
        spans.append(f'<span style="{style}" title="{html.escape(title)}">{html.escape(tok)}</span>')
    legend = (f'<div style="font-size: 0.8em; opacity: 0.8; margin-top: 0.5em;">'
              f'<span style="background: rgba({_POS[0]},{_POS[1]},{_POS[2]},0.6); padding: 0 0.3em;">'
              f'{html.escape(labels[1])}</span> '
              f'<span style="background: rgba({_NEG[0]},{_NEG[1]},{_NEG[2]},0.6); padding: 0 0.3em;">'
              f'{html.escape(labels[0])}</span> · stronger colour = larger share of the decision'
              + (" · struck through = unknown word" if known is not None and not all(known) else "")
              + "</div>")
    return f'<div style="font-size: 1.15em;">{" ".join(spans)}</div>{legend}'


def word_alignment(text: str, n_tokens: int) -> list[tuple[str, list[int]]]:
    """The user's own words, each with the indices of the model tokens it became.

    Kim's tokenizer works inside whitespace-separated chunks (it only replaces characters and
    splits clitics and punctuation), so the tokens of a text are the tokens of its chunks in
    order: ``"didn't!"`` -> ``["did", "n't", "!"]``. A chunk with no tokens (emoji, CJK) gets
    ``[]``; tokens past ``n_tokens`` (the model's cut) are dropped.
    """
    out: list[tuple[str, list[int]]] = []
    position = 0
    for chunk in text.split():
        count = len(tokenize(chunk))
        out.append((chunk, [i for i in range(position, position + count) if i < n_tokens]))
        position += count
    return out


def highlight_words_html(text: str, tokens: Sequence[str], weights: Sequence[float], *,
                         labels: Sequence[str] = ("negative", "positive"),
                         known: Sequence[bool] | None = None) -> str:
    """:func:`highlight_html` on the user's own words (``"didn't"``, not ``"did n't"``): each word
    gets the summed weight of its tokens; a word is unknown when all its tokens are."""
    words, word_weights, word_known = [], [], []
    for chunk, idx in word_alignment(text, len(tokens)):
        words.append(chunk)
        word_weights.append(sum(weights[i] for i in idx))
        word_known.append(True if known is None or not idx else any(known[i] for i in idx))
    return highlight_html(words, word_weights, labels=labels, known=None if known is None else word_known)


def probability_bar_html(p_second: float, *, labels: Sequence[str] = ("negative", "positive")) -> str:
    """A two-colour bar in the highlight legend's colours: ``labels[0]`` share in vermillion on the
    left, ``labels[1]`` share in blue on the right, each with its percentage."""
    p = min(1.0, max(0.0, float(p_second)))
    left, right = 100.0 * (1.0 - p), 100.0 * p

    def seg(rgb: tuple[int, int, int], width: float, label: str, align: str) -> str:
        text = f"{html.escape(label)} {width:.1f} %" if width >= 18 else ""
        return (f'<div style="width:{width:.2f}%; background: rgb({rgb[0]},{rgb[1]},{rgb[2]}); color: white; '
                f'text-align:{align}; padding: 0 0.5em; white-space: nowrap; overflow: hidden; '
                f'box-sizing: border-box;">{text}</div>')

    return ('<div role="img" aria-label="' + html.escape(f"{labels[0]} {left:.1f} %, {labels[1]} {right:.1f} %")
            + '" style="display:flex; height:1.6em; line-height:1.6em; border-radius:0.4em; overflow:hidden; '
            'font-size:0.9em; margin: 0.2em 0 0.8em 0;">'
            + seg(_NEG, left, labels[0], "left") + seg(_POS, right, labels[1], "right") + "</div>")
