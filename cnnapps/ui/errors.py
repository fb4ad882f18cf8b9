"""The one error panel every page uses (house rule 7)."""

from __future__ import annotations

import logging

import streamlit as st

from cnnapps.errors import CnnappsError, WeightsUnavailable

__all__ = ["show_error"]

_log = logging.getLogger("cnnapps")


def show_error(err: Exception, *, context: str = "") -> None:
    """Show ``err`` to the user: our own errors verbatim, anything else as a bug report.

    Unexpected exceptions are logged with their traceback on the server, never dumped on the
    page; the page keeps running.
    """
    prefix = f"{context}: " if context else ""
    if isinstance(err, WeightsUnavailable):
        st.warning(prefix + str(err), icon=":material/cloud_off:")
    elif isinstance(err, CnnappsError):
        st.error(prefix + str(err), icon=":material/error:")
    else:
        _log.exception("unexpected error", exc_info=err)
        st.error(
            f"{prefix}Unexpected error ({type(err).__name__}: {err}). This is a bug in cnnapps; "
            "the details are in the server log. The rest of the app keeps working.",
            icon=":material/bug_report:",
        )
