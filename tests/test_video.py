"""Video decode/encode round trips on clips the tests make (no files, no network)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from cnnapps.errors import CnnappsError
from cnnapps.video import InvalidVideo, VideoInfo, encode_mp4, iter_frames, video_info


def _clip(n: int = 12, h: int = 48, w: int = 64) -> list[np.ndarray]:
    """A white square moving right on a dark-blue background, one step per frame."""
    frames = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[..., 2] = 120
        x = 2 + 3 * i
        f[16:32, x : x + 16] = 255
        frames.append(f)
    return frames


def test_round_trip_h264_mp4():
    frames = _clip()
    data = encode_mp4(iter(frames), fps=10)  # a generator is fine
    assert data[4:8] == b"ftyp"  # an MP4 file
    # faststart: the index (moov) comes before the media data (mdat), so browsers can stream it
    assert data.find(b"moov") < data.find(b"mdat")
    info = video_info(data)
    assert info == VideoInfo(fps=10.0, width=64, height=48, n_frames=12, codec="h264")
    decoded = list(iter_frames(data))
    assert len(decoded) == 12
    for got, want in zip(decoded, frames, strict=True):
        assert got.dtype == np.uint8 and got.shape == (48, 64, 3)
        assert np.abs(got.astype(int) - want.astype(int)).mean() < 6  # lossy, but close
    # the square really moved: its brightest column follows it
    assert decoded[0][24].sum(axis=1).argmax() < decoded[-1][24].sum(axis=1).argmax()


def test_browser_profile(tmp_path):
    import av

    path = tmp_path / "clip.mp4"
    path.write_bytes(encode_mp4(_clip(4), fps=25))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
    assert video_info(path).fps == 25.0  # paths work as well as bytes


def test_odd_size_is_padded_and_ntsc_rate_kept():
    data = encode_mp4(_clip(3, h=47, w=63), fps=30000 / 1001)
    info = video_info(data)
    assert (info.width, info.height) == (64, 48)
    assert abs(info.fps - 29.97) < 0.01


def test_max_frames():
    data = encode_mp4(_clip(10), fps=5)
    assert len(list(iter_frames(data, max_frames=4))) == 4
    assert list(iter_frames(data, max_frames=0)) == []


def test_decodes_other_codecs():
    """An MPEG-4 part 2 AVI (what OpenCV and old cameras write) decodes too."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="avi") as container:
        stream = container.add_stream("mpeg4", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for f in _clip(5):
            for p in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(p)
        for p in stream.encode(None):
            container.mux(p)
    data = out.getvalue()
    info = video_info(data)
    assert info.codec == "mpeg4" and info.width == 64 and info.fps == 8.0
    assert len(list(iter_frames(data))) == 5


@pytest.mark.parametrize(
    "data",
    [b"", b"not a video at all" * 50, bytes(range(256)) * 40],
    ids=["empty", "text", "binary-noise"],
)
def test_bad_bytes_raise_invalid_video(data):
    with pytest.raises(InvalidVideo) as err:
        video_info(data)
    assert isinstance(err.value, CnnappsError) and str(err.value)
    with pytest.raises(InvalidVideo):
        list(iter_frames(data))


def test_audio_only_file_has_no_video_stream():
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for p in stream.encode(frame):
            container.mux(p)
        for p in stream.encode(None):
            container.mux(p)
    with pytest.raises(InvalidVideo, match="no video stream"):
        video_info(out.getvalue())


def test_truncated_file_keeps_decoded_frames_or_raises():
    data = encode_mp4(_clip(12), fps=10)
    # cut into the media data: whatever decodes comes back; nothing decodable is InvalidVideo
    cut = data[: len(data) * 2 // 3]
    try:
        frames = list(iter_frames(cut))
    except InvalidVideo:
        frames = []
    assert len(frames) < 12
    with pytest.raises(InvalidVideo):
        list(iter_frames(data[:200]))  # header only


def test_missing_path(tmp_path):
    with pytest.raises(InvalidVideo, match="No such"):
        video_info(tmp_path / "nope.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InvalidVideo, match="empty"):
        video_info(empty)


def test_encode_rejects_bad_frames():
    with pytest.raises(InvalidVideo):
        encode_mp4([], fps=10)
    with pytest.raises(ValueError):
        encode_mp4(_clip(2), fps=0)
    with pytest.raises(ValueError, match="same size"):
        encode_mp4([_clip(1)[0], _clip(1, h=32, w=32)[0]], fps=10)
    with pytest.raises(ValueError, match="uint8"):
        encode_mp4([np.zeros((8, 8, 3), np.float32)], fps=10)
