"""cnnapps.images.load_image: every input is built here, in memory or in tmp_path (no shared data)."""

from __future__ import annotations

import functools
import io
import struct
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageFile, features

from cnnapps.errors import InvalidImage
from cnnapps.images import MAX_PIXELS, load_image


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def encode_checked(im: Image.Image, fmt: str, mode: str, **params: object) -> bytes:
    """Encode and make sure the file really opens in ``mode``, so the test exercises that path."""
    data = encode(im, fmt, **params)
    with Image.open(io.BytesIO(data)) as reopened:
        assert reopened.mode == mode
    return data


def rgb(im: Image.Image) -> np.ndarray:
    assert im.mode == "RGB"
    return np.asarray(im).astype(int)


def noise_rgb(size: tuple[int, int] = (64, 48), seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


@functools.cache
def black_bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG, written row by row: a huge header costs only a few KB here."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any image data is decoded (only headers may be read)."""

    def load(self: ImageFile.ImageFile) -> None:
        raise AssertionError(f"decoded a {self.size} image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


# --- modes -------------------------------------------------------------------------------------------


def test_rgb_png_is_returned_unchanged() -> None:
    src = noise_rgb()
    out = load_image(encode(src, "PNG"))
    assert out.size == src.size
    np.testing.assert_array_equal(rgb(out), np.asarray(src))


def test_grayscale_l_repeats_the_value_in_each_channel() -> None:
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    out = rgb(load_image(encode_checked(Image.fromarray(gray), "PNG", "L")))
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_la_alpha_is_composited_on_white() -> None:
    pixels = np.array([[[0, 0], [0, 255], [0, 128], [200, 255]]], dtype=np.uint8)  # (L, A)
    out = rgb(load_image(encode_checked(Image.fromarray(pixels), "PNG", "LA")))
    assert out[0, :, 0].tolist() == [255, 0, 127, 200]


def test_pa_alpha_is_composited_on_white() -> None:
    im = Image.new("PA", (2, 1))
    im.putpalette([255, 0, 0, 0, 0, 255])
    im.putpixel((0, 0), (0, 0))  # red, transparent
    im.putpixel((1, 0), (1, 255))  # blue, opaque
    out = rgb(load_image(encode_checked(im, "TIFF", "PA")))
    assert out[0].tolist() == [[255, 255, 255], [0, 0, 255]]


def test_palette_without_transparency_maps_to_palette_colours() -> None:
    im = Image.new("P", (3, 1))
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    im.putdata([0, 1, 2])
    out = rgb(load_image(encode_checked(im, "PNG", "P")))
    assert out[0].tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255]]


def test_palette_with_transparent_index_becomes_white() -> None:
    im = Image.new("P", (2, 1))
    im.putpalette([0, 0, 0, 0, 255, 0])  # index 0 is black: would show black if alpha were dropped
    im.putdata([0, 1])
    data = encode_checked(im, "PNG", "P", transparency=0)
    out = rgb(load_image(data))
    assert out[0].tolist() == [[255, 255, 255], [0, 255, 0]]


def test_rgb_with_transparent_colour_becomes_white() -> None:
    im = Image.new("RGB", (2, 1), (0, 0, 0))
    im.putpixel((1, 0), (10, 20, 30))
    out = rgb(load_image(encode_checked(im, "PNG", "RGB", transparency=(0, 0, 0))))
    assert out[0].tolist() == [[255, 255, 255], [10, 20, 30]]


def test_rgba_transparent_pixels_become_white_not_black() -> None:
    pixels = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [0, 0, 255, 255], [0, 0, 0, 128]]], dtype=np.uint8)
    out = rgb(load_image(encode_checked(Image.fromarray(pixels), "PNG", "RGBA")))
    assert out[0, :3].tolist() == [[255, 255, 255], [255, 255, 255], [0, 0, 255]]
    assert out[0, 3].tolist() == [127, 127, 127]  # half-transparent black on white: mid grey


def test_cmyk_is_converted_to_rgb() -> None:
    im = Image.new("CMYK", (4, 1))
    im.putdata([(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 0, 255), (0, 0, 0, 0)])
    out = rgb(load_image(encode_checked(im, "TIFF", "CMYK")))
    assert out[0].tolist() == [[0, 255, 255], [255, 0, 255], [0, 0, 0], [255, 255, 255]]


@pytest.mark.parametrize(("mode", "fmt", "dtype"), [("I;16", "PNG", "<u2"), ("I;16B", "TIFF", ">u2")])
def test_16_bit_gradient_scales_by_the_dtype_range(mode: str, fmt: str, dtype: str) -> None:
    ramp = np.linspace(0, 65535, 256).round().astype(np.uint16).reshape(16, 16)
    im = Image.frombytes(mode, (16, 16), ramp.astype(dtype).tobytes())
    out = rgb(load_image(encode_checked(im, fmt, mode)))
    gray = out[:, :, 0].ravel()
    assert (out[:, :, 1].ravel() == gray).all()
    assert (out[:, :, 2].ravel() == gray).all()
    assert gray.min() == 0
    assert gray.max() == 255
    assert (np.diff(gray) >= 0).all()  # monotonic
    assert len(np.unique(gray)) > 200  # a real ramp, not saturated
    np.testing.assert_array_equal(gray, np.rint(ramp.ravel() / 257))


def test_16_bit_dark_image_is_not_stretched() -> None:
    # A fixed range, not min/max: a dark 16-bit photo must stay dark.
    im = Image.fromarray(np.full((4, 4), 2570, dtype=np.uint16))
    out = rgb(load_image(encode_checked(im, "PNG", "I;16")))
    assert (out == 10).all()


def test_32_bit_int_is_stretched_from_its_own_min_to_max() -> None:
    values = np.array([[-1000, 0, 499_500, 999_000]], dtype=np.int32)
    out = rgb(load_image(encode_checked(Image.fromarray(values), "TIFF", "I")))
    assert out[0, :, 0].tolist() == [0, 0, 128, 255]  # 0 -> 255*1000/1e6 rounds to 0


def test_float_image_is_stretched_from_its_own_min_to_max() -> None:
    values = np.array([[-1.5, 0.5, 2.5]], dtype=np.float32)
    out = rgb(load_image(encode_checked(Image.fromarray(values), "TIFF", "F")))
    assert out[0, :, 0].tolist() == [0, 128, 255]


def test_constant_float_image_keeps_its_value() -> None:
    out = rgb(
        load_image(encode_checked(Image.fromarray(np.full((2, 2), 300.0, np.float32)), "TIFF", "F"))
    )
    assert (out == 255).all()  # nothing to stretch: the value itself, clipped


def test_bilevel_maps_to_black_and_white() -> None:
    checker = (np.indices((8, 8)).sum(axis=0) % 2).astype(bool)
    out = rgb(load_image(encode_checked(Image.fromarray(checker), "PNG", "1")))
    np.testing.assert_array_equal(out[:, :, 0], np.where(checker, 255, 0))


def test_ycbcr_is_converted_to_rgb() -> None:
    im = Image.new("YCbCr", (2, 1), (100, 128, 128))  # neutral chroma: grey 100
    im.putpixel((1, 0), (76, 85, 255))  # ~ pure red in BT.601 full range
    out = rgb(load_image(encode_checked(im, "TIFF", "YCbCr")))
    assert out[0, 0].tolist() == [100, 100, 100]
    r, g, b = out[0, 1]
    assert r > 240
    assert g < 15
    assert b < 15


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "WEBP", "GIF"])
def test_other_supported_formats_decode_exactly(fmt: str) -> None:
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("this Pillow has no WebP support")
    src = (
        noise_rgb().quantize(64).convert("RGB") if fmt == "GIF" else noise_rgb()
    )  # GIF: 256 colours max
    out = load_image(encode(src, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    np.testing.assert_array_equal(rgb(out), np.asarray(src))


def test_jpeg_decodes_close_to_the_source() -> None:
    src = Image.new("RGB", (32, 32), (200, 30, 60))
    out = rgb(load_image(encode(src, "JPEG", quality=95)))
    assert np.abs(out - np.array([200, 30, 60])).max() <= 3


def test_unsupported_format_is_refused_even_if_pillow_can_read_it() -> None:
    with pytest.raises(InvalidImage, match="not an image we can read"):
        load_image(encode(noise_rgb(), "PPM"))


# --- orientation and frames --------------------------------------------------------------------------


def test_exif_orientation_is_applied() -> None:
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    im.paste((0, 0, 255), (20, 0, 40, 20))  # left half red, right half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to display"
    out = load_image(encode(im, "JPEG", exif=exif, quality=95))
    assert out.size == (20, 40)
    pixels = rgb(out)
    assert pixels[5, 10].tolist() == pytest.approx([255, 0, 0], abs=8)  # the left half is now on top
    assert pixels[35, 10].tolist() == pytest.approx([0, 0, 255], abs=8)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animation_gives_the_first_frame(fmt: str) -> None:
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("this Pillow has no WebP support")
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    params: dict[str, object] = {"save_all": True, "append_images": frames[1:], "duration": 100}
    data = encode(frames[0], fmt, **params, **({"lossless": True} if fmt == "WEBP" else {}))
    with Image.open(io.BytesIO(data)) as check:
        assert getattr(check, "n_frames", 1) == 3
    out = rgb(load_image(data))
    assert (out == [255, 0, 0]).all()


# --- bad input ---------------------------------------------------------------------------------------


def test_empty_bytes() -> None:
    with pytest.raises(InvalidImage, match=r"^The file is empty\.$"):
        load_image(b"")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(InvalidImage, match=r"^The file is empty\.$"):
        load_image(path)


def test_random_bytes() -> None:
    with pytest.raises(InvalidImage, match="not an image we can read") as excinfo:
        load_image(np.random.default_rng(0).bytes(4096))
    assert "JPEG, PNG, BMP, WebP, TIFF, GIF" in str(excinfo.value)
    assert excinfo.value.__cause__ is not None


def test_text_file_with_an_image_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("name,score\nalice,3\n", encoding="utf-8")
    with pytest.raises(InvalidImage, match="not an image we can read"):
        load_image(path)


def test_pdf_bytes() -> None:
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    with pytest.raises(InvalidImage, match="not an image we can read"):
        load_image(pdf)


def test_zip_bytes_even_with_an_image_inside() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("photo.png", encode(noise_rgb(), "PNG"))
    with pytest.raises(InvalidImage, match="not an image we can read"):
        load_image(buf.getvalue())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(fmt: str) -> None:
    data = encode(noise_rgb((128, 128)), fmt)
    with pytest.raises(InvalidImage, match="damaged or incomplete") as excinfo:
        load_image(data[: len(data) // 2])
    assert isinstance(excinfo.value.__cause__, OSError)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # refused, not silently padded with grey


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about corrupt TIFF tags; expected here
def test_corrupted_files_only_ever_raise_invalid_image() -> None:
    # Cut and byte-flipped variants: any outcome but a raw PIL/OS error is acceptable.
    rng = np.random.default_rng(1)
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF"):
        data = encode(
            noise_rgb((32, 32), seed=2).convert("P") if fmt == "GIF" else noise_rgb((32, 32)), fmt
        )
        for cut in rng.integers(1, len(data), 6):
            variants = [data[:cut], data[:cut] + b"\xff" + data[cut + 1 :]]
            for variant in variants:
                try:
                    out = load_image(variant)
                except InvalidImage as err:
                    error: InvalidImage | None = err
                else:
                    error = None
                    assert out.mode == "RGB"
                if error is not None:
                    assert str(error)
                    assert error.__cause__ is not None


def test_pixel_limit_is_checked_from_the_header_before_decoding(no_decoding: None) -> None:
    data = black_bilevel_png(8000, 6000)  # 48 MP: under PIL's own guard, over ours
    with pytest.raises(InvalidImage) as excinfo:
        load_image(data)
    assert str(excinfo.value) == (
        "The image is 8000×6000 = 48 megapixels; the limit is 40. Please upload a smaller image."
    )
    assert MAX_PIXELS == 40_000_000


def test_decompression_bomb_is_refused_quickly(no_decoding: None) -> None:
    data = black_bilevel_png(20_000, 20_000)  # 400 MP: PIL's DecompressionBombError fires in open()
    assert len(data) < 200_000
    limit = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    with pytest.raises(InvalidImage, match=r"megapixels.*Please upload a smaller image") as excinfo:
        load_image(data)
    assert time.perf_counter() - start < 1.0
    assert isinstance(excinfo.value.__cause__, Image.DecompressionBombError)
    assert limit == Image.MAX_IMAGE_PIXELS  # the global guard is left alone


def test_pil_bomb_warning_becomes_an_error_without_touching_global_filters(no_decoding: None) -> None:
    data = black_bilevel_png(10_000, 10_000)  # 100 MP: PIL only warns; we ask for more than that
    filters = list(warnings.filters)
    with pytest.raises(InvalidImage, match="megapixels") as excinfo:
        load_image(data, max_pixels=10**9)
    assert isinstance(excinfo.value.__cause__, Image.DecompressionBombWarning)
    assert warnings.filters == filters


def test_max_pixels_override() -> None:
    data = black_bilevel_png(100, 100)
    with pytest.raises(InvalidImage, match=r"100×100 = 0\.01 megapixels; the limit is 0\.009999\."):
        load_image(data, max_pixels=9_999)
    out = load_image(data, max_pixels=10_000)
    assert out.size == (100, 100)
    assert (rgb(out) == 0).all()


def test_max_pixels_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        load_image(black_bilevel_png(4, 4), max_pixels=0)


# --- sources -----------------------------------------------------------------------------------------


def test_path_str_pathlike_and_bytearray_give_the_same_image(tmp_path: Path) -> None:
    src = noise_rgb()
    path = tmp_path / "photo.png"
    path.write_bytes(encode(src, "PNG"))
    for source in (path, str(path), bytearray(path.read_bytes())):
        np.testing.assert_array_equal(rgb(load_image(source)), np.asarray(src))


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.jpg"
    with pytest.raises(InvalidImage, match=r"There is no image file at .*nope\.jpg") as excinfo:
        load_image(path)
    assert isinstance(excinfo.value.__cause__, FileNotFoundError)


def test_directory_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidImage, match="Cannot read the image file") as excinfo:
        load_image(tmp_path)
    assert isinstance(excinfo.value.__cause__, IsADirectoryError)


def test_result_is_detached_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(encode(noise_rgb(), "PNG"))
    out = load_image(path)
    path.unlink()  # the image must not need the file any more
    assert out.getpixel((0, 0)) == tuple(np.asarray(noise_rgb())[0, 0])
