"""Reading DICOM files and showing them the way the standard says (PS3.3 C.11, PS3.4 N.2).

The display pipeline, in the standard's order, each step with pydicom's own function:

1. stored values (``pydicom.pixels.pixel_array``; compressed transfer syntaxes through the
   pylibjpeg / libjpeg / openjpeg plugins and pydicom's RLE decoder),
2. colour: PALETTE COLOR -> ``apply_color_lut``; YBR_FULL(_422) -> ``convert_color_space`` to RGB
   (YBR_ICT / YBR_RCT are undone by the JPEG 2000 decoder itself);
3. grayscale: Modality LUT / rescale slope + intercept -> ``apply_modality_lut`` (e.g. CT -> HU),
4. VOI LUT or window -> ``apply_voi_lut`` / ``apply_windowing`` (file windows, presets, manual),
5. presentation: MONOCHROME1 is inverted (its minimum is white), then scaled to 8 bits.

``read_dicom`` keeps the pixels in modality units (step 3), so the window can change without
decoding again; ``render`` runs steps 4-5 for one frame.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from cnnapps.errors import InvalidInput

__all__ = [
    "PRESETS",
    "DicomImage",
    "DicomSeries",
    "InvalidDicom",
    "MetaRow",
    "Window",
    "deidentify",
    "default_window",
    "histogram",
    "read_dicom",
    "read_series",
    "read_zip",
    "render",
    "render_volume_views",
]

MAX_PIXELS = 300_000_000  # decoded samples per file (~1.2 GB as float32): refuse beyond
MAX_ZIP_BYTES = 1_000_000_000  # uncompressed bytes read from one ZIP (bomb guard)
MAX_ZIP_FILES = 2000


class InvalidDicom(InvalidInput):
    """A file we cannot show as a DICOM image; the message says why in plain words."""


@dataclass(frozen=True)
class Window:
    """A linear VOI window in modality units (HU for CT): PS3.3 C.11.2.1.2."""

    center: float
    width: float
    name: str = "manual"

    @property
    def low(self) -> float:
        return self.center - self.width / 2

    @property
    def high(self) -> float:
        return self.center + self.width / 2


# Common CT windows (centre / width in HU), as radiology references list them (Radiopaedia
# "Windowing (CT)"); on other modalities they are plain numbers in that modality's units.
PRESETS: Mapping[str, Window] = {
    "lung": Window(-600, 1500, "lung"),
    "mediastinum": Window(50, 350, "mediastinum"),
    "bone": Window(400, 1800, "bone"),
    "brain": Window(40, 80, "brain"),
    "abdomen": Window(60, 400, "abdomen"),
    "soft tissue": Window(40, 350, "soft tissue"),
}


@dataclass(frozen=True)
class MetaRow:
    tag: str  # "(0010,0010)"
    keyword: str
    name: str
    vr: str
    value: str  # shown value: "•••" when masked
    masked: bool  # identifying (PS3.15 basic profile attribute, a PN, or private)
    raw: str  # the value itself (shown only when the user reveals it)


@dataclass(frozen=True, eq=False)
class DicomImage:
    """One DICOM file, decoded.

    ``pixels``: grayscale -> float32 ``[frames, rows, columns]`` in modality units (after the
    modality LUT / rescale: HU for CT); colour -> uint8 ``[frames, rows, columns, 3]`` RGB.
    """

    name: str
    modality: str
    photometric: str  # as stored (MONOCHROME1, MONOCHROME2, RGB, YBR_FULL_422, PALETTE COLOR, ...)
    transfer_syntax: str  # its name, e.g. "JPEG 2000 Image Compression (Lossless Only)"
    rows: int
    columns: int
    n_frames: int
    pixels: np.ndarray = field(repr=False)
    is_color: bool
    windows: tuple[Window, ...]  # the file's own windows (Window Center / Width, with explanations)
    has_voi_lut: bool  # the file holds a VOI LUT Sequence
    spacing: tuple[float, float] | None  # (row, column) spacing in mm (Pixel Spacing)
    slice_thickness: float | None
    position: tuple[float, float, float] | None  # Image Position (Patient), mm
    orientation: tuple[float, ...] | None  # Image Orientation (Patient), six direction cosines
    series_uid: str
    body_part: str
    view_position: str
    metadata: tuple[MetaRow, ...] = field(repr=False)
    forced: bool = False  # read without the DICM preamble (force=True): say so on the page
    dataset: Any = field(default=None, repr=False)  # the pydicom Dataset (pixel data dropped)

    @property
    def value_range(self) -> tuple[float, float]:
        return float(self.pixels.min()), float(self.pixels.max())

    def summary(self) -> dict[str, Any]:
        """One plain record (CLI ``dicom info``)."""
        win = self.windows[0] if self.windows else None
        return {
            "file": self.name, "modality": self.modality, "photometric": self.photometric,
            "transfer_syntax": self.transfer_syntax, "rows": self.rows, "columns": self.columns,
            "frames": self.n_frames,
            "window_center": None if win is None else win.center,
            "window_width": None if win is None else win.width,
            "spacing_mm": None if self.spacing is None else "x".join(f"{s:g}" for s in self.spacing),
            "read_without_preamble": self.forced,
            **{r.keyword: r.value for r in self.metadata if r.masked and r.keyword in _SUMMARY_TAGS},
        }


_SUMMARY_TAGS = ("PatientName", "PatientID", "PatientBirthDate", "StudyDate", "InstitutionName")


def _profile_tags() -> frozenset[tuple[int, int]]:
    """Tags of the PS3.15 basic confidentiality profile (Table E.1-1), as dicom-anonymizer lists them."""
    from dicomanonymizer.simpledicomanonymizer import initialize_actions

    return frozenset(t for t in initialize_actions(_PROFILE_VERSION) if len(t) == 2)


_PROFILE_VERSION = "dicomfields_2026c"  # dicom-anonymizer 2.1.0's copy of PS3.15 2026c Table E.1-1
_PROFILE_CACHE: frozenset[tuple[int, int]] | None = None


def _is_identifying(elem: Any) -> bool:
    global _PROFILE_CACHE
    if _PROFILE_CACHE is None:
        _PROFILE_CACHE = _profile_tags()
    return (elem.tag.group, elem.tag.element) in _PROFILE_CACHE or elem.VR == "PN" or elem.tag.is_private


def _metadata(ds: Any) -> tuple[MetaRow, ...]:
    rows = []
    for elem in ds.iterall():
        if elem.tag == 0x7FE00010 or elem.VR in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
            continue
        if elem.VR == "SQ":
            value = f"<{len(elem.value)} item(s)>"
        else:
            value = str(elem.value)
            if len(value) > 120:
                value = value[:117] + "..."
        masked = _is_identifying(elem) and elem.VR != "SQ" and value not in ("", "None")
        rows.append(MetaRow(
            tag=f"({elem.tag.group:04X},{elem.tag.element:04X})", keyword=elem.keyword or "",
            name=elem.name, vr=str(elem.VR), value="•••" if masked else value, masked=masked, raw=value,
        ))
    return tuple(rows)


def _read_bytes(src: bytes | str | Path | IO[bytes]) -> tuple[bytes, str]:
    if isinstance(src, bytes | bytearray):
        return bytes(src), "upload.dcm"
    if isinstance(src, str | Path):
        path = Path(src)
        try:
            return path.read_bytes(), path.name
        except OSError as e:
            raise InvalidDicom(f"Cannot read {path.name}: {e.strerror or e}.") from e
    return src.read(), getattr(src, "name", "upload.dcm")


def _plausible(ds: Any) -> bool:
    """A dataset read with force=True is kept only if it parsed into real DICOM image attributes.

    force=True makes pydicom read any bytes as a stream of elements; a JPEG or a text file then
    yields a few nonsense tags. We require the image-pixel module (Rows, Columns, Pixel Data) or a
    SOP Class UID, and every top-level tag known to the data dictionary or private.
    """
    from pydicom.datadict import dictionary_has_tag

    try:
        tags = list(ds.keys())
    except Exception:
        return False
    if not tags:
        return False
    if not all(dictionary_has_tag(t) or t.is_private or t.element == 0 for t in tags):  # 0: group length
        return False
    return ("PixelData" in ds and "Rows" in ds and "Columns" in ds) or "SOPClassUID" in ds


def _dcmread(data: bytes, name: str) -> tuple[Any, bool]:
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not data:
        raise InvalidDicom(f"{name} is empty.")
    try:
        return pydicom.dcmread(io.BytesIO(data)), False
    except InvalidDicomError:
        pass  # no 128-byte preamble + "DICM": try a raw dataset below
    except Exception as e:  # struct/EOF errors inside the header: a cut file
        raise InvalidDicom(f"{name} could not be read as DICOM: the header is damaged or cut short ({type(e).__name__}).") from e
    if data[:4] == b"DICM":  # the marker without the 128-byte preamble before it
        try:
            return pydicom.dcmread(io.BytesIO(bytes(128) + data)), True
        except Exception as e:
            raise InvalidDicom(f"{name} could not be read as DICOM: the header is damaged or cut short ({type(e).__name__}).") from e
    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except Exception as e:
        raise InvalidDicom(f"{name} is not a DICOM file (no 'DICM' marker, and it does not parse as a DICOM data set).") from e
    if not _plausible(ds):
        raise InvalidDicom(f"{name} is not a DICOM file (no 'DICM' marker, and its bytes do not form DICOM image attributes).")
    if not hasattr(ds, "file_meta") or "TransferSyntaxUID" not in ds.file_meta:
        # A raw data set without file meta: pydicom detected its encoding while reading.
        from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

        ds.file_meta = getattr(ds, "file_meta", pydicom.dataset.FileMetaDataset())
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if ds.original_encoding[0] else ExplicitVRLittleEndian
    return ds, True


def _floats(value: Any) -> list[float]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        value = [value]
    out = []
    for v in value:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            return []
    return out


def _file_windows(ds: Any) -> tuple[Window, ...]:
    centers, widths = _floats(ds.get("WindowCenter")), _floats(ds.get("WindowWidth"))
    expl = ds.get("WindowCenterWidthExplanation")
    expl = [str(e) for e in (expl if isinstance(expl, Sequence) and not isinstance(expl, str) else [expl])] if expl else []
    out = []
    for i, (c, w) in enumerate(zip(centers, widths, strict=False)):
        if w > 0:
            label = expl[i] if i < len(expl) and expl[i] else f"file window {i + 1}"
            out.append(Window(c, w, f"file: {label}"))
    return tuple(out)


def _describe_no_pixels(ds: Any, name: str) -> str:
    sop = ds.get("SOPClassUID")
    kind = getattr(sop, "name", "") if sop else ""
    modality = ds.get("Modality", "")
    what = kind or (f"modality {modality}" if modality else "an unknown kind of object")
    if "Image Storage" in kind or "Rows" in ds:
        return f"{name} is a {kind or 'DICOM image'} file but its pixel data is missing (the file may be truncated)."
    hint = " (a structured report: text and codes, no pixels)" if modality == "SR" or "SR" in kind.split() else ""
    return f"{name} is a DICOM file but holds no image: it is {what}{hint}."


def _decode(ds: Any, name: str) -> np.ndarray:
    from pydicom.pixels import pixel_array

    ts = ds.file_meta.TransferSyntaxUID
    try:
        # as_rgb=False: we convert YBR ourselves, in the pipeline's order (convert_color_space)
        return pixel_array(ds, as_rgb=False)
    except NotImplementedError as e:
        raise InvalidDicom(
            f"{name} uses the transfer syntax '{ts.name}' ({ts}), which no installed decoder "
            "can read (installed: uncompressed, deflate, RLE, JPEG, JPEG-LS, JPEG 2000 via pylibjpeg)."
        ) from e
    except (ValueError, EOFError, OSError, RuntimeError, AttributeError, KeyError, TypeError) as e:
        msg = str(e).lower()
        if "less than expected" in msg or "length" in msg or "truncat" in msg or "short" in msg or "end of" in msg or isinstance(e, EOFError):
            raise InvalidDicom(f"{name}: the pixel data is shorter than the header says (the file is truncated).") from e
        raise InvalidDicom(f"{name}: the pixel data could not be decoded ({ts.name}): {e}") from e


def read_dicom(src: bytes | str | Path | IO[bytes], *, name: str | None = None) -> DicomImage:
    """Read one DICOM file (bytes, path or binary file) into a :class:`DicomImage`.

    Raises :class:`InvalidDicom` with a plain message for: empty or non-DICOM files, damaged or
    truncated files, files without pixel data (structured reports, RT plans...), transfer
    syntaxes no installed plugin decodes, and images too large to hold in memory. A file without
    the 128-byte preamble and "DICM" marker is read with ``force=True`` only when what it parses
    into is a plausible DICOM image (:func:`_plausible`); the result says ``forced=True``.
    """
    from pydicom.pixels import apply_color_lut, apply_modality_lut, convert_color_space

    data, default_name = _read_bytes(src)
    name = name or default_name
    ds, forced = _dcmread(data, name)
    if len(ds) == 0:
        raise InvalidDicom(f"{name} has a DICOM header but no data elements after it (empty or cut short).")
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise InvalidDicom(_describe_no_pixels(ds, name))
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames") or 1)
        spp = int(ds.get("SamplesPerPixel") or 1)
    except (AttributeError, TypeError, ValueError) as e:
        raise InvalidDicom(f"{name}: the image size attributes (Rows, Columns, Number of Frames) are missing or invalid.") from e
    if rows * cols * frames * spp > MAX_PIXELS:
        raise InvalidDicom(f"{name}: {frames} frame(s) of {rows} x {cols} is too large to show here.")
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    arr = _decode(ds, name)
    if frames == 1:
        arr = arr[None]
    is_color = photometric in ("RGB", "PALETTE COLOR") or photometric.startswith("YBR")
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)  # 8 or 16 bits per entry (PS3.3 C.7.6.3.1.5)
        # 16-bit entries; some writers fill them with 8-bit values (PS3.3 C.7.6.3.1.5 allows
        # either), so scale by the range actually used.
        top = 255.0 if int(rgb.max()) <= 255 else 65535.0
        pixels = (rgb.astype(np.float32) * (255.0 / top)).round().clip(0, 255).astype(np.uint8)
    elif photometric.startswith("YBR_FULL"):
        pixels = convert_color_space(arr, "YBR_FULL", "RGB")
        pixels = _to_uint8_rgb(pixels, ds)
    elif is_color:  # RGB, or YBR_ICT / YBR_RCT already undone by the JPEG 2000 decoder
        pixels = _to_uint8_rgb(arr, ds)
    else:
        pixels = apply_modality_lut(arr, ds).astype(np.float32)
    # Keep the header (for windowing, de-identification, the metadata table), not the pixel bytes.
    header = ds.copy()
    for kw in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
        if kw in header:
            del header[kw]
    spacing = _floats(ds.get("PixelSpacing")) or _floats(ds.get("ImagerPixelSpacing"))
    position = _floats(ds.get("ImagePositionPatient"))
    orientation = _floats(ds.get("ImageOrientationPatient"))
    thickness = _floats(ds.get("SliceThickness"))
    return DicomImage(
        name=name, modality=str(ds.get("Modality", "")), photometric=photometric,
        transfer_syntax=ds.file_meta.TransferSyntaxUID.name, rows=rows, columns=cols, n_frames=frames,
        pixels=pixels, is_color=is_color, windows=() if is_color else _file_windows(ds),
        has_voi_lut=(not is_color) and "VOILUTSequence" in ds,
        spacing=(spacing[0], spacing[1]) if len(spacing) == 2 and min(spacing) > 0 else None,
        slice_thickness=thickness[0] if thickness else None,
        position=tuple(position) if len(position) == 3 else None,
        orientation=tuple(orientation) if len(orientation) == 6 else None,
        series_uid=str(ds.get("SeriesInstanceUID", "")), body_part=str(ds.get("BodyPartExamined", "")),
        view_position=str(ds.get("ViewPosition", "")), metadata=_metadata(header), forced=forced,
        dataset=header,
    )


def _to_uint8_rgb(arr: np.ndarray, ds: Any) -> np.ndarray:
    bits = int(ds.get("BitsStored") or 8)
    if arr.dtype == np.uint8 and bits <= 8:
        return arr
    return (arr.astype(np.float64) * (255.0 / (2**bits - 1))).round().clip(0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------- display (steps 4-5)

def default_window(image: DicomImage) -> Window | str:
    """The file's first window, else its VOI LUT ("file LUT"), else the frame's full range."""
    if image.windows:
        return image.windows[0]
    if image.has_voi_lut:
        return "file LUT"
    lo, hi = image.value_range
    return Window((lo + hi) / 2, max(1.0, hi - lo), "full range")


def _voi_dataset(image: DicomImage, window: Window) -> Any:
    """A minimal VOI LUT module carrying ``window`` plus what ``apply_windowing`` needs for its
    output range (Bits Stored, Pixel Representation, rescale or Modality LUT)."""
    from pydicom.dataset import Dataset

    src = image.dataset
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"  # inversion is ours, after the VOI (step 5)
    ds.BitsStored = int(src.get("BitsStored") or 16)
    ds.PixelRepresentation = int(src.get("PixelRepresentation") or 0)
    for kw in ("RescaleSlope", "RescaleIntercept", "ModalityLUTSequence"):
        if kw in src:
            setattr(ds, kw, src[kw].value)
    ds.WindowCenter = float(window.center)
    ds.WindowWidth = max(1.0, float(window.width))
    ds.VOILUTFunction = str(src.get("VOILUTFunction", "LINEAR")) if window.name.startswith("file") else "LINEAR"
    return ds


def _output_range(ds: Any) -> tuple[float, float]:
    """The range apply_windowing maps into (the same rule as pydicom's, PS3.3 C.11.2.1.2)."""
    if ds.get("ModalityLUTSequence"):
        y_min, y_max = 0.0, float(2 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1)
    elif int(ds.PixelRepresentation) == 0:
        y_min, y_max = 0.0, float(2 ** int(ds.BitsStored) - 1)
    else:
        y_min, y_max = float(-(2 ** (int(ds.BitsStored) - 1))), float(2 ** (int(ds.BitsStored) - 1) - 1)
    if ds.get("RescaleSlope") is not None and ds.get("RescaleIntercept") is not None and not ds.get("ModalityLUTSequence"):
        s, b = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        y_min, y_max = sorted((y_min * s + b, y_max * s + b))
    return y_min, y_max


def resolve_window(image: DicomImage, window: Window | str | None) -> Window | str:
    """None -> the default; a preset name -> its Window; "file LUT"; "file N" -> the file's N-th."""
    if window is None:
        return default_window(image)
    if isinstance(window, Window):
        return window
    if window == "file LUT":
        if not image.has_voi_lut:
            raise InvalidDicom(f"{image.name} has no VOI LUT of its own.")
        return window
    if window in PRESETS:
        return PRESETS[window]
    for w in image.windows:
        if w.name == window:
            return w
    known = ", ".join([*PRESETS, *(w.name for w in image.windows)])
    raise InvalidDicom(f"Unknown window {window!r}; choose one of: {known}, or give a centre and width.")


def render(image: DicomImage, *, frame: int = 0, window: Window | str | None = None) -> np.ndarray:
    """8-bit display image of one frame: ``[rows, columns]`` uint8 (grayscale) or ``[rows, columns, 3]``.

    Grayscale: VOI (file LUT via ``apply_voi_lut``, else a window via ``apply_windowing``), then
    MONOCHROME1 inverted, then linearly scaled from the VOI output range to 0..255.
    """
    from pydicom.pixels import apply_voi_lut, apply_windowing

    if not 0 <= frame < image.n_frames:
        raise InvalidDicom(f"{image.name} has {image.n_frames} frame(s); frame {frame} does not exist.")
    arr = image.pixels[frame]
    if image.is_color:
        return arr
    win = resolve_window(image, window)
    if win == "file LUT":
        # LUTs are indexed by integers: modality values of a LUT file are whole numbers
        out = apply_voi_lut(np.rint(arr).astype(np.int64), image.dataset, index=0, prefer_lut=True).astype(np.float64)
        bits = int(image.dataset.VOILUTSequence[0].LUTDescriptor[2])
        lo, hi = 0.0, float(2**bits - 1)
    else:
        vds = _voi_dataset(image, win)
        out = apply_windowing(arr.astype(np.float64), vds)
        lo, hi = _output_range(vds)
    if image.photometric == "MONOCHROME1":
        out = hi + lo - out  # PS3.3 C.7.6.3.1.2: minimum sample value is white
    scaled = (out - lo) * (255.0 / max(hi - lo, 1e-9))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def histogram(image: DicomImage, *, frame: int = 0, bins: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin edges of one grayscale frame's modality values."""
    if image.is_color:
        raise InvalidDicom(f"{image.name} is a colour image: it has no single-channel histogram.")
    return np.histogram(image.pixels[frame], bins=bins)


# ---------------------------------------------------------------------------------------- series

@dataclass(frozen=True, eq=False)
class DicomSeries:
    """Single-frame slices of one series, sorted along the slice normal.

    ``volume``: float32 ``[slices, rows, columns]`` in modality units; ``spacing``: (slice, row,
    column) in mm, the slice spacing measured from the sorted positions.
    """

    slices: tuple[DicomImage, ...]
    volume: np.ndarray = field(repr=False)
    spacing: tuple[float, float, float]
    skipped: tuple[str, ...]  # "name: why" for files left out

    @property
    def first(self) -> DicomImage:
        return self.slices[0]


def _normal(orientation: Sequence[float]) -> np.ndarray:
    row, col = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    return np.cross(row, col)


def read_series(images: Sequence[DicomImage]) -> DicomSeries:
    """Sort the single-frame grayscale images of the largest series by position along the slice
    normal (Image Position (Patient) projected on the cross product of Image Orientation (Patient)'s
    row and column cosines), not by file name; stack them into a volume."""
    skipped: list[str] = []
    groups: dict[str, list[DicomImage]] = {}
    for im in images:
        if im.is_color or im.n_frames != 1 or im.position is None or im.orientation is None:
            skipped.append(f"{im.name}: not a single-frame grayscale slice with a position")
            continue
        groups.setdefault(im.series_uid, []).append(im)
    if not groups:
        raise InvalidDicom("No slices with Image Position/Orientation (Patient): these files do not form a series.")
    series_uid, members = max(groups.items(), key=lambda kv: len(kv[1]))
    for uid, other in groups.items():
        if uid != series_uid:
            skipped += [f"{im.name}: another series" for im in other]
    shape = (members[0].rows, members[0].columns)
    same = [im for im in members if (im.rows, im.columns) == shape]
    skipped += [f"{im.name}: a different image size" for im in members if (im.rows, im.columns) != shape]
    normal = _normal(same[0].orientation)
    keyed = sorted(same, key=lambda im: float(np.dot(normal, im.position)))
    dists = np.array([float(np.dot(normal, im.position)) for im in keyed])
    if len(keyed) > 1:
        steps = np.diff(dists)
        dz = float(np.median(steps)) if np.median(steps) > 0 else (keyed[0].slice_thickness or 1.0)
    else:
        dz = keyed[0].slice_thickness or 1.0
    row_mm, col_mm = keyed[0].spacing or (1.0, 1.0)
    volume = np.stack([im.pixels[0] for im in keyed]).astype(np.float32)
    return DicomSeries(slices=tuple(keyed), volume=volume, spacing=(dz, row_mm, col_mm), skipped=tuple(skipped))


def read_zip(data: bytes, *, name: str = "series.zip") -> list[tuple[str, bytes]]:
    """The files inside a ZIP (folders flattened, hidden files and DICOMDIR left out), bounded in
    count and uncompressed size."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise InvalidDicom(f"{name} is not a readable ZIP file.") from e
    out, total = [], 0
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        for info in infos:
            base = Path(info.filename).name
            if base.startswith(".") or base.upper() == "DICOMDIR" or info.filename.startswith("__MACOSX"):
                continue
            if len(out) >= MAX_ZIP_FILES:
                raise InvalidDicom(f"{name} holds more than {MAX_ZIP_FILES} files.")
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise InvalidDicom(f"{name} unpacks to more than {MAX_ZIP_BYTES // 1_000_000} MB.")
            out.append((info.filename, zf.read(info)))
    if not out:
        raise InvalidDicom(f"{name} holds no files.")
    return out


def render_volume_views(series: DicomSeries, *, index: tuple[int, int, int] | None = None,
                        window: Window | str | None = None) -> dict[str, np.ndarray]:
    """Axial, coronal and sagittal uint8 views through ``index`` = (slice, row, column) (default:
    the centre), each resampled so that one pixel is square in mm (pixel spacing respected)."""
    from PIL import Image

    vol = series.volume
    z, r, c = index or (vol.shape[0] // 2, vol.shape[1] // 2, vol.shape[2] // 2)
    first = series.first
    win = resolve_window(first, window)

    def show(plane: np.ndarray) -> np.ndarray:
        stub = DicomImage(**{**{f: getattr(first, f) for f in first.__dataclass_fields__},
                             "pixels": plane[None], "n_frames": 1, "rows": plane.shape[0], "columns": plane.shape[1]})
        return render(stub, window=win)

    dz, dr, dc = series.spacing
    views = {"axial": (show(vol[z]), dr, dc), "coronal": (show(vol[:, r, :]), dz, dc),
             "sagittal": (show(vol[:, :, c]), dz, dr)}
    out = {}
    for key, (img, sy, sx) in views.items():
        # resample so that both axes have the finer of the two spacings
        unit = min(sy, sx)
        h, w = img.shape
        size = (max(1, round(w * sx / unit)), max(1, round(h * sy / unit)))
        if key != "axial":
            img = img[::-1]  # superior at the top: slice index grows along +normal (towards the head for axial CT)
        out[key] = np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR)) if size != (w, h) else img
    return out


# ------------------------------------------------------------------------------- de-identification

DEID_METHOD = "PS3.15 Basic Profile (dicom-anonymizer 2.1.0, 2026c)"  # LO: at most 64 characters


def deidentify(src: bytes | str | Path | DicomImage | IO[bytes], *, name: str | None = None) -> bytes:
    """A de-identified copy of a DICOM file (bytes), following PS3.15 Annex E's basic profile.

    Uses KitwareMedical's ``dicom-anonymizer`` (its table is the standard's Table E.1-1, versioned
    by DICOM release): X -> removed, Z -> emptied, D -> dummy value, U -> consistent new UIDs,
    private tags removed. We then set Patient Identity Removed = YES and the De-identification
    Method (Code Sequence: DCM 113100, "Basic Application Confidentiality Profile") as Annex E
    requires. Pixel data is kept as it is: text burned into pixels is NOT removed (say so).
    """
    import pydicom
    from dicomanonymizer.simpledicomanonymizer import anonymize_dataset, initialize_actions
    from pydicom.dataset import Dataset

    if isinstance(src, DicomImage):
        raise InvalidDicom("deidentify needs the file's bytes (the decoded image has no pixel data).")
    data, default_name = _read_bytes(src)
    name = name or default_name
    ds, _forced = _dcmread(data, name)
    import contextlib

    actions = initialize_actions(_PROFILE_VERSION)
    with contextlib.redirect_stdout(io.StringIO()):  # the library prints tags it cannot find
        anonymize_dataset(ds, delete_private_tags=True, base_rules_gen=lambda: dict(actions))
    # dicom-anonymizer writes the dummy date 00010101 into X (remove) dates instead of removing
    # them; the profile says remove, so we do.
    for tag, action in actions.items():
        if len(tag) == 2 and action.__name__ == "delete" and tag in ds:
            del ds[tag]
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = DEID_METHOD
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "113100", "DCM", "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = [code]
    if "SOPInstanceUID" in ds and hasattr(ds, "file_meta"):
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buf = io.BytesIO()
    try:
        ds.save_as(buf, enforce_file_format=True)
    except Exception:
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, ds)
    return buf.getvalue()
