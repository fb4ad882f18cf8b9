"""Faster inference with the same outputs, for image classifiers and text CNNs: chosen once,
when a model is loaded.

:func:`accelerated` returns a module that behaves exactly like the given one (same children,
parameters, state-dict keys and module paths, so Grad-CAM's ``target_layers`` still resolve),
but runs its plain forward passes faster:

- **CPU: ONNX Runtime.** The model is exported once (TorchScript-based ONNX export, the input
  size fixed by the model's preprocessing, batch dynamic) into an in-memory ONNX Runtime
  session, used for every forward pass made without autograd (``torch.inference_mode`` or
  ``no_grad``) and without hooks. Grad-CAM (autograd) and anything that hooks a layer
  (feature maps) run the eager PyTorch module, as before. Same logits within 1e-5.
  Measured (``benchmarks/bench_classify_vs_torchvision.py``): 0.45-0.62x the time of an eager
  torchvision MobileNetV2 with torchvision's transforms; eager channels_last reached ~0.8x.
- **CUDA/MPS, or without onnxruntime: channels_last** (NHWC weights and input, cuDNN's and
  oneDNN's fast layout) plus, for the TFLite MobileNetV2 port, static SAME padding: its
  per-call ``F.pad`` copy becomes the convolution's own padding wherever that padding is
  symmetric (:class:`StaticPadConv2d`).
- **Text CNNs on the CPU:** :func:`accelerated_text_cnn` gives an :class:`AcceleratedTextCNN`,
  the same model with its token-ids -> logits pass in ONNX Runtime (batch and length dynamic);
  explanations (``trace``), autograd and hooks run the PyTorch layers.

Considered and not used: int8 (PyTorch FX, x86 backend) was *slower* than fp32 here (59 vs 47 ms)
and changed the top-1 of 3 of 8 sample photos; ``torch.compile`` needs a compiler toolchain and
tens of seconds per process. ``CNNAPPS_ACCEL=eager|channels_last|onnxruntime`` forces a mechanism.
"""

from __future__ import annotations

import copy
import io
import os
import warnings
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from cnnapps.models.mobilenet_v2_tflite import SamePadConv2d, tf_same_padding
from cnnapps.models.text_cnn import TextCNN
from cnnapps.text.vocab import PAD_INDEX

__all__ = ["Accelerated", "AcceleratedTextCNN", "StaticPadConv2d", "accelerate", "accelerated", "accelerated_text_cnn",
           "mechanism_for"]


class StaticPadConv2d(nn.Conv2d):
    """A :class:`SamePadConv2d` frozen for one input size: symmetric padding inside the conv,
    asymmetric padding (TF's stride-2 case) as one explicit pad."""

    def __init__(self, conv: nn.Conv2d, *, input_hw: tuple[int, int]) -> None:
        h, w = input_hw
        top, bottom = tf_same_padding(h, conv.kernel_size[0], conv.stride[0], conv.dilation[0])
        left, right = tf_same_padding(w, conv.kernel_size[1], conv.stride[1], conv.dilation[1])
        symmetric = top == bottom and left == right
        super().__init__(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                         padding=(top, left) if symmetric else 0, dilation=conv.dilation,
                         groups=conv.groups, bias=conv.bias is not None)
        self.weight = conv.weight
        self.bias = conv.bias
        self.input_hw = input_hw
        self.extra_pad = None if symmetric else (left, right, top, bottom)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.input_hw:
            raise ValueError(f"this accelerated conv was built for {self.input_hw} inputs, got "
                             f"{tuple(x.shape[-2:])}")
        if self.extra_pad is not None:
            x = F.pad(x, self.extra_pad)
        return super().forward(x)


def _input_sizes(model: nn.Module, example: torch.Tensor) -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    handles = [m.register_forward_pre_hook(
        lambda mod, args, name=name: sizes.__setitem__(name, tuple(args[0].shape[-2:])))
        for name, m in model.named_modules() if isinstance(m, SamePadConv2d)]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in handles:
            h.remove()
    return sizes


def accelerate(model: nn.Module, *, input_size: tuple[int, int], channels_last: bool = True,
               inplace: bool = False, channels: int = 3) -> nn.Module:
    """A tuned copy of ``model`` (eval mode, same device, same parameters' values); ``model`` itself
    is not changed unless ``inplace`` (for a module nobody else holds yet). ``input_size``
    (height, width) is the size its preprocessing always produces.

    Models without :class:`SamePadConv2d` (the torchvision classifiers) only get channels_last.
    """
    fast = (model if inplace else copy.deepcopy(model)).eval()
    device = next(fast.parameters()).device
    example = torch.zeros(1, channels, *input_size, device=device)
    for name, size in _input_sizes(fast, example).items():
        parent_name, _, child = name.rpartition(".")
        parent = fast.get_submodule(parent_name) if parent_name else fast
        setattr(parent, child, StaticPadConv2d(parent.get_submodule(child), input_hw=size))
    if channels_last:
        # Weights only: a convolution with channels_last weights returns channels_last output,
        # so the layout spreads from the first conv on, with no hook on the module.
        fast = fast.to(memory_format=torch.channels_last)
    return fast


def _onnxruntime_available() -> bool:
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


# ONNX Runtime keeps its own copy of the weights: above this many parameter bytes (VGG-16: 553 MB,
# ResNet-50: 103 MB) the memory is worth more than the speed, and such models stay on PyTorch.
MAX_ONNX_PARAM_BYTES = 60_000_000


def mechanism_for(device: torch.device | str, model: nn.Module | None = None) -> str:
    """"onnxruntime", "channels_last" or "eager" for a model on ``device`` (``CNNAPPS_ACCEL`` wins)."""
    forced = os.environ.get("CNNAPPS_ACCEL", "").strip().lower()
    if forced in ("eager", "channels_last", "onnxruntime"):
        if forced == "onnxruntime" and (torch.device(device).type != "cpu" or not _onnxruntime_available()):
            return "channels_last"
        return forced
    small = model is None or sum(p.numel() * p.element_size() for p in model.parameters()) <= MAX_ONNX_PARAM_BYTES
    if torch.device(device).type == "cpu" and small and _onnxruntime_available():
        return "onnxruntime"
    return "channels_last"


class Accelerated(nn.Module):
    """``model``'s children and parameters, with plain forward passes run by ONNX Runtime.

    Autograd-enabled calls (Grad-CAM) and calls while any submodule has a hook run ``model``'s
    own forward on the very same submodules, so hooks and gradients behave as before.
    """

    def __init__(self, model: nn.Module, *, input_size: tuple[int, int], cache_key: str | None = None,
                 channels: int = 3) -> None:
        super().__init__()
        for name, child in model.named_children():
            self.add_module(name, child)
        self._eager_forward = model.forward
        self.input_shape = (channels, *input_size)
        self.mechanism = "onnxruntime"
        self._modules_seen = tuple(self.modules())  # for the per-call hook check
        # Exported with TF SAME padding frozen for this input size (a throwaway copy): the
        # padding folds into the convolutions instead of one Pad node each (11.0 -> 8.8 ms for
        # the MobileNetV2 port on one thread).
        exported = model
        if any(isinstance(m, SamePadConv2d) for m in model.modules()):
            exported = accelerate(model, input_size=input_size, channels_last=False, channels=channels)
        self._session = _ort_session(exported, torch.zeros(1, *self.input_shape), dynamic={0: "batch"},
                                     cache_key=cache_key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (torch.is_grad_enabled() or x.device.type != "cpu" or x.dim() != 4
                or tuple(x.shape[1:]) != self.input_shape or _hooked(self._modules_seen)):
            return self._eager_forward(x)
        out = self._session.run(None, {"input": x.detach().float().contiguous().numpy()})[0]
        return torch.from_numpy(out)


_EXPORTED: dict[str, bytes] = {}  # cache_key -> ONNX bytes: one export per model per process


def _ort_session(model: nn.Module, example: torch.Tensor, *, dynamic: dict[int, str],
                 cache_key: str | None = None):
    """An ONNX Runtime session for ``model``, exported with ``example`` as its one input
    ("input"); the axes in ``dynamic`` may change from call to call."""
    import onnxruntime as ort

    key = f"{cache_key}@{tuple(example.shape)}" if cache_key else None
    onnx_bytes = _EXPORTED.get(key) if key else None
    if onnx_bytes is None:
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings
            torch.onnx.export(model, (example,), buf, dynamo=False, input_names=["input"],
                              output_names=["output"], opset_version=17,
                              dynamic_axes={"input": dynamic, "output": {0: dynamic[0]}})
        onnx_bytes = buf.getvalue()
        if key:
            _EXPORTED[key] = onnx_bytes
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # follow the process's torch setting
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def _hooked(modules: Iterable[nn.Module]) -> bool:
    """Whether any of ``modules`` has a hook (then the eager layers must run, so that it fires)."""
    return any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
               or m._backward_pre_hooks for m in modules)


class AcceleratedTextCNN(TextCNN):
    """A :class:`TextCNN` whose plain forward passes (token ids -> logits) run in ONNX Runtime,
    batch and sentence length dynamic; everything else (``trace`` for explanations, autograd,
    hooks) runs the same PyTorch layers. Same logits within 1e-5.

    Measured (``benchmarks/bench_sentiment.py``): the network alone takes ~0.8x of its eager time,
    which pays for the tokeniser: ``predict_batch`` end to end runs at >= 0.9x the raw eager call.
    """

    mechanism = "onnxruntime"

    def __init__(self, model: TextCNN, *, cache_key: str | None = None) -> None:
        # Take over ``model``'s state (submodules, parameters, vocab, config) without copying
        # it: ``model`` was loaded for this wrapper only and is not used again.
        nn.Module.__init__(self)
        self.__dict__.update(model.__dict__)
        example = torch.full((2, model.min_length), PAD_INDEX + 1, dtype=torch.long)
        self._session = _ort_session(model, example, dynamic={0: "batch", 1: "length"},
                                     cache_key=cache_key)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or ids.device.type != "cpu" or ids.dim() != 2 or _hooked(self.modules()):
            return super().forward(ids)
        out = self._session.run(None, {"input": ids.detach().long().contiguous().numpy()})[0]
        return torch.from_numpy(out)


def accelerated(model: nn.Module, *, input_size: tuple[int, int], device: torch.device | str = "cpu",
                mechanism: str | None = None, inplace: bool = False, cache_key: str | None = None,
                channels: int = 3) -> nn.Module:
    """The fastest exact stand-in for ``model`` (eval mode, already on ``device``) on ``device``.

    ``model`` itself is not changed (unless ``inplace``, for channels_last on a module nobody else
    holds). Returns ``model`` unchanged for ``"eager"``; the chosen mechanism is in the returned
    module's ``mechanism`` attribute. ``cache_key`` (e.g. the model's registry name) reuses one
    ONNX export per process.
    """
    mechanism = mechanism or mechanism_for(device, model)
    if mechanism == "onnxruntime":
        fast: nn.Module = Accelerated(model, input_size=input_size, cache_key=cache_key,
                                      channels=channels)
    elif mechanism == "channels_last":
        fast = accelerate(model, input_size=input_size, inplace=inplace, channels=channels)
        fast.mechanism = "channels_last"
    else:
        return model
    return fast.eval()


def accelerated_text_cnn(model: nn.Module, *, device: torch.device | str = "cpu",
                         cache_key: str | None = None) -> nn.Module:
    """ONNX Runtime for a text CNN on the CPU (:class:`AcceleratedTextCNN`); otherwise ``model``
    unchanged (channels_last has no meaning for a 1-D convolution over tokens)."""
    if not isinstance(model, TextCNN) or mechanism_for(device, model) != "onnxruntime":
        return model
    return AcceleratedTextCNN(model, cache_key=cache_key)
