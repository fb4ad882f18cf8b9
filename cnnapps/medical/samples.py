"""Sample DICOM files for the page and tests: pydicom's own test files (MIT-licensed package data)
and pydicom-data's (MIT), found through ``pydicom.data.get_testdata_file`` at call time.

Nothing is bundled in cnnapps: pydicom ships its files, and pydicom-data is an optional
requirement; samples whose file is not installed are simply not offered.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DicomSample", "available_samples", "sample_files"]


@dataclass(frozen=True)
class DicomSample:
    key: str
    caption: str
    files: tuple[str, ...]  # pydicom test-file names, or "dir:<folder under test_files>"


SAMPLES: tuple[DicomSample, ...] = (
    DicomSample("chest_cr", "Chest radiograph, CR 1955 x 1841, MONOCHROME1 (pydicom-data RG1_UNCI)",
                ("RG1_UNCI.dcm",)),
    DicomSample("chest_cr_j2k", "The same chest CR, JPEG 2000 lossless (RG1_J2KR)", ("RG1_J2KR.dcm",)),
    DicomSample("ct", "CT slice 128 x 128, rescaled to HU (CT_small)", ("CT_small.dcm",)),
    DicomSample("ct_512", "CT slice 512 x 512 (pydicom-data 693_UNCI)", ("693_UNCI.dcm",)),
    DicomSample("mr", "MR slice 64 x 64 (MR_small)", ("MR_small.dcm",)),
    DicomSample("mr_multiframe", "MR, 10 frames (pydicom-data emri_small)", ("emri_small.dcm",)),
    DicomSample("us_palette", "Ultrasound, PALETTE COLOR (examples_palette)", ("examples_palette.dcm",)),
    DicomSample("us_ybr", "Ultrasound, YBR_FULL_422 JPEG, 30 frames (examples_ybr_color)", ("examples_ybr_color.dcm",)),
    DicomSample("rtdose", "RT dose, 15 frames (rtdose)", ("rtdose.dcm",)),
    DicomSample("ct_series", "CT series, 5 slices of 16 x 16 (pydicom dicomdirtests 98892001/CT5N)",
                ("dir:dicomdirtests/98892001/CT5N",)),
)


def _resolve(name: str) -> list[Path]:
    from pydicom.data import get_testdata_file

    if name.startswith("dir:"):
        base = get_testdata_file("CT_small.dcm")
        if base is None:
            return []
        folder = Path(os.path.dirname(base)) / name[4:]
        return [Path(p) for p in sorted(glob.glob(str(folder / "*"))) if Path(p).is_file()]
    path = get_testdata_file(name)
    return [Path(path)] if path else []


def sample_files(sample: DicomSample) -> list[Path]:
    out: list[Path] = []
    for name in sample.files:
        out += _resolve(name)
    return out


def available_samples() -> list[DicomSample]:
    """Samples whose files are installed (pydicom-data's only when that package is)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_testdata_file warns when it cannot download
        return [s for s in SAMPLES if sample_files(s)]
