"""Video in and out: decode user files to RGB frames, encode frames to an MP4 that browsers play.

Built on PyAV (FFmpeg's libraries, wheels on PyPI with libx264 inside), not OpenCV: OpenCV's
``VideoWriter`` in the opencv-python wheels has no H.264 encoder (only MPEG-4 part 2 ``mp4v``,
which Chrome and Firefox refuse to play in a ``<video>`` tag), and it reads only from paths,
not bytes. Browsers play H.264 (High profile), yuv420p, in MP4 with the index at the front
(``movflags=+faststart``), so that is what :func:`encode_mp4` writes.

Every decoding failure (empty file, not a video, no video stream, corrupt data, a codec FFmpeg
cannot decode) becomes :class:`InvalidVideo` with a message written for the user.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from cnnapps import errors

__all__ = ["InvalidVideo", "VideoInfo", "encode_mp4", "iter_frames", "video_info"]

# Core v2 adds errors.InvalidInput (generic bad input); subclass it when it is there.
_BASE = getattr(errors, "InvalidInput", errors.CnnappsError)

# Refuse frames bigger than 8K UHD: a 16k x 16k frame is 768 MB of RGB and no camera makes one.
MAX_SIDE = 8192


class InvalidVideo(_BASE, ValueError):  # type: ignore[misc,valid-type]
    """The bytes are not a video we can decode (empty, corrupt, no video stream, unknown codec)."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about its first video stream.

    fps: frames per second (average rate); width/height: pixels of the decoded frames;
    n_frames: frame count from the container, or an estimate from duration x fps when the
    container does not store it (0 when neither is known); codec: FFmpeg's codec name ("h264").
    """

    fps: float
    width: int
    height: int
    n_frames: int
    codec: str


def _open(src: bytes | str | Path):
    """Open a container for reading; the caller closes it."""
    import av

    if isinstance(src, (bytes, bytearray, memoryview)):
        if len(src) == 0:
            raise InvalidVideo("The video file is empty (0 bytes).")
        handle: object = io.BytesIO(bytes(src))
    else:
        path = Path(src)
        if not path.is_file():
            raise InvalidVideo(f"No such video file: {path}")
        if path.stat().st_size == 0:
            raise InvalidVideo(f"The video file is empty (0 bytes): {path.name}")
        handle = str(path)
    try:
        container = av.open(handle, mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise InvalidVideo(
            "This file is not a video we can read (supported: MP4, MOV, AVI, WebM, MKV with "
            f"common codecs). Details: {err}"
        ) from err
    if not container.streams.video:
        container.close()
        raise InvalidVideo("The file has no video stream (is it an audio file or a still image?).")
    return container


def _fps(stream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def video_info(src: bytes | str | Path) -> VideoInfo:
    """Read the container header of ``src`` (bytes or a path) without decoding every frame."""
    container = _open(src)
    try:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        fps = _fps(stream)
        n_frames = int(stream.frames or 0)
        if n_frames == 0 and stream.duration and stream.time_base and fps:
            n_frames = int(round(float(stream.duration * stream.time_base) * fps))
        elif n_frames == 0 and container.duration and fps:
            n_frames = int(round(container.duration / 1_000_000 * fps))  # av.time_base is 1e6
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if width <= 0 or height <= 0:
            raise InvalidVideo("The video stream has no frame size; the file looks corrupt.")
        if max(width, height) > MAX_SIDE:
            raise InvalidVideo(f"Frames of {width}x{height} are too large (limit {MAX_SIDE} px a side).")
        return VideoInfo(fps=fps, width=width, height=height, n_frames=n_frames, codec=ctx.name or "")
    finally:
        container.close()


def iter_frames(src: bytes | str | Path, *, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Decode the first video stream of ``src`` into RGB frames.

    Yields uint8 arrays of shape [H, W, 3] (RGB), in presentation order, at most ``max_frames``.
    Raises InvalidVideo when the file cannot be opened or not a single frame decodes; damage after
    the first frame ends the iteration early (as players do) rather than losing what decoded.
    """
    import av

    if max_frames is not None and max_frames <= 0:
        return
    container = _open(src)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads: decode is a large share of video time
        count = 0
        try:
            for frame in container.decode(stream):
                if max(frame.width, frame.height) > MAX_SIDE:
                    raise InvalidVideo(
                        f"Frames of {frame.width}x{frame.height} are too large (limit {MAX_SIDE} px a side)."
                    )
                yield frame.to_ndarray(format="rgb24")
                count += 1
                if max_frames is not None and count >= max_frames:
                    return
        except av.error.FFmpegError as err:
            if count == 0:
                raise InvalidVideo(f"The video could not be decoded (corrupt or unsupported codec): {err}") from err
            return  # truncated file: keep the frames that decoded
        if count == 0:
            raise InvalidVideo("The video has no frames that could be decoded.")
    finally:
        container.close()


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad to even width and height by repeating the last row/column: yuv420p needs both even."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def encode_mp4(
    frames: Iterable[np.ndarray], *, fps: float, crf: int = 23, preset: str = "veryfast"
) -> bytes:
    """Encode RGB uint8 frames [H, W, 3] (all the same size) as H.264 in MP4 and return the bytes.

    fps: frames per second of the output (positive). crf: x264 constant rate factor (lower is
    better quality, 23 is x264's default). preset: x264 speed preset ("veryfast" keeps encoding
    well under the detector's cost). Odd widths/heights are padded by one pixel (yuv420p).
    The file is streamed through the encoder, so ``frames`` may be a generator.
    """
    if not fps or fps <= 0 or not np.isfinite(fps):
        raise ValueError(f"fps must be positive, got {fps}")
    rate = Fraction(fps).limit_denominator(1001)
    with tempfile.TemporaryDirectory(prefix="cnnapps-video-") as tmp:
        # A real file, not BytesIO: faststart (the index moved before the data, so a browser
        # starts playing before the download ends) rewrites the file in a second pass, which
        # FFmpeg's mp4 muxer cannot do on a custom (Python) IO object.
        path = Path(tmp) / "out.mp4"
        _encode_to(path, frames, rate=rate, crf=crf, preset=preset)
        return path.read_bytes()


def _encode_to(path: Path, frames: Iterable[np.ndarray], *, rate: Fraction, crf: int, preset: str) -> None:
    import av

    container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
    stream = None
    size: tuple[int, int] | None = None
    try:
        for frame in frames:
            frame = np.asarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frames must be uint8 [H, W, 3], got {frame.dtype} {frame.shape}")
            frame = np.ascontiguousarray(_even(frame))
            if stream is None:
                size = frame.shape[:2]
                stream = container.add_stream("libx264", rate=rate)
                stream.width, stream.height = size[1], size[0]
                stream.pix_fmt = "yuv420p"  # the only chroma layout every browser decodes
                stream.options = {"crf": str(crf), "preset": preset}
            elif frame.shape[:2] != size:
                raise ValueError(f"all frames must have the same size: {frame.shape[:2]} != {size}")
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise InvalidVideo("There are no frames to encode.")
        for packet in stream.encode(None):  # flush the encoder's delayed frames
            container.mux(packet)
    finally:
        container.close()
