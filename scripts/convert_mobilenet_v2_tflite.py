"""Convert TensorFlow's quantised ``mobilenet_v2_1.0_224_quant.tflite`` to a float32 PyTorch state_dict.

    python scripts/convert_mobilenet_v2_tflite.py \
        --tflite ../shared/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite \
        --out cnnapps/weights/mobilenet_v2_1.0_224_quant.pt

Reads the flatbuffer with the pure-Python ``tflite`` package (no TF runtime), dequantises every constant
as ``scale * (q - zero_point)`` (per-tensor; int32 biases carry their own scale = input x weight scale),
re-lays the kernels out for PyTorch and maps the operators, in graph order, onto the convolutions of
:class:`cnnapps.models.mobilenet_v2_tflite.MobileNetV2TFLite`. Every shape, stride, group count and
fused activation is checked; any mismatch stops the conversion. Also copies the 1001-line label file.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tflite
import torch
from torch import nn

from cnnapps.models.mobilenet_v2_tflite import (
    ConvReLU6,
    MobileNetV2TFLite,
    mobilenet_v2_tflite,
)

LABELS_NAME = "imagenet_labels.txt"
LABELS_OUT = "imagenet_labels_1001.txt"

_NUMPY_OF_TFLITE_TYPE = {
    tflite.TensorType.UINT8: np.uint8,
    tflite.TensorType.INT8: np.int8,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.FLOAT32: np.float32,
}
_ACTIVATION_NAME = {
    tflite.ActivationFunctionType.NONE: "NONE",
    tflite.ActivationFunctionType.RELU6: "RELU6",
}
_OPS_WITHOUT_WEIGHTS = {"ADD", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"}


class ConversionError(RuntimeError):
    """The .tflite graph does not match the PyTorch module."""


@dataclass(frozen=True)
class WeightOp:
    """One CONV_2D / DEPTHWISE_CONV_2D of the TFLite graph, dequantised."""

    index: int
    kind: str  # "CONV_2D" or "DEPTHWISE_CONV_2D"
    weight: np.ndarray  # TFLite layout
    bias: np.ndarray
    stride: tuple[int, int]
    padding: str
    activation: str
    name: str


def _op_name(model: tflite.Model, op: tflite.Operator) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    # Schema v3a+: the real code is the larger of the deprecated int8 field and the int32 field.
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    return tflite.BUILTIN_OPCODE2NAME[builtin]


def _dequantised_constant(model: tflite.Model, graph: tflite.SubGraph, tensor_index: int) -> np.ndarray:
    tensor = graph.Tensors(tensor_index)
    data = model.Buffers(tensor.Buffer()).DataAsNumpy()
    if isinstance(data, int) or data.size == 0:
        raise ConversionError(f"tensor {tensor_index} ({tensor.Name().decode()}) is not a constant")
    dtype = _NUMPY_OF_TFLITE_TYPE.get(tensor.Type())
    if dtype is None:
        raise ConversionError(f"tensor {tensor_index}: unsupported type {tensor.Type()}")
    q = np.frombuffer(data.tobytes(), dtype=dtype).reshape(tensor.ShapeAsNumpy())
    if dtype is np.float32:
        return q.copy()
    quant = tensor.Quantization()
    scales = quant.ScaleAsNumpy() if quant is not None else 0
    zero_points = quant.ZeroPointAsNumpy() if quant is not None else 0
    if isinstance(scales, int) or scales.size != 1 or np.size(zero_points) != 1:
        raise ConversionError(f"tensor {tensor_index}: expected one per-tensor scale and zero point")
    # Real value = scale * (q - zero_point); float64 first so the subtraction cannot wrap or round.
    return (float(scales[0]) * (q.astype(np.float64) - float(zero_points[0]))).astype(np.float32)


def read_weight_ops(path: Path) -> tuple[list[WeightOp], list[str]]:
    """All convolutions (in graph order) and the names of every operator."""
    model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    if model.SubgraphsLength() != 1:
        raise ConversionError(f"expected 1 subgraph, found {model.SubgraphsLength()}")
    graph = model.Subgraphs(0)
    ops: list[WeightOp] = []
    names: list[str] = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        name = _op_name(model, op)
        names.append(name)
        if name in _OPS_WITHOUT_WEIGHTS:
            continue
        if name == "CONV_2D":
            options: tflite.Conv2DOptions | tflite.DepthwiseConv2DOptions = tflite.Conv2DOptions()
        elif name == "DEPTHWISE_CONV_2D":
            options = tflite.DepthwiseConv2DOptions()
        else:
            raise ConversionError(f"op {i}: unsupported operator {name}")
        table = op.BuiltinOptions()
        options.Init(table.Bytes, table.Pos)
        if name == "DEPTHWISE_CONV_2D" and options.DepthMultiplier() != 1:
            raise ConversionError(f"op {i}: depth multiplier {options.DepthMultiplier()} != 1")
        if (options.DilationHFactor(), options.DilationWFactor()) != (1, 1):
            raise ConversionError(f"op {i}: dilation is not supported")
        activation = _ACTIVATION_NAME.get(options.FusedActivationFunction())
        if activation is None:
            raise ConversionError(
                f"op {i}: unsupported fused activation {options.FusedActivationFunction()}"
            )
        inputs = op.InputsAsNumpy()
        ops.append(
            WeightOp(
                index=i,
                kind=name,
                weight=_dequantised_constant(model, graph, int(inputs[1])),
                bias=_dequantised_constant(model, graph, int(inputs[2])),
                stride=(options.StrideH(), options.StrideW()),
                padding="SAME" if options.Padding() == tflite.Padding.SAME else "VALID",
                activation=activation,
                name=graph.Tensors(int(inputs[1])).Name().decode(),
            )
        )
    return ops, names


def _torch_layout(op: WeightOp, module: nn.Module) -> np.ndarray:
    if op.kind == "DEPTHWISE_CONV_2D":
        return op.weight.transpose(3, 0, 1, 2)  # [1, kh, kw, C] -> [C, 1, kh, kw]
    if isinstance(module, nn.Linear):
        if op.weight.shape[1:3] != (1, 1):
            raise ConversionError(f"op {op.index}: classifier kernel is not 1x1: {op.weight.shape}")
        return op.weight.reshape(op.weight.shape[0], op.weight.shape[3])  # [O, 1, 1, I] -> [O, I]
    return op.weight.transpose(0, 3, 1, 2)  # [O, kh, kw, I] -> [O, I, kh, kw]


def _check_op_matches(op: WeightOp, name: str, module: nn.Module, parent: nn.Module) -> None:
    where = f"op {op.index} ({op.kind}, {op.name}) -> {name}"
    if op.padding != "SAME":
        raise ConversionError(f"{where}: padding {op.padding}; the module implements SAME only")
    if isinstance(module, nn.Conv2d):
        depthwise = module.groups > 1 and module.groups == module.in_channels == module.out_channels
        if depthwise != (op.kind == "DEPTHWISE_CONV_2D"):
            raise ConversionError(f"{where}: depthwise mismatch (module groups={module.groups})")
        if tuple(module.stride) != op.stride:
            raise ConversionError(f"{where}: stride {op.stride} != module stride {module.stride}")
        # Only ConvReLU6 blocks carry an activation; projections and the classifier are linear.
        want = "RELU6" if isinstance(parent, ConvReLU6) else "NONE"
    else:
        want = "NONE"
        if op.stride != (1, 1):
            raise ConversionError(f"{where}: classifier stride {op.stride}")
    if op.activation != want:
        raise ConversionError(f"{where}: fused activation {op.activation}, module expects {want}")


def convert(tflite_path: Path) -> dict[str, torch.Tensor]:
    ops, op_names = read_weight_ops(tflite_path)
    model: MobileNetV2TFLite = mobilenet_v2_tflite()
    modules = dict(model.named_modules())
    targets = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if len(targets) != len(ops):
        raise ConversionError(f"{len(ops)} conv ops in the .tflite, {len(targets)} layers in the module")
    n_residual = sum(getattr(m, "use_residual", False) for m in model.modules())
    if op_names.count("ADD") != n_residual:
        raise ConversionError(f"{op_names.count('ADD')} ADD ops, module has {n_residual} residual adds")

    expected_shapes = {key: value.shape for key, value in model.state_dict().items()}
    state: dict[str, torch.Tensor] = {}
    for op, (name, module) in zip(ops, targets, strict=True):
        _check_op_matches(op, name, module, modules[name.rpartition(".")[0]])
        weight = torch.from_numpy(np.ascontiguousarray(_torch_layout(op, module)))
        bias = torch.from_numpy(op.bias)
        for key, value in ((f"{name}.weight", weight), (f"{name}.bias", bias)):
            expected = expected_shapes[key]
            if value.shape != expected:
                raise ConversionError(
                    f"op {op.index} ({op.name}): {key} {tuple(value.shape)} != {expected}"
                )
            state[key] = value.to(torch.float32).contiguous()
    # strict=True: every module parameter received exactly one tensor.
    model.load_state_dict(state, strict=True)
    return state


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflite", type=Path, required=True, help="mobilenet_v2_1.0_224_quant.tflite")
    parser.add_argument("--out", type=Path, required=True, help="output .pt (float32 state_dict)")
    parser.add_argument(
        "--labels",
        type=Path,
        default=None,
        help=f"label file (default: {LABELS_NAME} next to the .tflite)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    start = time.perf_counter()
    state = convert(args.tflite)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    elapsed = time.perf_counter() - start
    n_params = sum(t.numel() for t in state.values())
    print(
        f"wrote {args.out}: {len(state)} tensors, {n_params:,} parameters, converted in {elapsed:.2f} s"
    )
    print(f"  sha256 {sha256_file(args.out)}  size {args.out.stat().st_size:,} B")

    labels_src = args.labels or args.tflite.parent / LABELS_NAME
    lines = labels_src.read_text(encoding="utf-8").splitlines()
    if len(lines) != 1001 or lines[0] != "background":
        raise ConversionError(f"{labels_src}: expected 1001 lines starting with 'background'")
    labels_out = args.out.parent / LABELS_OUT
    shutil.copyfile(labels_src, labels_out)
    print(f"wrote {labels_out}: sha256 {sha256_file(labels_out)}  size {labels_out.stat().st_size:,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
