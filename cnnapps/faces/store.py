"""Optional persistent face galleries in SQLite, each protected by a passphrase.

Privacy model (issue 9): by default the app keeps a gallery in the user's session only and
writes nothing about faces to disk. This module is used only when a user explicitly saves a
gallery, and a deployment can switch it off entirely (:data:`DISABLE_ENV`).

- Location: ``$CNNAPPS_FACE_DB``, else ``<user data dir>/cnnapps/faces.sqlite3``
  (``$XDG_DATA_HOME`` or ``~/.local/share`` on Linux, ``~/Library/Application Support`` on macOS,
  ``%APPDATA%`` on Windows).
- Each gallery has a name and a passphrase. We store a random 16-byte salt and
  ``scrypt(passphrase, salt, n=2**14, r=8, p=1)`` (RFC 7914; hashlib.scrypt), never the
  passphrase. The gallery row is found by a salted hash of its name too, so the file does not
  list gallery names. Every read, write and delete first checks the passphrase; a wrong one
  raises :class:`WrongPassphrase` and reads nothing (the same error for "no such gallery", so
  a caller cannot probe names). scrypt's cost (~50 ms) slows guessing.
- Only names and embeddings are stored, plus the aligned face crops when ``store_crops=True``.
- Not encryption: someone who can read the database file can read the embeddings and names in
  it. The passphrase protects galleries from other users of the app, not from the server's
  administrator.
- Concurrency and crashes: WAL journal, ``busy_timeout``, every change one ``BEGIN IMMEDIATE``
  transaction (atomic: a crash mid-write leaves the previous state).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from cnnapps.faces.errors import GalleryLocked, InvalidGallery, PersistenceDisabled, WrongPassphrase
from cnnapps.faces.gallery import FaceGallery, _clean_name

__all__ = ["DB_ENV", "DISABLE_ENV", "GalleryStore", "default_db_path", "persistence_enabled"]

DB_ENV = "CNNAPPS_FACE_DB"
# "off" / "0" / "false" / "no": persistent galleries are unavailable (public deployments).
DISABLE_ENV = "CNNAPPS_FACE_PERSISTENCE"
MIN_PASSPHRASE = 8  # characters
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # OWASP's minimum for scrypt; ~16 MB, ~50 ms
# A fixed, public salt for the name lookup: it only keeps names out of the file's plain text.
_NAME_SALT = b"cnnapps-face-gallery-name-v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS galleries (
    name_key  BLOB PRIMARY KEY,           -- sha256(_NAME_SALT + name)
    salt      BLOB NOT NULL,
    verifier  BLOB NOT NULL,              -- scrypt(passphrase, salt)
    model     TEXT NOT NULL,
    dim       INTEGER NOT NULL,
    created   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name_key  BLOB NOT NULL REFERENCES galleries(name_key) ON DELETE CASCADE,
    person    TEXT NOT NULL,
    embedding BLOB NOT NULL,              -- float32 little-endian, dim values
    crop_png  BLOB                        -- NULL unless the user opted in
);
CREATE INDEX IF NOT EXISTS faces_by_gallery ON faces(name_key);
"""


def persistence_enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def default_db_path() -> Path:
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "cnnapps" / "faces.sqlite3"


def _name_key(name: str) -> bytes:
    return hashlib.sha256(_NAME_SALT + name.encode("utf-8")).digest()


def _derive(passphrase: str, salt: bytes) -> bytes:
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, maxmem=64 * 2**20, **_SCRYPT)


class GalleryStore:
    """Named, passphrase-protected galleries in one SQLite file. Opens a connection per call."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout_s: float = 15.0) -> None:
        if not persistence_enabled():
            raise PersistenceDisabled(
                "Saved galleries are switched off on this server; your gallery lives in this "
                "browser session only (export it to a file to keep it)."
            )
        self.path = Path(path) if path is not None else default_db_path()
        self.timeout_s = timeout_s

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # durable commits: nothing lost after "saved"
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            yield conn
        except sqlite3.OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise GalleryLocked("The gallery store is busy; please try again.") from err
            raise
        finally:
            conn.close()

    @contextmanager
    def _write(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no lost updates between sessions
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _check(conn: sqlite3.Connection, name: str, passphrase: str) -> tuple[bytes, str, int]:
        key = _name_key(name)
        row = conn.execute("SELECT salt, verifier, model, dim FROM galleries WHERE name_key = ?",
                           (key,)).fetchone()
        # Derive even when the gallery is missing, so timing does not tell whether the name exists.
        salt = row[0] if row else b"\0" * 16
        derived = _derive(passphrase, salt)
        if row is None or not hmac.compare_digest(derived, row[1]):
            raise WrongPassphrase("Wrong gallery name or passphrase.")
        return key, row[2], int(row[3])

    def create(self, name: str, passphrase: str, *, model_name: str, dim: int) -> None:
        """Make an empty gallery; refuses a name that is taken (without revealing its contents)."""
        name = _clean_name(name)
        if len(passphrase) < MIN_PASSPHRASE:
            raise WrongPassphrase(f"Choose a passphrase of at least {MIN_PASSPHRASE} characters.")
        salt = secrets.token_bytes(16)
        verifier = _derive(passphrase, salt)
        with self._connect() as conn, self._write(conn):
            try:
                conn.execute("INSERT INTO galleries VALUES (?, ?, ?, ?, ?, ?)",
                             (_name_key(name), salt, verifier, model_name, int(dim), time.time()))
            except sqlite3.IntegrityError as err:
                raise InvalidGallery(f"A gallery named {name!r} already exists: choose another name.") from err

    def exists(self, name: str) -> bool:
        """Whether the name is taken (needed to offer "create"); says nothing about the contents."""
        with self._connect() as conn:
            return conn.execute("SELECT 1 FROM galleries WHERE name_key = ?",
                                (_name_key(_clean_name(name)),)).fetchone() is not None

    def load(self, name: str, passphrase: str) -> FaceGallery:
        with self._connect() as conn:
            key, model, dim = self._check(conn, _clean_name(name), passphrase)
            rows = conn.execute("SELECT person, embedding, crop_png FROM faces WHERE name_key = ? "
                                "ORDER BY id", (key,)).fetchall()
        emb = (np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows]) if rows
               else np.zeros((0, dim), dtype=np.float32))
        return FaceGallery(model, tuple(r[0] for r in rows), emb, tuple(r[2] for r in rows))

    def add(self, name: str, passphrase: str, gallery: FaceGallery, *, store_crops: bool = False) -> int:
        """Append every face of ``gallery`` (e.g. one newly enrolled person); returns the count."""
        with self._connect() as conn:
            key, model, dim = self._check(conn, _clean_name(name), passphrase)
            self._same_model(gallery, model, dim)
            with self._write(conn):
                conn.executemany(
                    "INSERT INTO faces (name_key, person, embedding, crop_png) VALUES (?, ?, ?, ?)",
                    [(key, n, e.astype("<f4").tobytes(), c if store_crops else None)
                     for n, e, c in zip(gallery.names, gallery.embeddings, gallery.crops, strict=True)],
                )
        return len(gallery)

    def replace(self, name: str, passphrase: str, gallery: FaceGallery, *, store_crops: bool = False) -> None:
        """Make the stored gallery equal to ``gallery`` (one transaction: all or nothing)."""
        with self._connect() as conn:
            key, model, dim = self._check(conn, _clean_name(name), passphrase)
            self._same_model(gallery, model, dim)
            with self._write(conn):
                conn.execute("DELETE FROM faces WHERE name_key = ?", (key,))
                conn.executemany(
                    "INSERT INTO faces (name_key, person, embedding, crop_png) VALUES (?, ?, ?, ?)",
                    [(key, n, e.astype("<f4").tobytes(), c if store_crops else None)
                     for n, e, c in zip(gallery.names, gallery.embeddings, gallery.crops, strict=True)],
                )

    def delete(self, name: str, passphrase: str) -> None:
        with self._connect() as conn:
            key, _, _ = self._check(conn, _clean_name(name), passphrase)
            with self._write(conn):
                conn.execute("DELETE FROM faces WHERE name_key = ?", (key,))
                conn.execute("DELETE FROM galleries WHERE name_key = ?", (key,))

    @staticmethod
    def _same_model(gallery: FaceGallery, model: str, dim: int) -> None:
        if gallery.model_name != model or (len(gallery) and gallery.embeddings.shape[1] != dim):
            raise InvalidGallery(
                f"This saved gallery holds {model!r} embeddings; the faces to save come from "
                f"{gallery.model_name!r}."
            )
