"""The classic architectures side by side: layer tables (torchinfo), block diagrams, papers, ideas.

Layer tables come from **torchinfo** 1.8.0 (``torchinfo.summary``: parameters and multiply-adds per
layer, from a real forward pass of a random-weights model on CPU). Block diagrams are drawn from a
``torch.fx`` trace of the same model, with straight runs of layers merged into one box so that the
branches and merges (ResNet's skip connections, MobileNetV2's inverted residuals) stand out.
Nothing here loads weights or touches the network: every model is ``spec.build()``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from cnnapps.errors import InvalidInput
from cnnapps.registry import get_spec

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "LayerRow",
    "ModelSummary",
    "UnknownArchitecture",
    "block_diagram",
    "input_shape",
    "measure_latency",
    "summarise",
]


class UnknownArchitecture(InvalidInput):
    """A model name the explorer does not know."""


@dataclass(frozen=True)
class Architecture:
    """What the page tells about one architecture (registry name -> paper, year, idea)."""

    name: str  # registry key
    title: str  # short name for tables ("ResNet-18")
    paper: str
    year: int
    idea: str  # the design idea, two sentences


ARCHITECTURES: Mapping[str, Architecture] = MappingProxyType({a.name: a for a in (
    Architecture(
        "lenet5", "LeNet-5", "LeCun, Bottou, Bengio & Haffner, Gradient-based learning applied to document "
        "recognition, Proc. IEEE 86(11)", 1998,
        "Convolutions with shared weights and sub-sampling learn local features that tolerate small "
        "shifts, so the network needs no hand-made feature extractor. C3 connects each map to only a "
        "subset of the previous maps (Table I) to break symmetry and keep the parameter count down."),
    Architecture(
        "alexnet", "AlexNet", "Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep Convolutional "
        "Neural Networks, NeurIPS", 2012,
        "A much deeper and wider LeNet trained on GPUs: ReLU instead of tanh made training several "
        "times faster. Dropout in the big fully connected layers and data augmentation held back "
        "overfitting of its 61 M parameters."),
    Architecture(
        "vgg16", "VGG-16", "Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image "
        "Recognition, ICLR 2015 (arXiv:1409.1556)", 2014,
        "Only 3x3 convolutions, stacked: two 3x3 layers see a 5x5 window and three see 7x7, with fewer "
        "parameters and more non-linearities than one big filter. Depth (16 weight layers) is the "
        "main lever; most of its 138 M parameters sit in the first fully connected layer."),
    Architecture(
        "resnet18", "ResNet-18", "He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition, CVPR",
        2016,
        "Each block learns a residual F(x) and adds its input back (a skip connection): y = F(x) + x. "
        "Identity paths let gradients reach early layers, so much deeper networks train well."),
    Architecture(
        "resnet50", "ResNet-50", "He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition, CVPR",
        2016,
        "The deeper ResNet uses bottleneck blocks: 1x1 to shrink the channels, 3x3, then 1x1 to "
        "expand them again, plus the skip connection. 50 layers cost fewer multiply-adds than VGG-16."),
    Architecture(
        "mobilenet_v2_tflite", "MobileNetV2", "Sandler, Howard, Zhu, Zhmoginov & Chen, MobileNetV2: Inverted "
        "Residuals and Linear Bottlenecks, CVPR", 2018,
        "Inverted residual blocks: a 1x1 conv expands a thin bottleneck 6x, a depthwise 3x3 filters "
        "each channel alone, and a linear 1x1 projects back, with the skip between the thin ends. "
        "Depthwise separable convolutions cut multiply-adds about 8-9x against ordinary 3x3 ones."),
)})


@dataclass(frozen=True)
class LayerRow:
    """One row of the layer table; plain values only."""

    name: str  # dotted module path ("features.0"); "" for the model itself
    type: str  # class name (Conv2d, ReLU, ...)
    depth: int  # nesting depth (1 = direct child of the model)
    kernel: str  # "3x3", "" when the layer has none
    stride: str
    padding: str
    output_shape: tuple[int, ...]  # without the batch axis
    params: int  # parameters of this module itself (its children not counted twice)
    mult_adds: int  # multiply-adds of this module's own work (torchinfo's MACs)

    def as_dict(self) -> dict[str, Any]:
        return {"layer": self.name, "type": self.type, "depth": self.depth, "kernel": self.kernel,
                "stride": self.stride, "padding": self.padding,
                "output shape": " x ".join(map(str, self.output_shape)),
                "parameters": self.params, "mult-adds": self.mult_adds}


@dataclass(frozen=True)
class ModelSummary:
    """:func:`summarise`'s result: torchinfo's table and totals for one input of ``input_shape``."""

    model_name: str
    display_name: str
    input_shape: tuple[int, ...]  # (C, H, W)
    rows: tuple[LayerRow, ...]  # leaf layers, in execution order
    total_params: int
    trainable_params: int
    mult_adds: int  # for one image
    weight_layers: int  # convolutions + fully connected layers (the "depth" papers quote)

    def table(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]


def _spec(model_name: str):
    if model_name not in ARCHITECTURES:
        try:
            return get_spec(model_name)
        except KeyError:
            raise UnknownArchitecture(
                f"No architecture named {model_name!r}; try one of {', '.join(ARCHITECTURES)}") from None
    return get_spec(model_name)


def input_shape(model_name: str) -> tuple[int, int, int]:
    """(C, H, W) of one input: ``spec.options["input_shape"]`` or 3 x the preprocessing size."""
    spec = _spec(model_name)
    options = getattr(spec, "options", None) or {}
    if "input_shape" in options:
        return tuple(options["input_shape"])  # type: ignore[return-value]
    if spec.preprocessing is None:
        raise UnknownArchitecture(f"{model_name} is not an image model")
    return (3, *spec.preprocessing.input_size)


def _pair(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return "x".join(str(v) for v in value) if len(set(value)) > 1 else str(value[0])
    return str(value)


def _kernel(value: Any) -> str:
    if isinstance(value, int):
        return f"{value}x{value}"
    return "x".join(str(v) for v in value)


def _geometry(module: nn.Module) -> tuple[str, str, str]:
    kernel = getattr(module, "kernel_size", None)
    stride = getattr(module, "stride", None) if kernel is not None else None
    padding = getattr(module, "padding", None) if kernel is not None else None
    return (_kernel(kernel) if kernel is not None else "", _pair(stride), _pair(padding))


def summarise(model_name: str, *, model: nn.Module | None = None) -> ModelSummary:
    """Layer table and totals of a registered model, from ``torchinfo.summary`` on a random-weights build.

    Args:
        model_name: a registry name (``lenet5``, ``alexnet``, ``vgg16``, ``resnet18``, ``resnet50``,
            ``mobilenet_v2_tflite``, or any other registered image model).
        model: summarise this module instead of ``spec.build()`` (e.g. a loaded model; it is only
            read: torchinfo's hooks are removed before it returns, and it runs under inference_mode).

    Raises:
        UnknownArchitecture: the name is not registered.
    """
    import torchinfo

    spec = _spec(model_name)
    shape = input_shape(model_name)
    net = model if model is not None else spec.build().eval()
    device = next(net.parameters()).device
    with torch.inference_mode():
        stats = torchinfo.summary(net, input_size=(1, *shape), depth=100, verbose=0, device=device,
                                  col_names=("output_size", "num_params", "mult_adds"))
    names = {id(m): n for n, m in net.named_modules()}
    # LeNet's C3 is one layer of the paper, built from grouped convolutions: one row for it.
    units = {id(m) for m in net.modules() if type(m).__name__ == "SparseConv"}
    inside = {id(c) for m in net.modules() if id(m) in units for c in m.modules() if c is not m}
    unit_macs: dict[int, int] = {}
    for info in stats.summary_list:
        parent = info.parent_info
        while parent is not None and id(parent.module) not in units:
            parent = parent.parent_info
        if parent is not None and info.is_leaf_layer:
            unit_macs[id(parent.module)] = unit_macs.get(id(parent.module), 0) + int(info.macs)
    rows = []
    for info in stats.summary_list:
        is_unit = id(info.module) in units
        if (not info.is_leaf_layer and not is_unit) or info.is_recursive or id(info.module) in inside:
            continue
        own_params = sum(p.numel() for p in info.module.parameters(recurse=is_unit))
        kernel, stride, padding = _geometry(info.module)
        out = info.output_size[1:] if isinstance(info.output_size, list | tuple) else ()
        rows.append(LayerRow(names.get(id(info.module), info.var_name), info.class_name, info.depth,
                             kernel, stride, padding, tuple(int(v) for v in out), own_params,
                             unit_macs.get(id(info.module), 0) if is_unit else int(info.macs)))
    weight_layers = _weight_layers(net)
    return ModelSummary(model_name, spec.display_name, tuple(shape), tuple(rows),
                        int(stats.total_params), int(stats.trainable_params), int(stats.total_mult_adds),
                        weight_layers)


def _weight_layers(net: nn.Module) -> int:
    """Convolutions and fully connected layers (1x1 shortcut convolutions included); LeNet's C3,
    built from grouped convolutions, counts as the one layer it is in the paper."""
    count = 0
    for m in net.modules():
        if type(m).__name__ == "SparseConv":
            count += 1 - sum(1 for c in m.modules() if isinstance(c, nn.Conv2d))
        elif isinstance(m, nn.Conv2d | nn.Linear):
            count += 1
    return count


def measure_latency(model_name: str, *, repeats: int = 3, model: nn.Module | None = None) -> float:
    """Median CPU milliseconds of one forward pass (batch 1) of the random-weights build, after a warm-up.

    Latency does not depend on the weights' values, so random weights time the real architecture.
    """
    net = model if model is not None else _spec(model_name).build().eval()
    x = torch.rand(1, *input_shape(model_name))
    times = []
    with torch.inference_mode():
        net(x)
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            net(x)
            times.append(1000.0 * (time.perf_counter() - start))
    return sorted(times)[len(times) // 2]


# -- block diagram --------------------------------------------------------------------------------
_SHORT = {"Conv2d": "conv", "BatchNorm2d": "bn", "ReLU": "relu", "ReLU6": "relu6", "MaxPool2d": "maxpool",
          "AvgPool2d": "avgpool", "AdaptiveAvgPool2d": "avgpool", "Linear": "fc", "Dropout": "dropout",
          "Flatten": "flatten", "ScaledTanh": "tanh", "Subsampling": "subsample", "SparseConv": "conv C3"}


def _describe(module: nn.Module) -> str:
    kind = type(module).__name__
    label = _SHORT.get(kind, kind)
    if isinstance(module, nn.Conv2d):
        k = _kernel(module.kernel_size)
        dw = " dw" if module.groups == module.in_channels and module.groups > 1 else ""
        s = f"/{_pair(module.stride)}" if module.stride != (1, 1) else ""
        return f"conv{dw} {k}{s}, {module.out_channels}"
    if isinstance(module, nn.Linear):
        return f"fc {module.out_features}"
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        return f"{label} {_pair(module.kernel_size)}"
    return label


def block_diagram(model_name: str, *, max_nodes: int = 400) -> str:
    """Graphviz DOT source of the model's data flow (for ``st.graphviz_chart``).

    A ``torch.fx`` trace gives every layer call and every ``+`` (residual add); chains with one input
    and one output are merged into one box ("conv 3x3, 64 / bn / relu"), so what remains are the
    blocks, the branches and the merges (skip connections drawn in red). Models fx cannot trace are
    drawn as the chain of their top-level children.
    """
    import torch.fx

    spec = _spec(model_name)
    net = spec.build().eval()
    class _LeafTracer(torch.fx.Tracer):
        # Every module without children is one box (our SamePadConv2d, ScaledTanh, ...), and so is
        # LeNet's C3 (its gather-and-group plumbing is an implementation detail).
        def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
            return not any(m.children()) or type(m).__name__ == "SparseConv" or super().is_leaf_module(m, qualname)

    try:
        graph = _LeafTracer().trace(net)
    except Exception:  # fx cannot trace data-dependent Python control flow
        return _chain_diagram(model_name, net)
    modules = dict(net.named_modules())
    nodes = [n for n in graph.nodes if n.op != "output"]
    label: dict[Any, str] = {}
    for n in nodes:
        if n.op == "placeholder":
            label[n] = "input " + "x".join(map(str, input_shape(model_name)))
        elif n.op == "call_module":
            label[n] = _describe(modules[n.target])
        elif n.op in ("call_function", "call_method"):
            name = getattr(n.target, "__name__", str(n.target))
            if name in ("add", "iadd", "__add__"):
                label[n] = "+"
            elif name in ("flatten", "relu", "cat"):
                label[n] = name
            else:
                label[n] = ""  # reshapes, getitem, padding: folded away
        else:
            label[n] = ""
    {n: [u for u in n.users if u.op != "output"] for n in nodes}
    inputs = {n: [a for a in n.all_input_nodes if a in label] for n in nodes}
    # Fold unlabeled pass-through nodes (one input) into their input.
    rep: dict[Any, Any] = {}

    def find(n):
        while n in rep:
            n = rep[n]
        return n

    for n in nodes:
        if label[n] == "" and len(inputs[n]) <= 1 and inputs[n]:
            rep[n] = inputs[n][0]
    kept = [n for n in nodes if n not in rep]
    ins = {n: list(dict.fromkeys(find(a) for a in inputs[n] if find(a) is not n)) for n in kept}
    outs: dict[Any, list] = {n: [] for n in kept}
    for n in kept:
        for a in ins[n]:
            outs[a].append(n)
    # Merge chains: a node with one input whose input has one output.
    group: dict[Any, Any] = {}
    for n in kept:
        if len(ins[n]) == 1 and len(outs[ins[n][0]]) == 1 and label[n] not in ("+",) \
                and label[ins[n][0]] not in ("+",) and ins[n][0].op != "placeholder":
            group[n] = group.get(ins[n][0], ins[n][0])
    heads = [n for n in kept if n not in group]
    if len(heads) > max_nodes:
        return _chain_diagram(model_name, net)
    members: dict[Any, list[str]] = {h: [] for h in heads}
    for n in kept:
        members[group.get(n, n)].append(label[n] or str(n.target))
    ids = {h: f"n{i}" for i, h in enumerate(heads)}
    lines = ["digraph G {", '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#eef3fb", '
             'fontname="Helvetica", fontsize=10]; edge [color="#555555"];']
    for h in heads:
        text = "\\n".join(_compress(members[h]))
        if label[h] == "+":
            lines.append(f'  {ids[h]} [label="+", shape=circle, fillcolor="#fde2e1"];')
        else:
            lines.append(f'  {ids[h]} [label="{text}"];')
    for h in heads:
        projection = None
        if label[h] == "+" and len(ins[h]) == 2 and not any(_is_skip(a, h, ins) for a in ins[h]):
            # Neither branch is an ancestor of the other: a projection shortcut (ResNet's 1x1 conv
            # "option B"); it is the branch with fewer layers.
            projection = min(ins[h], key=lambda a: len(members[group.get(a, a)]))
        for a in ins[h]:
            src = ids[group.get(a, a)]
            if label[h] == "+" and len(ins[h]) > 1 and _is_skip(a, h, ins):
                style = ' [color="#d62728", penwidth=2, label="skip", fontcolor="#d62728", fontsize=9]'
            elif a is projection:
                style = (' [color="#d62728", penwidth=2, style=dashed, label="skip (1x1 projection)", '
                         'fontcolor="#d62728", fontsize=9]')
            else:
                style = ""
            lines.append(f"  {src} -> {ids[h]}{style};")
    lines.append("}")
    return "\n".join(lines)


def _is_skip(src, add, ins) -> bool:
    """An identity skip: the edge leaves from a node that the other branch into the add descends from."""
    def ancestors(n, seen):
        stack = [n]
        while stack:
            for a in ins.get(stack.pop(), []):
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
        return seen
    return any(src in ancestors(o, set()) for o in ins[add] if o is not src)


def _compress(labels: list[str], limit: int = 8) -> list[str]:
    out = [lab for lab in labels if lab]
    if len(out) > limit:
        out = [*out[: limit - 2], "...", out[-1]]
    return out


def _chain_diagram(model_name: str, net: nn.Module) -> str:
    lines = ["digraph G {", '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#eef3fb", '
             'fontname="Helvetica", fontsize=10];',
             f'  n0 [label="input {"x".join(map(str, input_shape(model_name)))}"];']
    for i, (name, child) in enumerate(net.named_children(), start=1):
        lines.append(f'  n{i} [label="{name}: {_describe(child)}"];')
        lines.append(f"  n{i - 1} -> n{i};")
    lines.append("}")
    return "\n".join(lines)
