"""Weights resolution order, hash checks, download progress and the offline message."""

from __future__ import annotations

import hashlib
import io
import urllib.error
from pathlib import Path

import pytest
import torch

from cnnapps import weights as W
from cnnapps.errors import WeightsUnavailable
from cnnapps.loaded import load_module
from cnnapps.registry import ModelSpec, WeightsSource


def _tiny_state() -> bytes:
    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 3).state_dict(), buf)
    return buf.getvalue()


PAYLOAD = _tiny_state()
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


def _source(*, bundled: bool, url: str | None = None, sha256: str | None = DIGEST,
            prefix: str | None = None, filename: str = "tiny.pt", cache: str = "hub") -> WeightsSource:
    return WeightsSource(filename=filename, sha256=sha256, sha256_prefix=prefix, url=url,
                         bundled=bundled, size_bytes=len(PAYLOAD), cache=cache)


def _spec(**kw: object) -> ModelSpec:
    # load=None: the default path, build() + the state dict in weights["model"].
    return ModelSpec(task="classification", name="tiny", display_name="Tiny", labels=("a", "b", "c"),
                     build=lambda: torch.nn.Linear(2, 3), weights={"model": _source(**kw)})


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    bundled, hub, home = tmp_path / "bundled", tmp_path / "hub", tmp_path / "torch_home"
    bundled.mkdir()
    monkeypatch.setattr(W, "BUNDLED_DIR", bundled)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    monkeypatch.setenv("TORCH_HOME", str(home))
    return {"bundled": bundled, "hub": hub / "checkpoints", "home": home / "checkpoints"}


class FakeResponse(io.BytesIO):
    headers = {"Content-Length": str(len(PAYLOAD))}

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_cache_dirs_cover_torch_hub_and_facenet(dirs: dict[str, Path]) -> None:
    assert W.cache_dirs() == [dirs["hub"], dirs["home"]]


def test_bundled_file_wins(dirs: dict[str, Path]) -> None:
    (dirs["bundled"] / "tiny.pt").write_bytes(PAYLOAD)
    assert W.resolve_file(_spec(bundled=True)) == dirs["bundled"] / "tiny.pt"


def test_corrupt_bundled_file_is_refused(dirs: dict[str, Path]) -> None:
    (dirs["bundled"] / "tiny.pt").write_bytes(b"git-lfs pointer")
    with pytest.raises(WeightsUnavailable, match="does not match its sha256"):
        W.resolve_file(_spec(bundled=True))


@pytest.mark.parametrize("cache", ["hub", "home"])
def test_cache_found_in_both_locations(dirs: dict[str, Path], cache: str) -> None:
    dirs[cache].mkdir(parents=True)
    (dirs[cache] / "tiny.pt").write_bytes(PAYLOAD)
    assert W.resolve_file(_spec(bundled=False, url="https://x/tiny.pt")) == dirs[cache] / "tiny.pt"


def test_download_reports_progress_and_caches(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(W.OFFLINE_ENV, "0")
    monkeypatch.setattr(W.urllib.request, "urlopen", lambda req, timeout: FakeResponse(PAYLOAD))
    seen: list[tuple[int, int | None]] = []
    path = W.resolve_file(_spec(bundled=False, url="https://x/tiny.pt"),
                             progress=lambda d, t: seen.append((d, t)))
    assert path == dirs["hub"] / "tiny.pt" and path.read_bytes() == PAYLOAD
    assert seen[0] == (0, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    model = load_module(_spec(bundled=False, url="https://x/tiny.pt"))  # now from the cache
    assert not model.training and torch.equal(model.weight, torch.load(path, weights_only=True)["weight"])


def test_facenet_style_file_downloads_to_torch_home(dirs: dict[str, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(W.OFFLINE_ENV, "0")
    monkeypatch.setattr(W.urllib.request, "urlopen", lambda req, timeout: FakeResponse(PAYLOAD))
    path = W.resolve_file(_spec(bundled=False, url="https://x/tiny.pt", cache="torch_home"))
    assert path == dirs["home"] / "tiny.pt"


def test_several_named_files_resolve_by_name(dirs: dict[str, Path]) -> None:
    (dirs["bundled"] / "a.pt").write_bytes(PAYLOAD)
    (dirs["bundled"] / "b.pt").write_bytes(PAYLOAD)
    spec = ModelSpec(
        task="face_embedding", name="two", display_name="Two", head="embedding",
        build=lambda: torch.nn.Linear(2, 3),
        weights={"model": _source(bundled=True, filename="a.pt"),
                 "extra": _source(bundled=True, filename="b.pt")},
        load=lambda paths: torch.nn.Linear(2, 3) if set(paths) == {"model", "extra"} else None,
    )
    assert W.resolve_weights(spec) == {"model": dirs["bundled"] / "a.pt", "extra": dirs["bundled"] / "b.pt"}
    assert W.missing_weights(spec) == []
    assert isinstance(load_module(spec), torch.nn.Linear)


def test_download_with_wrong_hash_is_deleted(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(W.OFFLINE_ENV, "0")
    monkeypatch.setattr(W.urllib.request, "urlopen", lambda req, timeout: FakeResponse(b"evil"))
    with pytest.raises(WeightsUnavailable, match="corrupt"):
        W.resolve_file(_spec(bundled=False, url="https://x/tiny.pt"))
    assert not any(dirs["hub"].iterdir())  # no partial or bad file left behind


def test_explicit_sha256_prefix(dirs: dict[str, Path]) -> None:
    dirs["hub"].mkdir(parents=True)
    good = f"tiny-{DIGEST[:8]}.pt"
    (dirs["hub"] / good).write_bytes(PAYLOAD)
    spec = _spec(bundled=False, url=f"https://x/{good}", sha256=None, prefix=DIGEST[:8], filename=good)
    assert W.resolve_file(spec) == dirs["hub"] / good
    with pytest.raises(WeightsUnavailable):  # cached file fails its hash; offline -> unavailable
        W.resolve_file(_spec(bundled=False, url=f"https://x/{good}", sha256=None, prefix="00000000",
                             filename=good))


def test_offline_message_is_actionable(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(W.OFFLINE_ENV, "0")

    def fail(req: object, timeout: float) -> None:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(W.urllib.request, "urlopen", fail)
    with pytest.raises(WeightsUnavailable) as info:
        W.resolve_file(_spec(bundled=False, url="https://x/tiny.pt"))
    message = str(info.value)
    assert "https://x/tiny.pt" in message  # what to download
    assert str(dirs["hub"] / "tiny.pt") in message  # where to put it
    assert "MobileNetV2" in message  # which model works offline instead
    assert "Name or service not known" in info.value.reason


def test_offline_switch_never_calls_network(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(W.OFFLINE_ENV, "1")
    monkeypatch.setattr(W.urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    with pytest.raises(WeightsUnavailable, match="disabled"):
        W.resolve_file(_spec(bundled=False, url="https://x/tiny.pt"))
    assert W.hub_reachable() is False


def test_a_verified_file_is_hashed_once_until_it_changes(dirs: dict[str, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = dirs["bundled"] / "tiny.pt"
    path.write_bytes(PAYLOAD)
    calls: list[Path] = []
    real = W.sha256_file
    monkeypatch.setattr(W, "sha256_file", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        assert W.resolve_file(_spec(bundled=True)) == path
    assert len(calls) == 1
    path.write_bytes(b"git-lfs pointer")  # a changed file is checked again, and refused
    with pytest.raises(WeightsUnavailable, match="does not match"):
        W.resolve_file(_spec(bundled=True))
    assert len(calls) == 2
