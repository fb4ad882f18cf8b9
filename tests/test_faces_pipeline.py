"""The face pipeline on real photos: detection, parity end to end, thresholds, bad input."""

from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pytest
from PIL import Image

import cnnapps
from cnnapps.errors import CnnappsError, InvalidImage
from cnnapps.faces import api
from cnnapps.faces.anonymise import anonymise_array
from cnnapps.faces.cluster import cluster_embeddings
from cnnapps.faces.errors import InvalidGallery, NoFaceFound
from cnnapps.faces.gallery import FaceGallery, enroll
from cnnapps.faces.samples import FACE_SAMPLES, IDENTITIES, face_sample_path
from cnnapps.samples import sample_path

# MTCNN runs many small ops: one intra-op thread is faster on 2 busy cores (conftest.py).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def detector():
    return cnnapps.load("mtcnn", device="cpu")


@pytest.fixture(scope="module")
def embedder():
    return cnnapps.load("mobilefacenet", device="cpu")


@pytest.fixture(scope="module")
def embedded(detector, embedder):
    """FaceEmbeddings of every bundled photo (computed once for the module's tests)."""
    return {s.name: api.embed_faces(embedder, face_sample_path(s.name), detector=detector)
            for s in FACE_SAMPLES}


@pytest.fixture(scope="module")
def bundled(embedded):
    """(identity, photo, embedding) of every face in the bundled photos, left to right."""
    out = []
    for sample in FACE_SAMPLES:
        result = embedded[sample.name]
        assert len(result) == len(IDENTITIES[sample.name]), sample.name
        order = np.argsort([f.box[0] for f in result.faces])
        out += [(who, sample.name, result.embeddings[i])
                for who, i in zip(IDENTITIES[sample.name], order, strict=True)]
    return out


def test_registry_entries(embedder):
    assert embedder.spec.works_offline and cnnapps.get_spec("mtcnn").works_offline
    assert not cnnapps.get_spec("facenet_vggface2").works_offline
    assert "MS-Celeb-1M" in embedder.spec.meta.caveat


def test_same_and_different_people_fall_on_the_right_side_of_the_threshold(bundled, embedder):
    threshold = api.threshold_of(embedder)
    same, different = [], []
    for (p1, _, e1), (p2, _, e2) in itertools.combinations(bundled, 2):
        (same if p1 == p2 else different).append(float(e1 @ e2))
    assert len(same) == 10 and len(different) == 45
    assert min(same) >= threshold > max(different)


def test_verify_and_no_face(detector, embedder, embedded):
    yes = api.verify(embedder, face_sample_path("obama1"), embedded["obama2"], detector=detector)
    no = api.verify(embedder, embedded["obama1"], embedded["biden2"], detector=detector)
    assert yes.same and not no.same and yes.similarity > no.similarity
    assert yes.crop_a.shape == (112, 112, 3) and yes.rows()[0]["same_person"] is True
    cat = sample_path("cat")
    assert len(api.detect_faces(detector, cat)) == 0  # no face is a result, not an error
    with pytest.raises(NoFaceFound, match="first photo"):
        api.verify(embedder, cat, embedded["obama1"], detector=detector)


def test_identify_against_a_gallery(detector, embedder, embedded):
    gallery = FaceGallery(embedder.spec.name)
    for name, photo in (("Obama", "obama1"), ("Kit", "john1")):
        gallery = enroll(gallery, name, embedded[photo].embeddings[:1])
    result = api.identify(embedder, embedded["two_people"], gallery, detector=detector)
    by_x = sorted(result.matches, key=lambda m: m.face.box[0])
    assert [m.label for m in by_x] == ["Obama", "unknown"]  # Biden was not enrolled
    assert by_x[1].nearest is not None and by_x[1].similarity < result.threshold
    with pytest.raises(InvalidGallery):
        api.identify(embedder, embedded["john2"], FaceGallery("other", ("x",), np.ones((1, 128))),
                     detector=detector)


def test_clustering_groups_the_bundled_photos_by_person(bundled, embedder):
    labels = cluster_embeddings(np.stack([e for _, _, e in bundled]), threshold=api.threshold_of(embedder))
    groups = {}
    for (who, _, _), label in zip(bundled, labels, strict=True):
        groups.setdefault(who, set()).add(int(label))
    assert len(groups) == 4 and all(len(g) == 1 for g in groups.values())  # each person in one group
    assert len({next(iter(g)) for g in groups.values()}) == 4  # and different people apart


def test_cluster_faces_reports_bad_files_and_keeps_going(detector, embedder):
    items = [("two_people", face_sample_path("two_people")), ("broken.jpg", b"garbage"),
             ("obama1", face_sample_path("obama1"))]
    result = api.cluster_faces(embedder, items, detector=detector)
    assert result.files == ("two_people", "two_people", "obama1") and result.n_clusters == 2
    obama = [i for i, f in enumerate(result.faces) if result.files[i] == "obama1"][0]
    assert sum(result.labels == result.labels[obama]) == 2  # obama1 joins one face of two_people
    assert result.errors[0][0] == "broken.jpg" and result.rows()[-1]["error"]


def _jpeg(image: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=92, **kw)
    return buf.getvalue()


def test_grayscale_cmyk_and_exif_rotated_photos(detector):
    photo = Image.open(face_sample_path("john2"))
    upright = api.detect_faces(detector, photo)
    assert len(upright) == 1
    assert len(api.detect_faces(detector, _jpeg(photo.convert("L")))) == 1
    assert len(api.detect_faces(detector, _jpeg(photo.convert("CMYK")))) == 1
    # Stored rotated 90 degrees with EXIF orientation 6 ("rotate 90 CW to display"), as phones do.
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = api.detect_faces(detector, _jpeg(photo.transpose(Image.Transpose.ROTATE_90), exif=exif))
    assert len(rotated) == 1 and rotated.image_size == upright.image_size
    np.testing.assert_allclose(rotated.faces[0].box, upright.faces[0].box, atol=8)


def test_tiny_faces_and_bad_files(detector):
    small = Image.open(face_sample_path("obama1")).resize((80, 45))  # the face is ~18 px wide
    assert len(api.detect_faces(detector, small)) <= 1  # found or not, never a crash
    assert len(api.detect_faces(detector, Image.new("RGB", (8, 8)))) == 0  # smaller than P-net's 12 px
    for bad in (b"", b"not an image", _jpeg(Image.open(face_sample_path("obama1")))[:3000]):
        with pytest.raises(InvalidImage):
            api.detect_faces(detector, bad)


def test_anonymise_changes_faces_only(detector):
    rgb = np.asarray(Image.open(face_sample_path("kit_with_rose")))
    blurred = api.anonymise(detector, rgb, method="blur", strength=6)
    assert len(blurred.detections) == 2
    for out in (blurred.image, anonymise_array(rgb, blurred.detections.faces, method="pixelate", strength=6)):
        changed = np.any(out != rgb, axis=2)
        for face in blurred.detections.faces:
            x1, y1, x2, y2 = (int(v) for v in face.box)
            assert changed[y1:y2, x1:x2].mean() > 0.5
        assert changed[-50:, :].sum() == 0  # the bottom of the photo holds no face


def test_end_to_end_parity_with_the_reference_pipeline(shared_dir, detector, embedder):
    ref = json.loads((shared_dir / "weights" / "mobilefacenet" / "reference.json").read_text())
    for face in [f for f in ref["faces"] if f["image"] in ("john2.jpeg", "kit_with_rose.jpg")]:
        result = api.embed_faces(embedder, shared_dir / "images" / face["image"], detector=detector,
                                 max_side=None)
        expected = np.array(face["embedding"]) / np.linalg.norm(face["embedding"])
        assert float(np.max(result.embeddings @ expected)) >= 0.999, face["id"]


def test_errors_are_user_errors():
    assert issubclass(NoFaceFound, CnnappsError) and issubclass(InvalidGallery, CnnappsError)
