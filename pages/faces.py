"""Faces: detect, verify, identify against a private gallery, cluster, anonymise."""

import io

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from cnnapps.errors import CnnappsError
from cnnapps.faces import api
from cnnapps.faces.anonymise import anonymise_array
from cnnapps.faces.gallery import enroll
from cnnapps.faces.store import persistence_enabled
from cnnapps.faces.video import anonymise_video
from cnnapps.faces.viz import PALETTE, draw_faces
from cnnapps.images import load_image
from cnnapps.registry import get_spec
from cnnapps.ui.errors import show_error
from cnnapps.ui.faces import (
    FACE_PHOTOS,
    FACE_PHOTOS_B,
    bundled_face_files,
    cached_cluster,
    cached_detect,
    cached_embed,
    gallery_of,
    gallery_panel,
    persistent_gallery_panel,
    set_gallery,
    similarity_gauge,
)
from cnnapps.ui.inputs import InputKind, file_input
from cnnapps.ui.loaders import app_device, model_or_stop
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.progress import progress_bar
from cnnapps.ui.widgets import download_csv, model_details, model_picker

ensure_app_navigation()

st.title("Faces")
st.caption("Find faces and their landmarks, compare two faces, recognise enrolled people, group a "
           "photo collection by person, or blur every face before you share a picture.")

with st.expander("Consent and privacy: read before using your own photos", icon=":material/policy:"):
    st.markdown(
        "Faces are personal data (biometric data under the GDPR when used to identify someone). "
        "Only use photos of people who agreed.\n\n"
        "- **Photos** are processed in the server's memory and never saved; results are kept in "
        "memory for up to 10 minutes so that moving a slider does not recompute them.\n"
        "- **Your gallery** (names and face embeddings: 128 or 512 numbers per face, no picture) "
        "lives in this browser session only and is gone when you close the tab. You can export it "
        "to a file and import it later.\n"
        "- **Saved galleries** on the server are optional, protected by a passphrase (stored as a "
        "salted scrypt hash, never in clear), and hold names and embeddings only unless you tick "
        "*also keep the face crops*. "
        + ("They are **switched off** on this server." if not persistence_enabled() else
           "Whoever administers the server can read the database file; do not store faces you "
           "would not show them.")
    )

VIDEOS = InputKind("video", ("mp4", "mov", "webm", "avi", "mkv", "m4v"))

MODES = {"Detect": ":material/center_focus_strong:", "Verify": ":material/compare:",
         "Identify": ":material/badge:", "Cluster": ":material/workspaces:",
         "Anonymise": ":material/blur_on:"}
mode = st.segmented_control("Mode", list(MODES), default="Detect", key="faces_mode",
                            format_func=lambda m: f"{MODES[m]} {m}") or "Detect"
device = str(app_device())
left, right = st.columns([3, 2] if mode == "Verify" else [2, 3])
detector = model_or_stop(get_spec("mtcnn"), panel=right)
embedder = None
if mode in ("Verify", "Identify", "Cluster"):
    with left:
        spec = model_picker("face_embedding", key="faces_model")
        if spec.meta.caveat:
            st.caption(f":material/info: {spec.meta.caveat}")
        model_details(spec)
    embedder = model_or_stop(spec, panel=right)


def _width(rgb: np.ndarray) -> int | str:
    """Portrait photos at a fixed width, so that they do not fill several screens."""
    return 420 if rgb.shape[0] > rgb.shape[1] else "stretch"


def _rgb(data: bytes) -> np.ndarray:
    return np.asarray(load_image(data))


def _embed(file) -> object:
    return cached_embed(embedder.spec.name, device, file.digest, _data=file.data, _embedder=embedder,
                        _detector=detector)


def _enrol_group(name: str, embeddings, crops) -> None:
    set_gallery(enroll(gallery_of(embedder.spec.name), name, embeddings, crops=crops))
    st.toast(f"Enrolled {len(crops)} face(s) as {name}; see Identify.")


if mode == "Detect":
    with left:
        files = file_input(FACE_PHOTOS, key="faces_detect", multiple=False)
        min_prob = st.slider("Minimum face probability", 0.5, 1.0, 0.9, 0.01, key="faces_detect_p")
    if files:
        with right:
            try:
                found = cached_detect("mtcnn", device, files[0].digest, _data=files[0].data,
                                      _detector=detector)
                rgb = _rgb(files[0].data)
            except CnnappsError as err:
                show_error(err, context=files[0].name)
                st.stop()
            faces = [f for f in found.faces if f.probability >= min_prob]
            st.subheader(f"{len(faces)} face{'s' if len(faces) != 1 else ''} found", anchor=False)
            if not faces:
                st.info("No face found. Faces smaller than about 20 pixels, in profile or hidden "
                        "are often missed.", icon=":material/face_retouching_off:")
            st.image(draw_faces(rgb, faces), caption=f"{files[0].name.rsplit('/', 1)[-1]}: boxes, "
                     f"landmarks, probability (detection {found.elapsed_ms:.0f} ms on {found.device})",
                     width=_width(rgb))
            if faces:
                from cnnapps.faces.embed import align_all

                crops = align_all(rgb, faces, size=112)
                st.image(list(crops), caption=[f"{i + 1}: {f.probability:.3f}" for i, f in enumerate(faces)],
                         width=96)
                rows = [{"face": i + 1, **f.row()} for i, f in enumerate(faces)]
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
                download_csv(rows, "faces.csv")

elif mode == "Verify":
    cols = left.columns(2)
    results = []
    for col, kind, key, label in ((cols[0], FACE_PHOTOS, "faces_verify_a", "Photo A"),
                                  (cols[1], FACE_PHOTOS_B, "faces_verify_b", "Photo B")):
        with col:
            st.markdown(f"**{label}**")
            files = file_input(kind, key=key, multiple=False)
            if not files:
                results.append(None)
                continue
            try:
                result = _embed(files[0])
            except CnnappsError as err:
                show_error(err, context=files[0].name)
                results.append(None)
                continue
            pick = 0
            if len(result) > 1:
                pick = st.selectbox(f"Face in {label.lower()}", range(len(result)), key=f"{key}_face",
                                    format_func=lambda i: f"face {i + 1} (numbered by size)")
            st.image(draw_faces(_rgb(files[0].data), result.faces,
                                colours=[PALETTE[1] if i == pick else PALETTE[0] for i in range(len(result))]),
                     width="stretch")
            results.append((result, pick))
    with right:
        if None in results:
            st.info("Choose two photos, each with a face.", icon=":material/compare:")
            st.stop()
        (ra, ia), (rb, ib) = results
        try:
            v = api.verify(embedder, ra, rb, detector=detector, face_a=ia, face_b=ib)
        except CnnappsError as err:
            show_error(err)
            st.stop()
        if v.same:
            st.success(f"**Same person** (similarity {v.similarity:.3f} ≥ threshold {v.threshold:.3f})",
                       icon=":material/check_circle:")
        else:
            st.error(f"**Different people** (similarity {v.similarity:.3f} < threshold {v.threshold:.3f})",
                     icon=":material/cancel:")
        st.altair_chart(similarity_gauge(v.similarity, v.threshold), width="stretch")
        st.image([v.crop_a, v.crop_b], caption=["A (aligned)", "B (aligned)"], width=140)
        st.caption(f"Model: {embedder.spec.display_name}. Threshold calibrated by "
                   "`scripts/calibrate_faces.py`; a score near it is uncertain.")

elif mode == "Identify":
    gallery = gallery_of(embedder.spec.name)
    with left:
        files = file_input(FACE_PHOTOS_B, key="faces_identify", multiple=False)
        gallery_panel(embedder, detector, device)
        persistent_gallery_panel(embedder.spec.name, gallery)
        gallery = gallery_of(embedder.spec.name)  # the panels' callbacks may have changed it
    with right:
        if not files:
            st.stop()
        try:
            result = api.identify(embedder, _embed(files[0]), gallery, detector=detector)
        except CnnappsError as err:
            show_error(err, context=files[0].name)
            st.stop()
        if not len(gallery):
            st.info("The gallery is empty: enrol people on the left (or name a group in Cluster); "
                    "then every face here is named or called unknown.", icon=":material/person_add:")
        people = list(gallery.people)
        colours = [PALETTE[people.index(m.name) % len(PALETTE)] if m.name else (120, 120, 120)
                   for m in result.matches]
        labels = [f"{m.label} ({m.similarity:.2f})" if m.nearest else m.label for m in result.matches]
        rgb = _rgb(files[0].data)
        st.image(draw_faces(rgb, [m.face for m in result.matches], labels=labels,
                            colours=colours, landmarks=False), width=_width(rgb),
                 caption=f"Label: nearest enrolled person and cosine similarity; unknown below "
                 f"{result.threshold:.3f}")
        if result.matches:
            rows = [{**row, "face": row["face"] + 1} for row in result.rows()]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        else:
            st.info("No face found in this photo.", icon=":material/face_retouching_off:")

elif mode == "Cluster":
    with left:
        use_bundled = st.toggle("Use the nine bundled photos (4 people)", value=True, key="faces_cluster_all")
        files = bundled_face_files() if use_bundled else file_input(FACE_PHOTOS, key="faces_cluster",
                                                                     multiple=True)
    with right:
        if not files:
            st.stop()
        result = cached_cluster(embedder.spec.name, device, tuple(f.digest for f in files),
                                files=files, embedder=embedder, detector=detector)
        for file, message in result.errors:
            st.warning(f"{file}: {message}")
        st.subheader(f"{len(result.files)} face(s) of {result.n_clusters} "
                     f"{'person' if result.n_clusters == 1 else 'people'}", anchor=False)
        gallery = gallery_of(embedder.spec.name)
        for k in range(result.n_clusters):
            idx = result.members(k)
            with st.container(border=True):
                st.image([result.crops[i] for i in idx], width=96,
                         caption=[result.files[i].rsplit("/", 1)[-1].rsplit(".", 1)[0] for i in idx])
                c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
                name = c1.text_input(f"Name for group {k + 1}", key=f"faces_group_{k}",
                                     placeholder=f"group {k + 1}: type a name to enrol these faces")
                c2.button("Enrol group", key=f"faces_enrol_{k}", disabled=not name.strip(),
                          on_click=_enrol_group, args=(name, result.embeddings[idx],
                                                       [result.crops[i] for i in idx]))
        download_csv(result.rows(), "face-clusters.csv")

else:  # Anonymise
    with left:
        what = st.segmented_control("Anonymise a", ["photo", "video"], default="photo",
                                    key="faces_anon_kind") or "photo"
        method = st.radio("Method", ["blur", "pixelate"], horizontal=True, key="faces_anon_method")
        strength = st.slider("Strength", 1, 10, 6, key="faces_anon_strength")
        files = file_input(FACE_PHOTOS if what == "photo" else VIDEOS, key=f"faces_anon_{what}",
                           multiple=False)
    done = "blurred" if method == "blur" else "pixelated"
    with right:
        if not files:
            st.info("Upload a video (MP4, MOV, WebM, AVI, MKV; the first 30 s are processed).",
                    icon=":material/movie:")
            st.stop()
        if what == "video":
            held = st.session_state.get("faces_anon_video")
            key = (files[0].digest, method, strength)
            if held is None or held[0] != key:
                if st.session_state.get("faces_anon_go") != key:  # set by the button's callback
                    st.button("Anonymise the video", icon=":material/blur_on:", type="primary",
                              on_click=lambda: st.session_state.update(faces_anon_go=key))
                    st.stop()
                update, close = progress_bar("Blurring faces, frame by frame…")
                try:
                    video = anonymise_video(detector, files[0].data, method=method, strength=strength,
                                            progress=lambda d, t: update(d, t, f"frame {d} / {t or '?'}"))
                except CnnappsError as err:
                    show_error(err, context=files[0].name)
                    st.stop()
                finally:
                    close()
                    st.session_state.pop("faces_anon_go", None)
                st.session_state["faces_anon_video"] = held = (key, video)
            video = held[1]
            note = f" (first {video.frames} of {video.total_frames} frames)" if video.truncated else ""
            st.markdown(f"**{video.frames} frames, faces {done}**{note}; detector run every 2nd frame.")
            st.video(video.mp4, format="video/mp4")
            st.download_button("Download MP4", video.mp4, "anonymised.mp4", mime="video/mp4",
                               on_click="ignore", icon=":material/download:")
            st.stop()
        try:
            found = cached_detect("mtcnn", device, files[0].digest, _data=files[0].data, _detector=detector)
            rgb = _rgb(files[0].data)
        except CnnappsError as err:
            show_error(err, context=files[0].name)
            st.stop()
        # A lower cut than Detect: missing a face is worse than blurring a false one.
        faces = [f for f in found.faces if f.probability >= 0.8]
        out = anonymise_array(rgb, faces, method=method, strength=strength)
        st.markdown(f"**{len(faces)} face(s) {done}** (strength {strength}); the blurred area is the "
                    "detector's box grown by 20 % on each side.")
        st.image(out, caption=files[0].name.rsplit("/", 1)[-1], width=_width(rgb))
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="PNG")
        st.download_button("Download PNG", buf.getvalue(), "anonymised.png", mime="image/png",
                           on_click="ignore", icon=":material/download:")
