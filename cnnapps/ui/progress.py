"""A progress bar adapter: the core reports ``(done, total)``; the page shows a bar."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

__all__ = ["progress_bar"]


def progress_bar(text: str) -> tuple[Callable[..., None], Callable[[], None]]:
    """``(update, close)``: ``update(done, total, label=None)`` moves the bar; ``close()`` removes it."""
    bar = st.progress(0.0, text=text)

    def update(done: int, total: int | None, label: str | None = None) -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        bar.progress(fraction, text=label or (f"{text} {done:,} / {total:,}" if total else text))

    return update, bar.empty
