from __future__ import annotations

import pytest
import torch

from cnnapps.device import autocast, describe_device, model_device, resolve_device


def test_env_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNNAPPS_DEVICE", "cpu")
    assert resolve_device() == torch.device("cpu")


def test_explicit_preference_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNNAPPS_DEVICE", "meta")
    assert resolve_device("cpu") == torch.device("cpu")


def test_auto_order_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CNNAPPS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("cnnapps.device._mps_available", lambda: True)
    assert resolve_device().type == "mps"
    monkeypatch.setattr("cnnapps.device._mps_available", lambda: False)
    assert resolve_device().type == "cpu"


def test_missing_cuda_request_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


def test_autocast_is_a_no_op_on_cpu() -> None:
    with autocast(torch.device("cpu")):
        y = torch.nn.Linear(4, 4)(torch.randn(2, 4))
    assert y.dtype == torch.float32
    assert "CPU" in describe_device(torch.device("cpu"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_autocast_fp16_on_cuda() -> None:
    layer = torch.nn.Linear(4, 4).cuda()
    with autocast(torch.device("cuda")):
        assert layer(torch.randn(2, 4, device="cuda")).dtype == torch.float16


def test_model_device_follows_parameters() -> None:
    assert model_device(torch.nn.Linear(1, 1)) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters
