"""DICOM reading and display against pydicom's reference functions, bad input, series, de-identification."""

from __future__ import annotations

import io
import warnings
import zipfile

import numpy as np
import pydicom
import pytest
from dicom_support import pydicom_file
from pydicom.pixels import apply_modality_lut, apply_voi_lut, pixel_array
from pydicom.uid import generate_uid

from cnnapps.medical.dicom import (
    PRESETS,
    InvalidDicom,
    Window,
    deidentify,
    histogram,
    read_dicom,
    read_series,
    read_zip,
    render,
    render_volume_views,
)

warnings.filterwarnings("ignore", module="pydicom")


def _bytes(ds: pydicom.Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


def _linear_window(x: np.ndarray, c: float, w: float, lo: float, hi: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 written out independently of pydicom."""
    out = ((x - (c - 0.5)) / (w - 1) + 0.5) * (hi - lo) + lo
    out[x <= c - 0.5 - (w - 1) / 2] = lo
    out[x > c - 0.5 + (w - 1) / 2] = hi
    return out


def test_ct_rescale_then_window_matches_the_standard():
    path = pydicom_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    im = read_dicom(path)
    hu = apply_modality_lut(ds.pixel_array, ds)
    np.testing.assert_allclose(im.pixels[0], hu, atol=1e-3)  # modality units (HU)
    assert im.modality == "CT" and im.spacing == pytest.approx((0.661468, 0.661468))
    out = render(im, window="lung")
    # signed 16-bit stored, slope 1 intercept -1024: apply_windowing's output range
    lo, hi = -(2**15) - 1024, 2**15 - 1 - 1024
    ref = _linear_window(hu.astype(np.float64), -600, 1500, lo, hi)
    expected = np.clip(np.rint((ref - lo) * 255 / (hi - lo)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(out, expected)
    # a narrower window saturates more pixels
    assert (render(im, window="brain") == 255).sum() > (out == 255).sum()


def test_manual_window_and_file_window():
    im = read_dicom(pydicom_file("MR_small.dcm"))
    assert im.windows and im.windows[0].name.startswith("file")
    a = render(im)  # default: the file's own window
    b = render(im, window=Window(im.windows[0].center, im.windows[0].width))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(InvalidDicom, match="Unknown window"):
        render(im, window="no such preset")


def test_monochrome1_is_inverted():
    ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    mono2 = read_dicom(_bytes(ds), name="m2.dcm")
    ds.PhotometricInterpretation = "MONOCHROME1"
    mono1 = read_dicom(_bytes(ds), name="m1.dcm")
    w = Window(1000, 1500)
    a, b = render(mono2, window=w).astype(int), render(mono1, window=w).astype(int)
    assert np.abs(a + b - 255).max() <= 1  # inverted (up to rounding)


def test_real_monochrome1_chest_radiograph():
    path = pydicom_file("RG1_UNCI.dcm")
    im = read_dicom(path)
    assert im.photometric == "MONOCHROME1" and im.modality == "CR" and (im.rows, im.columns) == (1955, 1841)
    out = render(im)
    # lungs (air: high stored values in MONOCHROME1... dark on screen) darker than the spine
    h, w = out.shape
    lung = out[h // 3: h // 2, w // 5: w // 3].mean()
    spine = out[h // 3: h // 2, w // 2 - 40: w // 2 + 40].mean()
    assert lung < spine


def test_ybr_and_rgb_match_pydicom():
    for name in ("SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_rle_2frame.dcm"):
        path = pydicom_file(name)
        im = read_dicom(path)
        ref = pixel_array(path)  # pydicom's default: YBR converted to RGB
        ref = ref if ref.ndim == 4 else ref[None]
        assert im.is_color
        np.testing.assert_array_equal(im.pixels, ref)
        assert render(im, frame=im.n_frames - 1).shape == (im.rows, im.columns, 3)


def test_palette_colour():
    im = read_dicom(pydicom_file("examples_palette.dcm"))
    assert im.photometric == "PALETTE COLOR" and im.pixels.shape[-1] == 3 and im.pixels.dtype == np.uint8
    assert im.pixels.max() > 200


def test_compressed_syntaxes_decode_to_the_same_pixels():
    ref = read_dicom(pydicom_file("MR_small.dcm")).pixels
    for name in ("MR_small_jp2klossless.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm"):
        im = read_dicom(pydicom_file(name))
        assert im.transfer_syntax != "Explicit VR Little Endian"
        np.testing.assert_array_equal(im.pixels, ref)


def test_multi_frame_and_histogram():
    im = read_dicom(pydicom_file("rtdose.dcm"))
    assert im.n_frames == 15 and im.pixels.shape == (15, 10, 10)
    assert not np.array_equal(render(im, frame=0), render(im, frame=14))
    counts, edges = histogram(im, frame=3, bins=16)
    assert counts.sum() == 100 and len(edges) == 17
    with pytest.raises(InvalidDicom, match="frame"):
        render(im, frame=15)


def test_file_voi_lut():
    path = pydicom_file("vlut_04.dcm")
    ds = pydicom.dcmread(path)
    im = read_dicom(path)
    assert im.has_voi_lut
    out = render(im)
    ref = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds)
    bits = ds.VOILUTSequence[0].LUTDescriptor[2]
    np.testing.assert_array_equal(out, np.rint(ref.astype(np.float64) * 255 / (2**bits - 1)).astype(np.uint8))


# ----------------------------------------------------------------------------------- bad input

@pytest.fixture
def ct_bytes() -> bytes:
    with open(pydicom_file("CT_small.dcm"), "rb") as f:
        return f.read()


def test_truncated(ct_bytes):
    with pytest.raises(InvalidDicom, match="truncated"):
        read_dicom(ct_bytes[: len(ct_bytes) // 2], name="cut.dcm")
    with pytest.raises(InvalidDicom, match="missing|cut short"):
        read_dicom(ct_bytes[:500], name="cut.dcm")


def test_no_preamble_is_read_with_force(ct_bytes):
    im = read_dicom(ct_bytes[128:], name="nopreamble.dcm")  # "DICM" without the preamble
    assert im.forced and im.rows == 128
    im = read_dicom(ct_bytes[132:], name="raw.dcm")  # file meta group first, no marker at all
    assert im.forced and im.rows == 128
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, ds)  # a bare data set: no preamble, no marker, no file meta
    im = read_dicom(fp.getvalue(), name="bare.dcm")
    assert im.forced


def test_no_pixel_data(ct_bytes):
    ds = pydicom.dcmread(io.BytesIO(ct_bytes))
    del ds.PixelData
    with pytest.raises(InvalidDicom, match="pixel data is missing"):
        read_dicom(_bytes(ds), name="nopix.dcm")


def test_unsupported_transfer_syntax(ct_bytes):
    from pydicom.encaps import encapsulate

    ds = pydicom.dcmread(io.BytesIO(ct_bytes))
    ds.PixelData = encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.102"  # MPEG-4 AVC/H.264
    with pytest.raises(InvalidDicom, match="MPEG-4"):
        read_dicom(_bytes(ds), name="video.dcm")


def test_structured_report():
    with pytest.raises(InvalidDicom, match="structured report"):
        read_dicom(pydicom_file("test-SR.dcm"))


@pytest.mark.parametrize("data", [b"", b"\xff\xd8\xff\xe0" + b"JFIF" * 200, b"hello, not a dicom\n" * 50,
                                  bytes(range(256)) * 40])
def test_not_dicom(data):
    with pytest.raises(InvalidDicom):
        read_dicom(data, name="photo.dcm")


def test_bad_zip():
    with pytest.raises(InvalidDicom, match="ZIP"):
        read_zip(b"PK\x03\x04 not really", name="x.zip")


# --------------------------------------------------------------------------------------- series

def _ct_series(n: int = 5, *, oblique: bool = False) -> list[tuple[str, bytes]]:
    base = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    series_uid = generate_uid()
    files = []
    if oblique:  # rows along x, columns along (0, cos, sin): normal (0, -sin, cos)
        c, s = np.cos(0.3), np.sin(0.3)
        orient, normal = [1, 0, 0, 0, c, s], np.array([0, -s, c])
    else:
        orient, normal = [1, 0, 0, 0, 1, 0], np.array([0, 0, 1])
    for k in range(n):
        ds = base.copy()
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.ImageOrientationPatient = orient
        ds.ImagePositionPatient = [float(v) for v in (np.array([-50.0, -50.0, 10.0]) + 2.5 * k * normal)]
        arr = ds.pixel_array.copy()
        arr[0, 0] = k  # mark the slice
        ds.PixelData = arr.tobytes()
        # names sort in the opposite order of the positions
        files.append((f"slice_{n - k:02d}.dcm", _bytes(ds)))
    return files


@pytest.mark.parametrize("oblique", [False, True])
def test_series_sorted_by_position_not_name(oblique):
    files = sorted(_ct_series(oblique=oblique))  # by name: reversed positions
    series = read_series([read_dicom(b, name=n) for n, b in files])
    marks = [int(round(s.pixels[0][0, 0] + 1024)) for s in series.slices]
    assert marks == [0, 1, 2, 3, 4]
    assert series.spacing[0] == pytest.approx(2.5)
    assert series.volume.shape == (5, 128, 128)


def test_zip_series_and_views():
    files = _ct_series(6)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, b in files:
            zf.writestr(f"study/{n}", b)
        zf.writestr("__MACOSX/._junk", b"x")
    members = read_zip(buf.getvalue())
    assert len(members) == 6
    series = read_series([read_dicom(b, name=n) for n, b in members])
    views = render_volume_views(series, window=PRESETS["soft tissue"])
    assert views["axial"].shape == (128, 128)
    # 6 slices 2.5 mm apart vs 0.66 mm pixels: coronal/sagittal stretched to square pixels
    assert views["coronal"].shape == (round(6 * 2.5 / 0.661468), 128)
    assert views["sagittal"].shape == views["coronal"].shape


# ----------------------------------------------------------------------------- de-identification

def _value_for(vr: str, keyword: str):
    from pydicom.dataset import Dataset

    if vr == "SQ":
        item = Dataset()
        item.PatientName = "Inner^Secret"
        return [item]
    return {
        "PN": "Doe^Jane", "DA": "19700101", "TM": "101010", "DT": "19700101101010", "UI": "1.2.826.0.1.3680043.2.1125.1.1",
        "AS": "050Y", "CS": "SECRET", "IS": "7", "DS": "7.5", "US": 7, "SS": 7, "UL": 7, "SL": 7, "FL": 7.5, "FD": 7.5,
        "AT": 0x00100010, "UV": 7, "SV": 7,
    }.get(vr, f"secret {keyword}"[:16])


def test_deidentify_removes_every_profile_tag():
    from dicomanonymizer.simpledicomanonymizer import initialize_actions
    from pydicom.datadict import dictionary_keyword, dictionary_VR, keyword_for_tag

    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    actions = initialize_actions("dicomfields_2026c")
    filled = {}
    for tag, action in actions.items():
        if len(tag) != 2 or tag[0] in (0x0000, 0x0002, 0x7FE0):
            continue
        t = pydicom.tag.Tag(tag)
        try:
            vr = dictionary_VR(t).split(" or ")[0]
            keyword = dictionary_keyword(t)
        except KeyError:
            continue
        if not keyword or vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN") or keyword in (
                "Rows", "Columns", "SOPClassUID"):
            continue
        if keyword in ds and vr == "UI":
            filled[t] = (action.__name__, ds[t].value)
            continue
        ds.add_new(t, vr, _value_for(vr, keyword))
        filled[t] = (action.__name__, ds[t].value)
    ds.add_new(0x00090010, "LO", "ACME private")
    ds.add_new(0x00091001, "LO", "private secret")
    assert len(filled) > 300  # the profile lists several hundred attributes
    out = pydicom.dcmread(io.BytesIO(deidentify(_bytes(ds), name="full.dcm")))
    leaked = []
    for t, (action, before) in filled.items():
        if t not in out:
            continue  # X: removed (allowed for every action but keep)
        after = out[t].value
        if action == "delete":
            leaked.append((keyword_for_tag(t), action, after))
        elif out[t].VR == "SQ":
            if "Inner^Secret" in str(after):
                leaked.append((keyword_for_tag(t), action, "nested name kept"))
        elif after == before and before not in ("", None):
            # Z: empty or a dummy; D: a dummy; U: a new UID -- never the original value
            leaked.append((keyword_for_tag(t), action, after))
    assert not leaked, leaked[:10]
    assert "Doe^Jane" not in str(out) and "secret" not in str(out).lower()
    assert out.PatientIdentityRemoved == "YES"
    assert out.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert not any(el.tag.is_private for el in out)
    # the image itself is untouched
    np.testing.assert_array_equal(out.pixel_array, ds.pixel_array)


def test_metadata_masks_identifying_tags():
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.PatientName = "Doe^Jane"
    im = read_dicom(_bytes(ds), name="ct.dcm")
    rows = {r.keyword: r for r in im.metadata}
    assert rows["PatientName"].masked and rows["PatientName"].value == "•••"
    assert rows["PatientName"].raw == "Doe^Jane"
    assert not rows["Rows"].masked and rows["Rows"].value == "128"
    assert "Doe^Jane" not in str(im.summary())
