"""Streamlit helpers of the face page: cached computations, the session gallery, the gauge.

Privacy (issue 9): the gallery lives in ``st.session_state`` (this browser session only). The
cached computations below keep results in the server's memory, keyed by the photo's sha256, for at
most :data:`_TTL` seconds; nothing about faces goes to disk unless the user saves a gallery.
"""

from __future__ import annotations

import hashlib

import altair as alt
import pandas as pd
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.faces import api
from cnnapps.faces.errors import InvalidGallery, NoFaceFound
from cnnapps.faces.gallery import FaceGallery, enroll, remove
from cnnapps.faces.samples import FACE_SAMPLES
from cnnapps.faces.store import GalleryStore, persistence_enabled
from cnnapps.results.faces import FaceClusters, FaceDetections, FaceEmbeddings
from cnnapps.samples import ASSETS_DIR
from cnnapps.ui.errors import show_error
from cnnapps.ui.inputs import IMAGE, InputFile, InputKind

__all__ = ["FACE_PHOTOS", "FACE_PHOTOS_B", "bundled_face_files", "cached_cluster", "cached_detect",
           "cached_embed", "gallery_of", "gallery_panel", "persistent_gallery_panel", "set_gallery",
           "similarity_gauge"]

MIN_PROBABILITY = 0.5  # lowest value of the page's slider
_TTL = 600  # seconds a result stays in the server's memory
_GALLERIES = "faces_galleries"  # session_state key: {model name: FaceGallery}

# The generic photo input with the bundled face photos as samples.
FACE_PHOTOS = InputKind("photo", IMAGE.suffixes, camera=True, samples=FACE_SAMPLES)
# The same, second sample first: Verify's photo B starts on another photo of the same person.
FACE_PHOTOS_B = InputKind("photo", IMAGE.suffixes, camera=True,
                          samples=(FACE_SAMPLES[1], FACE_SAMPLES[0], *FACE_SAMPLES[2:]))


def bundled_face_files() -> list[InputFile]:
    """All bundled face photos as inputs (Cluster's "use all" button)."""
    out = []
    for sample in FACE_SAMPLES:
        out.append(InputFile(sample.filename.rsplit("/", 1)[-1], (ASSETS_DIR / sample.filename).read_bytes()))
    return out


@st.cache_data(ttl=_TTL, max_entries=64, show_spinner=False)
def cached_detect(model_name: str, device: str, digest: str, *, _data: bytes, _detector) -> FaceDetections:
    """Every face down to probability :data:`MIN_PROBABILITY`; the page's slider only filters."""
    return api.detect_faces(_detector, _data, min_probability=MIN_PROBABILITY)


@st.cache_data(ttl=_TTL, max_entries=64, show_spinner=False)
def cached_embed(model_name: str, device: str, digest: str, *, _data: bytes, _embedder,
                 _detector) -> FaceEmbeddings:
    return api.embed_faces(_embedder, _data, detector=_detector)


def gallery_of(model_name: str) -> FaceGallery:
    """This session's gallery for one embedding model (empty at first)."""
    return st.session_state.get(_GALLERIES, {}).get(model_name, FaceGallery(model_name))


def set_gallery(gallery: FaceGallery) -> None:
    # Assign a new dict (not an in-place change) so Streamlit sees the state change.
    st.session_state[_GALLERIES] = {**st.session_state.get(_GALLERIES, {}), gallery.model_name: gallery}


def similarity_gauge(similarity: float, threshold: float) -> alt.LayerChart:
    """A horizontal -1..1 bar with the threshold as a rule: where the pair falls."""
    colour = "#009E73" if similarity >= threshold else "#D55E00"
    bar = alt.Chart(pd.DataFrame({"x0": [-1.0], "x": [similarity]})).mark_bar(
        size=28, color=colour, cornerRadius=3).encode(
        x=alt.X("x0:Q", scale=alt.Scale(domain=[-1, 1]), title="cosine similarity"), x2="x:Q")
    back = alt.Chart(pd.DataFrame({"x0": [-1.0], "x": [1.0]})).mark_bar(size=28, color="#eeeeee").encode(
        x="x0:Q", x2="x:Q")
    rule = alt.Chart(pd.DataFrame({"t": [threshold], "y0": [0], "y1": [1],
                                   "label": [f"threshold {threshold:.3f}"]}))
    scale = alt.Scale(domain=[-1, 1])
    line = rule.mark_rule(color="black", strokeWidth=3, strokeDash=[5, 3]).encode(
        x=alt.X("t:Q", scale=scale))
    text = rule.mark_text(dy=-26, fontSize=13, fontWeight="bold").encode(
        x=alt.X("t:Q", scale=scale), text="label:N")
    return alt.layer(back, bar, line, text).properties(height=110, padding={"top": 24})


def cached_cluster(model_name: str, device: str, digests: tuple[str, ...], *, files, embedder,
                   detector) -> FaceClusters:
    """Faces of many photos grouped by person, with a progress bar.

    Kept in this session's state (one result, keyed by model, device and every photo's digest)
    rather than st.cache_data: naming groups and enrolling reruns the page without recomputing,
    and the progress bar is a real element of the run that computes.
    """
    key = (model_name, device, digests)
    held = st.session_state.get("faces_cluster_result")
    if held is not None and held[0] == key:
        return held[1]
    bar = st.progress(0.0, text="Finding faces…")
    try:
        result = api.cluster_faces(
            embedder, [(f.name, f.data) for f in files], detector=detector,
            progress=lambda i, name: bar.progress(i / len(files), text=f"{i}/{len(files)}: {name}"))
    finally:
        bar.empty()
    st.session_state["faces_cluster_result"] = (key, result)
    return result


def _store_action(action: str, model_name: str) -> None:
    """Open / save / delete, run as the form's callback (before the page's next run)."""
    name = st.session_state.get("faces_store_name", "")
    phrase = st.session_state.get("faces_store_phrase", "")
    keep_crops = bool(st.session_state.get("faces_store_crops"))
    gallery = gallery_of(model_name)
    try:
        if not name.strip() or not phrase:
            raise InvalidGallery("Give the gallery's name and passphrase.")
        store = GalleryStore()
        if action == "open":
            loaded = store.load(name, phrase)
            if loaded.model_name != model_name:
                raise InvalidGallery(f"That gallery holds {loaded.model_name!r} embeddings: choose "
                                     "that model above to open it.")
            set_gallery(loaded)
            message = f"Opened {name!r}: {len(loaded.people)} people, {len(loaded)} faces."
        elif action == "save":
            if not store.exists(name):
                dim = gallery.embeddings.shape[1] if len(gallery) else 0
                store.create(name, phrase, model_name=model_name, dim=dim)
            store.replace(name, phrase, gallery, store_crops=keep_crops)
            message = f"Saved {len(gallery)} face(s) in {name!r}" + (" with crops." if keep_crops else ".")
        else:
            store.delete(name, phrase)
            message = f"Deleted {name!r}."
        st.session_state["faces_store_result"] = message
    except CnnappsError as err:
        st.session_state["faces_store_result"] = err
    st.session_state["faces_store_phrase"] = ""  # never keep a passphrase in the session longer


def persistent_gallery_panel(model_name: str, gallery: FaceGallery) -> None:
    """Open / save / delete a passphrase-protected gallery on the server (if allowed)."""
    with st.expander("Saved galleries on this server", icon=":material/lock:"):
        if not persistence_enabled():
            st.caption("Switched off on this server: export the gallery to a file to keep it.")
            return
        with st.form("faces_store", border=False):
            st.text_input("Gallery name", max_chars=100, key="faces_store_name")
            st.text_input("Passphrase (at least 8 characters)", type="password", key="faces_store_phrase")
            st.checkbox("Also keep the face crops (pictures) on the server", value=False,
                        key="faces_store_crops")
            c1, c2, c3 = st.columns(3)
            for col, action, label, icon in ((c1, "open", "Open", ":material/lock_open:"),
                                             (c2, "save", "Save", ":material/save:"),
                                             (c3, "delete", "Delete", ":material/delete_forever:")):
                col.form_submit_button(label, icon=icon, on_click=_store_action, args=(action, model_name))
        result = st.session_state.pop("faces_store_result", None)
        if isinstance(result, Exception):
            show_error(result)
        elif result:
            st.success(result, icon=":material/check:")


# The bundled demo gallery: one photo per person; Identify's sample photos then show the others.
DEMO_PEOPLE = (("Barack Obama", "obama1.jpg"), ("Joe Biden", "biden2.jpg"),
               ("Kit Harington", "john1.jpg"), ("Rose Leslie", "rose_leslie_img1.jpg"))



def _enrol_demo(embedder, detector, device: str) -> None:
    gallery = gallery_of(embedder.spec.name)
    files = {f.name: f for f in bundled_face_files()}
    for person, photo in DEMO_PEOPLE:
        file = files[photo]
        res = cached_embed(embedder.spec.name, device, file.digest, _data=file.data, _embedder=embedder,
                           _detector=detector)
        gallery = enroll(gallery, person, res.embeddings[:1], crops=res.crops[:1])
    set_gallery(gallery)


def _enrol_upload(embedder, detector, device: str) -> None:
    name, upload = st.session_state.get("faces_enrol_name", ""), st.session_state.get("faces_enrol_photo")
    try:
        if upload is None or not name.strip():
            raise NoFaceFound("Give a name and a photo.")
        data = upload.getvalue()
        res = cached_embed(embedder.spec.name, device, hashlib.sha256(data).hexdigest(), _data=data,
                           _embedder=embedder, _detector=detector)
        if len(res) == 0:
            raise NoFaceFound("No face was found in that photo.")
        set_gallery(enroll(gallery_of(embedder.spec.name), name, res.embeddings[:1], crops=res.crops[:1]))
    except CnnappsError as err:
        st.session_state["faces_enrol_error"] = err  # shown by the run that follows


def gallery_panel(embedder, detector, device: str) -> None:
    """The session gallery: list with remove buttons, the demo enrolment, enrol, export / import.

    Every button acts through a callback (it runs before the page's next run), so the page
    renders the changed gallery at once.
    """
    gallery = gallery_of(embedder.spec.name)
    args = (embedder, detector, device)
    st.markdown(f"**Gallery**: {len(gallery.people)} people, {len(gallery)} faces (this session only)")
    if not len(gallery):
        # A callback, not `if st.button(...)`: it runs before the script, so the new gallery
        # is there for the whole run.
        st.button("Enrol the 4 bundled people", icon=":material/group_add:", key="faces_demo_gallery",
                  on_click=_enrol_demo, args=args,
                  help="Obama, Biden, Kit Harington and Rose Leslie, one photo each; the other "
                  "sample photos then show them again.")
    for person in gallery.people:
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.markdown(f"{person} · {gallery.count(person)} face(s)")
        c2.button("", key=f"faces_rm_{person}", icon=":material/delete:", help=f"Remove {person}",
                  on_click=lambda p=person: set_gallery(remove(gallery_of(embedder.spec.name), p)))
    with st.expander("Enrol someone", icon=":material/person_add:"), \
            st.form("faces_enrol", clear_on_submit=True, border=False):
        st.text_input("Name", max_chars=100, key="faces_enrol_name")
        st.file_uploader("Photo of this person (the largest face is enrolled)",
                         type=list(FACE_PHOTOS.suffixes), key="faces_enrol_photo")
        st.form_submit_button("Enrol", icon=":material/person_add:", on_click=_enrol_upload, args=args)
    if err := st.session_state.pop("faces_enrol_error", None):
        show_error(err)
    with st.expander("Export / import the gallery", icon=":material/import_export:"):
        st.download_button("Export gallery (JSON: names and embeddings)", gallery.to_bytes(),
                           "face-gallery.json", mime="application/json", on_click="ignore",
                           disabled=not len(gallery), icon=":material/download:")
        imported = st.file_uploader("Import a gallery file", type=["json"], key="faces_import")
        if imported is not None and st.session_state.get("faces_imported") != imported.file_id:
            try:
                set_gallery(FaceGallery.from_bytes(imported.getvalue(), model_name=embedder.spec.name))
                st.session_state["faces_imported"] = imported.file_id
                st.rerun()
            except CnnappsError as err:
                show_error(err, context=imported.name)
