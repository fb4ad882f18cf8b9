"""Token weights -> HTML with background colours (no Streamlit; the page passes it to ``st.html``)."""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["highlight_html"]

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
