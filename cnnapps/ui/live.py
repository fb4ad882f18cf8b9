"""Live camera detection over WebRTC with streamlit-webrtc (the well-kept Streamlit component).

The browser sends its camera stream to the server (aiortc); each frame runs through
:func:`cnnapps.tasks.detect.detect` and comes back annotated. The frame callback runs on
aiortc's worker thread, so it touches no ``st.*`` call; the model is used through
``LoadedModel.__call__`` (its shared gate), safe beside other sessions.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import numpy as np
import streamlit as st

from cnnapps.draw import draw_boxes, draw_detections
from cnnapps.tasks.detect import detect

__all__ = ["live_available", "live_detection"]


def live_available() -> bool:
    try:
        import streamlit_webrtc  # noqa: F401
    except ImportError:
        return False
    return True


class _Processor:
    """Holds the current options (updated on every rerun) and a moving fps estimate."""

    def __init__(self, loaded: Any, opts: dict[str, Any]) -> None:
        self.loaded, self.opts = loaded, opts
        self.lock = threading.Lock()
        self.times: deque[float] = deque(maxlen=30)
        self.last_counts: dict[str, int] = {}

    def __call__(self, frame: Any) -> Any:
        import av

        img = frame.to_ndarray(format="rgb24")
        with self.lock:
            loaded, opts = self.loaded, dict(self.opts)
        det = detect(loaded, img, **opts)
        with self.lock:
            self.times.append(time.perf_counter())
            self.last_counts = det.counts()
        annotated = draw_detections(img, det)
        # a heads-up line drawn by the server: proof on screen that frames went through the model
        hud = f"{loaded.spec.name} · {self.fps():.1f} fps · {len(det)} objects"
        out = np.asarray(draw_boxes(annotated, np.array([[0, 0, 1, 1]], np.float32), [hud], [(0, 0, 0)]))
        new = av.VideoFrame.from_ndarray(out, format="rgb24")
        new.pts, new.time_base = frame.pts, frame.time_base
        return new

    def fps(self) -> float:
        with self.lock:
            t = list(self.times)
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0


def live_detection(loaded: Any, opts: dict[str, Any], *, key: str) -> None:
    """The camera widget with detections drawn on the returned stream."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    state_key = f"{key}__processor"
    proc: _Processor | None = st.session_state.get(state_key)
    if proc is None:
        proc = st.session_state[state_key] = _Processor(loaded, opts)
    with proc.lock:  # sliders moved: the running stream picks the new options up
        proc.loaded, proc.opts = loaded, opts
    ctx = webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        video_frame_callback=proc,
        media_stream_constraints={"video": True, "audio": False},
        # No STUN/TURN: this server is reached directly (same host or LAN); nothing is fetched.
        rtc_configuration={"iceServers": []},
        async_processing=True,
    )
    st.caption("Experimental. Press START and allow the camera. Each frame is sent to the server to "
               "be detected and should come back annotated, with the frames per second in its top-left "
               "corner. On our overloaded 2-core test server the stream connected but the first "
               "frame's forward pass alone took over a minute there (CPU starvation), so nothing came "
               "back in time: on such a machine use a video file."
               + (" Streaming." if ctx.state.playing else ""))
