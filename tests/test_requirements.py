"""requirements-cpu.txt is requirements.txt plus PyTorch's CPU index: the same packages and pins."""

from pathlib import Path


def _requirements(path: str) -> tuple[list[str], list[str]]:
    lines = [ln.strip() for ln in Path(path).read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    return [ln for ln in lines if not ln.startswith("-")], [ln for ln in lines if ln.startswith("-")]


def test_cpu_requirements_match_the_default_ones() -> None:
    default, default_opts = _requirements("requirements.txt")
    cpu, cpu_opts = _requirements("requirements-cpu.txt")
    assert sorted(cpu) == sorted(default)
    assert default_opts == []  # the default (GPU-capable) install uses PyPI only
    assert cpu_opts == ["--extra-index-url https://download.pytorch.org/whl/cpu"]
