"""pydicom's (and pydicom-data's) own test files, for the DICOM, X-ray and medical-page tests."""

from __future__ import annotations

import pytest


def pydicom_file(name: str) -> str:
    """The path of pydicom's test file ``name``; the calling test skips when it is not installed."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pydicom-data)")
    return path
