"""Detect objects: boxes, labels and scores on photos and videos; how a YOLO grid sees the photo."""

import pandas as pd
import streamlit as st

from cnnapps.coco import coco_categories
from cnnapps.draw import draw_detections, draw_yolo_grid
from cnnapps.errors import CnnappsError
from cnnapps.samples import SAMPLES
from cnnapps.tasks.detect import detect_video, detection_cam, refine
from cnnapps.ui.detection import annotated_png, cached_infer, cached_photo, coco_json
from cnnapps.ui.errors import show_error
from cnnapps.ui.inputs import IMAGE, InputKind, file_input
from cnnapps.ui.live import live_available, live_detection
from cnnapps.ui.loaders import app_device, model_or_stop
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.progress import progress_bar
from cnnapps.ui.widgets import download_csv, download_zip, model_details, model_picker
from cnnapps.video import video_info
from cnnapps.viz import overlay_heatmap

ensure_app_navigation()

VIDEO = InputKind(label="video file", suffixes=(".mp4", ".mov", ".avi", ".webm", ".mkv"), camera=False,
                  samples=())
MAX_FRAMES = 300  # a frame limit keeps a shared CPU responsive: 10 s of 30 fps video
# the darknet test photos first: they have several COCO objects each
PHOTOS = InputKind(IMAGE.label, IMAGE.suffixes, camera=True,
                   samples=tuple(sorted(SAMPLES, key=lambda s: s.name not in ("dog", "pets", "eagle"))))
NAMES = sorted(n for n in coco_categories() if n not in ("__background__", "N/A"))

st.title("Detect objects")
st.caption("Find the 80 COCO object classes in photos and videos: a box, a label and a score for "
           "each object. The bundled Yolo-Fastest models work offline; the torchvision detectors "
           "download on first use.")

left, right = st.columns([2, 5])
with left:
    st.session_state.setdefault("detect_model", "yolo-fastest-1.1-xl")  # the better bundled model
    spec = model_picker("detection", key="detect_model")
    conf = st.slider("Confidence threshold", 0.0, 1.0, 0.25, 0.05, key="detect_conf",
                     help="Boxes scoring below this are hidden.")
    iou = st.slider("NMS IoU threshold", 0.05, 1.0, 0.45, 0.05, key="detect_iou",
                    help="Non-maximum suppression: of two boxes of one class overlapping more than "
                         "this, only the higher-scoring one is kept.")
    classes = st.multiselect("Only these classes", NAMES, key="detect_classes",
                             placeholder="all 80 classes")
    max_det = st.number_input("Max detections per image", 1, 300, 100, key="detect_maxdet")
    sizes = spec.options.get("input_sizes")
    input_size = (st.select_slider("Network input size (px)", sizes, spec.options["input_size"],
                                   key="detect_size", help="Larger finds smaller objects, slower.")
                  if sizes else None)
    model_details(spec)

loaded = model_or_stop(spec, panel=right)
device = str(app_device())
opts = {"conf": conf, "iou": iou, "classes": classes or None, "max_det": int(max_det)}

with right:
    mode = st.radio("Input", ["Photos", "Video", "Live camera"], horizontal=True, key="detect_mode")

if mode == "Live camera":
    with right:
        if live_available():
            live_detection(loaded, {**opts, "input_size": input_size}, key="detect_live")
        else:
            st.warning("Live camera needs the streamlit-webrtc package (pip install streamlit-webrtc).")
    st.stop()

if mode == "Video":
    with right:
        files = file_input(VIDEO, key="detect_video", multiple=False)
        if not files:
            st.info(f"Upload a video (MP4, MOV, AVI, WebM, MKV). The first {MAX_FRAMES} frames are "
                    "processed.", icon=":material/movie:")
            st.stop()
        video = files[0]
        try:
            info = video_info(video.data)
        except CnnappsError as err:
            show_error(err, context=video.name)
            st.stop()
        st.caption(f"{video.name}: {info.width}×{info.height} px, {info.fps:.1f} fps, "
                   f"about {info.n_frames} frames, codec {info.codec}")
        n_frames = st.slider("Frames to process at most", 10, MAX_FRAMES, 150, 10, key="detect_frames")
        key = (video.digest, spec.name, device, input_size, tuple(sorted(opts.items(), key=str)), n_frames)
        runs = st.session_state.setdefault("detect_video_runs", {})
        # A callback, not the button's return value: the request survives any rerun in between.
        st.button("Detect in video", type="primary", icon=":material/play_arrow:", key="detect_video_run",
                  on_click=st.session_state.__setitem__, args=("detect_video_requested", True))
        if st.session_state.pop("detect_video_requested", False) and key not in runs:
            update, close = progress_bar("Detecting in video frames…")
            try:
                runs.clear()  # one result per session: videos are large
                runs[key] = detect_video(
                    loaded, video.data, max_frames=n_frames, input_size=input_size,
                    progress=lambda done, total: update(done, total, f"frame {done}/{total or '?'}"),
                    **opts,
                )
            except CnnappsError as err:
                show_error(err, context=video.name)
            finally:
                close()
        result = runs.get(key)
        if result is None:
            st.stop()
        st.markdown(
            f"**{result.n_frames} frames** ({result.width}×{result.height}, {result.fps_source:.1f} fps source)"
            f" processed at **{result.fps_achieved:.1f} frames/s** on `{result.device}` "
            "(decode + detection + drawing + H.264 encoding)"
            + (f"; stopped at the {result.n_frames}-frame limit" if result.truncated else "")
        )
        st.video(result.video, format="video/mp4")
        st.download_button("Download annotated video (MP4)", result.video, f"{video.name}.detections.mp4",
                           mime="video/mp4", icon=":material/download:", on_click="ignore")
        table = pd.DataFrame(result.rows())
        if len(table.columns) > 2:
            st.line_chart(table, x="time_s", y=[c for c in table.columns if c not in ("frame", "time_s")],
                          x_label="time (s)", y_label="objects in the frame")
        else:
            st.info("Nothing was detected in these frames at this threshold.")
        download_csv(table.to_dict("records"), f"{video.name}.counts.csv", label="Download per-frame counts (CSV)")
    st.stop()

with right:
    files = file_input(PHOTOS, key="detect_photos", multiple=True)
if not files:
    right.info("Choose a sample photo, upload photos or take one with the camera.", icon=":material/photo:")
    st.stop()

if len(files) == 1:
    file = files[0]
    with right:
        try:
            image = cached_photo(file.digest, file.data)
            raw = cached_infer(spec.name, device, file.digest, input_size, loaded, image)
            det = refine(raw, **opts)
        except CnnappsError as err:
            show_error(err, context=file.name)
            st.stop()
        counts = det.counts()
        summary = ", ".join(f"{n} {c}" for c, n in counts.items()) or "nothing above the threshold"
        st.subheader(summary, anchor=False)
        h_in, w_in = det.input_size or (0, 0)
        st.markdown(f"**{len(det)}** boxes · forward pass **{det.elapsed_ms:.0f} ms** on `{det.device}` · "
                    f"photo {det.image_size[0]}×{det.image_size[1]} px, model input {w_in}×{h_in} px")
        annotated = draw_detections(image, det)
        a, b = st.columns(2)
        a.image(image, caption=f"original: {file.name}", width="stretch")
        b.image(annotated, caption="detections", width="stretch")
        table = pd.DataFrame(det.rows(), columns=["class", "score", "x1", "y1", "x2", "y2"])
        t, c = st.columns([3, 2])
        t.dataframe(table, hide_index=True, width="stretch", height=min(400, 35 * len(table) + 40))
        if counts:
            c.bar_chart(pd.DataFrame({"class": list(counts), "boxes": list(counts.values())}),
                        x="class", y="boxes", horizontal=True, height=40 * len(counts) + 60)
        d1, d2, d3 = st.columns(3)
        d1.download_button("Annotated PNG", annotated_png(annotated), f"{file.name}.detections.png",
                           mime="image/png", icon=":material/download:", on_click="ignore")
        d2.download_button("COCO JSON", coco_json([(file.name, det)]), f"{file.name}.coco.json",
                           mime="application/json", icon=":material/download:", on_click="ignore")
        with d3:
            download_csv([{"file": file.name, **r} for r in det.rows()], f"{file.name}.detections.csv",
                         label="CSV")

        if len(det):
            choices = [f"{i + 1}: {lab} {s:.2f}" for i, (lab, s) in enumerate(zip(det.labels, det.scores, strict=True))]
            chosen = choices.index(st.selectbox("Explain one detection", choices, key="detect_chosen"))
        else:
            chosen = None
        if det.trace is not None:
            with st.expander("How a one-stage detector sees the photo (YOLO grid)", expanded=False,
                             icon=":material/grid_on:"):
                st.markdown(
                    "YOLO divides the photo into a grid of cells. Every cell predicts 3 boxes (one per "
                    "*anchor*, a typical object shape) with an **objectness** (is an object centred in "
                    "this cell?) and class probabilities. Colour = the cell's objectness. The yellow "
                    "cell produced the chosen detection; the dotted white box is its anchor, the solid "
                    "box its raw prediction, dashed boxes are overlapping predictions that "
                    "non-maximum suppression removed.")
                g1, g2 = st.columns(2)
                for col, head in zip((g1, g2), range(len(det.trace.heads)), strict=False):
                    stride, gh, gw, _ = det.trace.heads[head]
                    col.image(draw_yolo_grid(image, det, head=head, chosen=chosen),
                              caption=f"{gw}×{gh} grid (a cell is {stride}×{stride} input px)", width="stretch")
                if chosen is not None:
                    tr = det.trace
                    h_, a_, y_, x_ = (int(v) for v in tr.cand_cells[tr.kept[chosen]])
                    st.caption(f"Detection {chosen + 1} comes from the {tr.heads[h_][2]}×{tr.heads[h_][1]} "
                               f"grid, cell (row {y_ + 1}, column {x_ + 1}), anchor {a_ + 1}; NMS removed "
                               f"{int((tr.suppressed_by == chosen).sum())} overlapping boxes for it.")
        if spec.cam is not None and chosen is not None:
            with st.expander("EigenCAM: where the network's strongest features are", icon=":material/visibility:"):
                if st.toggle("Compute EigenCAM", key="detect_cam"):
                    try:
                        heat = detection_cam(loaded, image, det, index=chosen, input_size=input_size)
                        st.image(overlay_heatmap(annotated, heat, alpha=0.5), width="stretch",
                                 caption=f"EigenCAM (first principal component of {', '.join(spec.cam.target_layers)}),"
                                         f" renormalised inside detection {chosen + 1}")
                    except CnnappsError as err:
                        show_error(err)
else:
    with right:
        st.subheader(f"{len(files)} photos", anchor=False)
        update, close = progress_bar("Detecting…")
        rows, items, pngs = [], [], {}
        for i, file in enumerate(files, start=1):
            try:
                image = cached_photo(file.digest, file.data)
                det = refine(cached_infer(spec.name, device, file.digest, input_size, loaded, image), **opts)
                rows += [{"file": file.name, **r} for r in det.rows()] or [{"file": file.name, "class": None}]
                items.append((file.name, det))
                pngs[f"{file.name}.detections.png"] = annotated_png(draw_detections(image, det))
            except CnnappsError as err:
                rows.append({"file": file.name, "error": str(err)})
            update(i, len(files), f"{i}/{len(files)}: {file.name}")
        close()
        table = pd.DataFrame(rows)
        st.dataframe(table, hide_index=True, width="stretch")
        if items:
            totals = pd.Series([lab for _, d in items for lab in d.labels]).value_counts()
            if len(totals):
                st.bar_chart(totals.rename("boxes"), horizontal=True, height=30 * len(totals) + 60)
            cols = st.columns(min(4, len(items)))
            for k, (name, png) in enumerate(list(pngs.items())[:8]):
                cols[k % len(cols)].image(png, caption=name, width="stretch")
        d1, d2, d3 = st.columns(3)
        with d1:
            download_csv(rows, "detections.csv", label="CSV (all photos)")
        d2.download_button("COCO JSON", coco_json(items), "detections.coco.json", mime="application/json",
                           icon=":material/download:", on_click="ignore")
        with d3:
            download_zip(pngs, "detections.zip")
