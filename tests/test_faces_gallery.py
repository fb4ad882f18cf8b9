"""FaceGallery value type, export/import, the SQLite store (passphrases, processes), clustering."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cnnapps.errors import CnnappsError
from cnnapps.faces.cluster import cluster_embeddings
from cnnapps.faces.errors import InvalidGallery, PersistenceDisabled, WrongPassphrase
from cnnapps.faces.gallery import FaceGallery, enroll, match, remove
from cnnapps.faces.store import DB_ENV, DISABLE_ENV, GalleryStore


def _unit(rng, n, d=8):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_enroll_is_pure_and_match_finds_nearest():
    rng = np.random.default_rng(0)
    ann, bob = _unit(rng, 2), _unit(rng, 1)
    empty = FaceGallery("m")
    g1 = enroll(empty, "Ann", ann)
    g2 = enroll(g1, " Bob ", bob[0])
    assert len(empty) == 0 and len(g1) == 2 and len(g2) == 3  # old values unchanged
    assert g2.people == ("Ann", "Bob") and g2.count("Ann") == 2
    found = match(g2, np.stack([ann[1], bob[0], -bob[0]]), threshold=0.9)
    assert found[0][:1] == ("Ann",) and found[0][1] == pytest.approx(1.0, abs=1e-6)
    assert found[1][0] == "Bob"
    assert found[2][0] is None and found[2][2] is not None  # unknown, nearest still reported
    assert remove(g2, "Ann").people == ("Bob",)
    assert match(empty, ann, threshold=0.4) == [(None, -1.0, None)] * 2
    with pytest.raises(InvalidGallery):
        enroll(g2, "   ", bob)
    with pytest.raises(ValueError):
        g2.embeddings[0, 0] = 3.0  # read-only: the value cannot be changed behind a page's back


def test_export_import_round_trip_and_corrupt_files():
    rng = np.random.default_rng(1)
    crop = rng.integers(0, 255, size=(112, 112, 3), dtype=np.uint8)
    g = enroll(enroll(FaceGallery("m"), "Zoë", _unit(rng, 1), crops=[crop]), "Li", _unit(rng, 2))
    back = FaceGallery.from_bytes(g.to_bytes(), model_name="m")
    assert back.names == g.names
    np.testing.assert_allclose(back.embeddings, g.embeddings, atol=1e-6)
    assert back.crops[0] == g.crops[0] and back.crops[1] is None
    for bad in (b"", b"\x89PNG garbage", b'{"format": "other"}', g.to_bytes()[:-20],
                g.to_bytes().replace(b'"dim": 8', b'"dim": 9')):
        with pytest.raises(InvalidGallery):
            FaceGallery.from_bytes(bad)
    with pytest.raises(InvalidGallery, match="embedding model"):
        FaceGallery.from_bytes(g.to_bytes(), model_name="other")


def test_store_passphrase_protects_everything(tmp_path):
    store = GalleryStore(tmp_path / "faces.sqlite3")
    rng = np.random.default_rng(2)
    g = enroll(FaceGallery("m"), "Ann", _unit(rng, 2), crops=[np.zeros((112, 112, 3), np.uint8)] * 2)
    store.create("family", "correct horse", model_name="m", dim=8)
    store.add("family", "correct horse", g)  # crops not stored unless opted in
    loaded = store.load("family", "correct horse")
    assert loaded.names == ("Ann", "Ann") and loaded.crops == (None, None)
    for call in (lambda: store.load("family", "wrong horse!"),
                 lambda: store.add("family", "wrong horse!", g),
                 lambda: store.replace("family", "wrong horse!", FaceGallery("m")),
                 lambda: store.delete("family", "wrong horse!"),
                 lambda: store.load("nobody", "correct horse")):
        with pytest.raises(WrongPassphrase):
            call()
    assert len(store.load("family", "correct horse")) == 2  # the failed calls changed nothing
    raw = b"".join(f.read_bytes() for f in tmp_path.iterdir())  # the database, and its WAL if any
    assert b"correct horse" not in raw and b"family" not in raw  # neither passphrase nor name
    store.replace("family", "correct horse", g, store_crops=True)
    assert all(c is not None for c in store.load("family", "correct horse").crops)
    with pytest.raises(InvalidGallery):
        store.create("family", "another pass", model_name="m", dim=8)
    with pytest.raises(WrongPassphrase):
        store.create("short", "abc", model_name="m", dim=8)
    store.delete("family", "correct horse")
    with pytest.raises(WrongPassphrase):
        store.load("family", "correct horse")


def test_persistence_switch(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "off")
    with pytest.raises(PersistenceDisabled) as info:
        GalleryStore()
    assert isinstance(info.value, CnnappsError)


_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from cnnapps.faces.gallery import FaceGallery, enroll
    from cnnapps.faces.store import GalleryStore
    who, n = sys.argv[1], int(sys.argv[2])
    store = GalleryStore(timeout_s=60)
    rng = np.random.default_rng(abs(hash(who)) % 1000)
    for i in range(n):
        e = rng.normal(size=(1, 8)).astype(np.float32)
        store.add("shared", "pass phrase", enroll(FaceGallery("m"), f"{who}-{i}", e))
    print("done", who)
""")


def test_two_processes_enrol_at_once_and_a_fresh_process_reads_it(tmp_path):
    db = tmp_path / "faces.sqlite3"
    env = {**__import__("os").environ, DB_ENV: str(db)}
    GalleryStore(db).create("shared", "pass phrase", model_name="m", dim=8)
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, who, "15"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    # A third, fresh process reads what the two wrote.
    reader = "from cnnapps.faces.store import GalleryStore; g = GalleryStore().load('shared', 'pass phrase'); " \
             "print(len(g), len(g.people), g.embeddings.shape)"
    out = subprocess.run([sys.executable, "-c", reader], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["30", "30", "(30,", "8)"], out.stderr


def test_clustering_groups_by_similarity():
    rng = np.random.default_rng(3)
    centres = _unit(rng, 3, d=32)
    faces = [c + 0.15 * rng.normal(size=32) for c in centres for _ in range(4)]
    emb = np.array(faces) / np.linalg.norm(faces, axis=1, keepdims=True)
    order = rng.permutation(len(emb))
    labels = cluster_embeddings(emb[order], threshold=0.4)
    truth = np.repeat(np.arange(3), 4)[order]
    assert len(set(labels)) == 3
    for k in range(3):
        assert len(set(labels[truth == k])) == 1
    assert list(cluster_embeddings(emb[:1], threshold=0.4)) == [0]
    assert cluster_embeddings(emb[:0], threshold=0.4).shape == (0,)


def test_a_write_that_fails_midway_leaves_the_previous_gallery(tmp_path):
    store = GalleryStore(tmp_path / "faces.sqlite3")
    rng = np.random.default_rng(4)
    store.create("g", "pass phrase", model_name="m", dim=8)
    store.add("g", "pass phrase", enroll(FaceGallery("m"), "Ann", _unit(rng, 3)))
    # The second crop cannot be bound by sqlite: the failure comes after the DELETE ran.
    broken = FaceGallery("m", ("X", "Y"), _unit(rng, 2), (b"png", object()))
    with pytest.raises(Exception):  # noqa: B017 (sqlite's InterfaceError/ProgrammingError)
        store.replace("g", "pass phrase", broken, store_crops=True)
    assert store.load("g", "pass phrase").names == ("Ann",) * 3
