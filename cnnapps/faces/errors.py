"""Errors of the face application (messages written for the person using the app)."""

from __future__ import annotations

from cnnapps.errors import CnnappsError, InvalidInput

__all__ = ["GalleryLocked", "InvalidGallery", "NoFaceFound", "PersistenceDisabled", "WrongPassphrase"]


class InvalidGallery(InvalidInput):
    """A gallery file that is not ours, damaged, or made with another embedding model."""


class NoFaceFound(InvalidInput):
    """A photo in which the detector found no face (where one is needed, e.g. to verify)."""


class WrongPassphrase(CnnappsError, PermissionError):
    """The passphrase does not open this gallery (or no gallery has that name: we do not say which)."""


class GalleryLocked(CnnappsError, RuntimeError):
    """The gallery database stayed busy (another session writing) for longer than the timeout."""


class PersistenceDisabled(CnnappsError, RuntimeError):
    """This deployment turned persistent galleries off (CNNAPPS_FACE_PERSISTENCE=off)."""
