"""User-facing errors: every page catches :class:`CnnappsError` and shows its message.

Anything else that escapes the core is a bug and is shown as one (house rule 7: never swallow an
exception silently, never show a raw traceback to a user for bad input).
"""

from __future__ import annotations

__all__ = ["CnnappsError", "InvalidImage", "InvalidInput", "InvalidText", "WeightsUnavailable"]


class CnnappsError(Exception):
    """Base of the errors whose message is written for the person using the app."""


class InvalidInput(CnnappsError, ValueError):
    """Input we cannot use (a file of the wrong kind, corrupt, empty, too large); subclass per kind."""


class InvalidImage(InvalidInput):
    """The bytes are not an image we can decode (empty, corrupt, too large, wrong type)."""


class InvalidText(InvalidInput):
    """Text input we cannot use (e.g. a binary file uploaded as CSV)."""


class WeightsUnavailable(CnnappsError, RuntimeError):
    """Weights are neither bundled, cached nor downloadable; the message says how to fix it.

    ``reason`` keeps the technical cause (e.g. the resolver's errno text) for a details view,
    apart from the message a user reads.
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason
