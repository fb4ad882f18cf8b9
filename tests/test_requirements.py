"""requirements-cpu.txt is requirements.txt plus PyTorch's CPU index: the same packages and pins."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _lines(name: str) -> list[str]:
    text = (REPO / name).read_text().splitlines()
    return [ln.strip() for ln in text if ln.strip() and not ln.strip().startswith("#")]


def test_cpu_requirements_are_the_default_ones_plus_the_cpu_index() -> None:
    assert _lines("requirements-cpu.txt") == [
        "--extra-index-url https://download.pytorch.org/whl/cpu", "-r requirements.txt"]
    default = _lines("requirements.txt")
    assert not any(ln.startswith("-") for ln in default)  # the default install uses PyPI only
    assert any(ln.startswith("torch==") for ln in default)
