"""The one error panel every page uses (house rule 7)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from cnnapps.errors import CnnappsError, WeightsUnavailable

__all__ = ["error_panel", "show_error"]

_log = logging.getLogger("cnnapps")


def show_error(err: Exception, *, context: str = "") -> None:
    """Show ``err`` to the user: our own errors verbatim, anything else as a bug report.

    Unexpected exceptions are logged with their traceback on the server, never dumped on the
    page; the page keeps running. A missing-weights error keeps its technical cause (e.g. the
    resolver's errno text) in a details expander, out of the sentence a user reads.
    """
    prefix = f"{context}: " if context else ""
    if isinstance(err, WeightsUnavailable):
        st.warning(prefix + str(err), icon=":material/cloud_off:")
        if err.reason:
            with st.expander("Technical details"):
                st.code(err.reason, language=None)
    elif isinstance(err, CnnappsError):
        st.error(prefix + str(err), icon=":material/error:")
    else:
        _log.exception("unexpected error", exc_info=err)
        st.error(
            f"{prefix}Unexpected error ({type(err).__name__}: {err}). This is a bug in cnnapps; "
            "the details are in the server log. The rest of the app keeps working.",
            icon=":material/bug_report:",
        )


@contextlib.contextmanager
def error_panel(context: str = "") -> Iterator[None]:
    """Run a block; an exception from it is shown with :func:`show_error` and the page goes on.

    Streamlit's own control flow (st.stop, st.rerun) derives from BaseException and passes.
    """
    try:
        yield
    except Exception as err:
        show_error(err, context=context)
