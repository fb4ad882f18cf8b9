"""Darknet ``.cfg`` networks (the YOLO family as Darknet describes it) as a PyTorch module.

Our own reader, written for Yolo-Fastest 1.1 / 1.1-XL (dog-qiuqiu/Yolo-Fastest, darknet
AlexeyAB fork format) because nothing installable reads darknet files any more: OpenCV 5
dropped ``cv2.dnn.readNetFromDarknet`` and the PyTorch ports on PyPI are unmaintained.
It covers the layer types those networks use:

- ``[convolutional]``: filters, size, stride, pad (pad=1 means ``size // 2``, as darknet's
  parser), groups (grouped / depthwise), batch_normalize, activation leaky (slope 0.1) | linear
- ``[shortcut]`` (from, activation linear): add an earlier layer's output
- ``[route]`` (layers, groups, group_id): concatenate earlier outputs (or one channel group)
- ``[maxpool]`` (size, stride): darknet pads ``size - 1`` in total, ``(size - 1) // 2`` before
- ``[upsample]`` (stride): nearest neighbour
- ``[dropout]``: identity at inference
- ``[yolo]``: anchors/mask/classes/scale_x_y, decoded in :class:`YoloHead`

The ``.weights`` layout (darknet's ``load_weights``): int32 major, minor, revision; then the
"images seen" counter, int64 when ``major * 10 + minor >= 2`` else int32; then float32 values
layer by layer in cfg order. A convolution with batch norm stores bias (beta) [n], scale (gamma)
[n], rolling mean [n], rolling variance [n], then weights [n, c / groups, k, k]; without batch
norm: bias [n], then weights.

The module's ``forward`` returns the decoded YOLO rows (see :meth:`Darknet.forward`), in an order
(:class:`YoloHead`) that lets a row be traced back to its grid cell and anchor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "Block",
    "fuse_batch_norms",
    "Darknet",
    "HeadInfo",
    "YoloHead",
    "load_darknet_weights",
    "parse_cfg",
]

Block = tuple[str, dict[str, str]]  # ("convolutional", {"filters": "16", ...})

_SUPPORTED = {"net", "convolutional", "shortcut", "route", "maxpool", "upsample", "dropout", "yolo"}


def parse_cfg(text: str) -> list[Block]:
    """Parse darknet cfg text into ``[(section, {key: value})]``, ``[net]`` first.

    Comments start with ``#`` or ``;``; keys and values are stripped; spaces inside values
    (``anchors = 12, 18,  37, 49``) are removed.
    """
    blocks: list[Block] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ValueError(f"cfg line {lineno}: malformed section header {raw!r}")
            blocks.append((line[1:-1].strip().lower(), {}))
        elif "=" in line:
            if not blocks:
                raise ValueError(f"cfg line {lineno}: key before any [section]")
            key, value = line.split("=", 1)
            blocks[-1][1][key.strip()] = value.replace(" ", "").strip()
        else:
            raise ValueError(f"cfg line {lineno}: expected key=value, got {raw!r}")
    if not blocks or blocks[0][0] not in ("net", "network"):
        raise ValueError("a darknet cfg starts with a [net] section")
    unknown = sorted({name for name, _ in blocks[1:]} - _SUPPORTED)
    if unknown:
        raise ValueError(f"unsupported darknet layer types: {', '.join(unknown)}")
    return [("net", blocks[0][1]), *blocks[1:]]


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v]


class ConvBlock(nn.Module):
    """Darknet convolution: conv (bias only without batch norm) -> batch norm -> leaky | linear."""

    def __init__(self, in_ch: int, opts: dict[str, str]) -> None:
        super().__init__()
        filters = int(opts["filters"])
        size = int(opts.get("size", 1))
        stride = int(opts.get("stride", 1))
        # darknet parse_convolutional: padding = size / 2 when pad=1, else the "padding" key
        padding = size // 2 if int(opts.get("pad", 0)) else int(opts.get("padding", 0))
        groups = int(opts.get("groups", 1))
        bn = bool(int(opts.get("batch_normalize", 0)))
        self.activation = opts.get("activation", "logistic")
        if self.activation not in ("leaky", "linear"):
            raise ValueError(f"unsupported activation {self.activation!r}")
        self.conv = nn.Conv2d(in_ch, filters, size, stride, padding, groups=groups, bias=not bn)
        # darknet normalises with sqrt(var + .00001f) (blas.c normalize_cpu), i.e. eps = 1e-5
        self.bn = nn.BatchNorm2d(filters, eps=1e-5) if bn else None

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.activation == "leaky":
            x = F.leaky_relu(x, 0.1)
        return x


class MaxPool(nn.Module):
    """Darknet max pool: ``size - 1`` padding in total, ``(size - 1) // 2`` of it before."""

    def __init__(self, size: int, stride: int) -> None:
        super().__init__()
        self.size, self.stride = size, stride
        before = (size - 1) // 2
        self.pad = (before, size - 1 - before, before, size - 1 - before)

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1 and self.size % 2 == 1:  # symmetric: the fast built-in padding
            return F.max_pool2d(x, self.size, 1, self.size // 2)
        return F.max_pool2d(F.pad(x, self.pad, value=float("-inf")), self.size, self.stride)


@dataclass(frozen=True)
class HeadInfo:
    """One YOLO output: its anchors (pixels of the network input) and class count."""

    anchors: tuple[tuple[float, float], ...]  # (w, h) per anchor of this head, in input pixels
    num_classes: int
    scale_x_y: float  # YOLOv4's grid sensitivity: 1.0 is plain YOLOv3 decoding


class YoloHead(nn.Module):
    """Decode one YOLO feature map [N, A*(5+C), H, W] into rows [N, A*H*W, 5+C].

    Row layout (darknet ``get_yolo_box`` / OpenCV's region output): cx, cy, w, h as fractions of
    the network input; objectness (sigmoid); C class probabilities (sigmoid, not yet multiplied
    by objectness). Rows are ordered anchor-major, then grid row y, then column x:
    ``row = (a * H + y) * W + x``.
    """

    def __init__(self, info: HeadInfo) -> None:
        super().__init__()
        self.info = info
        self.register_buffer(
            "anchors", torch.tensor(info.anchors, dtype=torch.float32), persistent=False
        )

    def forward(self, x: Tensor, input_hw: tuple[int, int]) -> Tensor:
        n, _, h, w = x.shape
        a = len(self.info.anchors)
        p = x.view(n, a, 5 + self.info.num_classes, h, w).permute(0, 1, 3, 4, 2)  # [N, A, H, W, 5+C]
        s = self.info.scale_x_y
        gy, gx = torch.meshgrid(
            torch.arange(h, device=x.device, dtype=x.dtype),
            torch.arange(w, device=x.device, dtype=x.dtype),
            indexing="ij",
        )
        # darknet yolo_layer.c: x = (i + sigmoid(tx) * s - (s - 1) / 2) / lw; w = exp(tw) * anchor / netw
        cx = (gx + torch.sigmoid(p[..., 0]) * s - (s - 1) / 2) / w
        cy = (gy + torch.sigmoid(p[..., 1]) * s - (s - 1) / 2) / h
        anchors = self.anchors.to(x.dtype)
        bw = torch.exp(p[..., 2]) * anchors[:, 0].view(1, a, 1, 1) / input_hw[1]
        bh = torch.exp(p[..., 3]) * anchors[:, 1].view(1, a, 1, 1) / input_hw[0]
        rest = torch.sigmoid(p[..., 4:])
        rows = torch.cat([cx[..., None], cy[..., None], bw[..., None], bh[..., None], rest], dim=-1)
        return rows.reshape(n, a * h * w, 5 + self.info.num_classes)


class Darknet(nn.Module):
    """A network built from parsed darknet cfg blocks.

    ``forward(x)`` takes [N, 3, H, W] RGB in [0, 1] (H, W multiples of 32) and returns decoded
    rows [N, R, 5 + C]: the rows of every ``[yolo]`` layer in cfg order, each laid out as in
    :class:`YoloHead`. Head k's grid is the input size divided by ``head_strides[k]``.
    """

    def __init__(self, blocks: list[Block]) -> None:
        super().__init__()
        net, layers = blocks[0][1], blocks[1:]
        self.input_hw = (int(net.get("height", 320)), int(net.get("width", 320)))
        self.kinds: list[str] = []
        self.sources: list[tuple[int, ...]] = []  # absolute indices each layer reads (besides i-1)
        self.route_groups: list[tuple[int, int]] = []
        self.layers = nn.ModuleList()
        self.heads: list[int] = []
        self.head_strides: list[int] = []  # 32, 16 for Yolo-Fastest: grid = input / stride
        channels: list[int] = []
        strides: list[float] = []  # total stride of each layer's output w.r.t. the input
        in_ch = int(net.get("channels", 3))
        stride = 1.0
        for i, (kind, opts) in enumerate(layers):
            src: tuple[int, ...] = ()
            groups = (1, 0)
            if kind == "convolutional":
                module: nn.Module = ConvBlock(in_ch, opts)
                out_ch = int(opts["filters"])
                stride *= int(opts.get("stride", 1))
            elif kind == "shortcut":
                if opts.get("activation", "linear") != "linear":
                    raise ValueError("only linear shortcuts are supported")
                src = tuple(j if j >= 0 else i + j for j in _ints(opts["from"]))
                module, out_ch = nn.Identity(), in_ch
            elif kind == "route":
                src = tuple(j if j >= 0 else i + j for j in _ints(opts["layers"]))
                groups = (int(opts.get("groups", 1)), int(opts.get("group_id", 0)))
                out_ch = sum(channels[j] for j in src) // groups[0]
                module = nn.Identity()
                stride = strides[src[0]] if all(0 <= j < i for j in src) else stride
            elif kind == "maxpool":
                size = int(opts.get("size", 2))
                module, out_ch = MaxPool(size, int(opts.get("stride", size))), in_ch
                stride *= int(opts.get("stride", size))
            elif kind == "upsample":
                module, out_ch = nn.Upsample(scale_factor=int(opts.get("stride", 2)), mode="nearest"), in_ch
                stride /= int(opts.get("stride", 2))
            elif kind == "dropout":
                module, out_ch = nn.Identity(), in_ch
            elif kind == "yolo":
                anchors = _ints(opts["anchors"])
                pairs = [(float(anchors[2 * k]), float(anchors[2 * k + 1])) for k in range(len(anchors) // 2)]
                mask = _ints(opts.get("mask", ",".join(str(k) for k in range(len(pairs)))))
                info = HeadInfo(
                    anchors=tuple(pairs[m] for m in mask),
                    num_classes=int(opts.get("classes", 80)),
                    scale_x_y=float(opts.get("scale_x_y", 1.0)),
                )
                if in_ch != len(mask) * (5 + info.num_classes):
                    raise ValueError(f"layer {i}: yolo head expects {len(mask) * (5 + info.num_classes)} channels")
                module, out_ch = YoloHead(info), in_ch
                self.heads.append(i)
                self.head_strides.append(int(stride))
            else:  # parse_cfg already refused it
                raise ValueError(f"unsupported layer {kind}")
            if any(j < 0 or j >= i for j in src):
                raise ValueError(f"layer {i} ({kind}) refers to a layer that is not before it: {src}")
            self.kinds.append(kind)
            self.sources.append(src)
            self.route_groups.append(groups)
            self.layers.append(module)
            channels.append(out_ch)
            strides.append(stride)
            in_ch = out_ch
        if not self.heads:
            raise ValueError("the cfg has no [yolo] layer")
        # keep only the outputs a later layer reads: saves memory on 131-layer nets
        needed = {j for s in self.sources for j in s}
        self._keep = frozenset(needed)

    @property
    def head_infos(self) -> list[HeadInfo]:
        return [self.layers[i].info for i in self.heads]  # type: ignore[union-attr]

    def head_maps(self, x: Tensor) -> list[Tensor]:
        """The raw (undecoded) maps [N, A*(5+C), H, W] that reach each ``[yolo]`` layer."""
        outs: dict[int, Tensor] = {}
        maps: list[Tensor] = []
        for i, (kind, layer, src) in enumerate(zip(self.kinds, self.layers, self.sources, strict=True)):
            if kind == "shortcut":
                for j in src:
                    x = x + outs[j]
            elif kind == "route":
                x = torch.cat([outs[j] for j in src], 1) if len(src) > 1 else outs[src[0]]
                n_groups, gid = self.route_groups[i]
                if n_groups > 1:
                    x = x.chunk(n_groups, 1)[gid]
            elif kind == "yolo":
                maps.append(x)
            else:
                x = layer(x)
            if i in self._keep:
                outs[i] = x
        return maps

    def forward(self, x: Tensor) -> Tensor:
        input_hw = (x.shape[2], x.shape[3])
        maps = self.head_maps(x)
        rows = [self.layers[i](m, input_hw) for i, m in zip(self.heads, maps, strict=True)]
        return torch.cat(rows, 1)


def load_darknet_weights(model: Darknet, path: str | Path) -> dict[str, int]:
    """Fill ``model``'s convolutions and batch norms from a darknet ``.weights`` file.

    Returns the header (major, minor, revision, seen). Raises ValueError when the file holds
    fewer or more floats than the cfg needs (the usual sign of a cfg/weights mismatch).
    """
    data = Path(path).read_bytes()
    major, minor, revision = np.frombuffer(data, np.int32, 3, 0)
    if major * 10 + minor >= 2:
        seen, offset = int(np.frombuffer(data, np.int64, 1, 12)[0]), 20
    else:
        seen, offset = int(np.frombuffer(data, np.int32, 1, 12)[0]), 16
    values = np.frombuffer(data, np.float32, offset=offset)
    pos = 0

    def take(t: Tensor) -> None:
        nonlocal pos
        n = t.numel()
        if pos + n > values.size:
            raise ValueError(f"weights file ends early: needs more than {values.size} floats")
        t.copy_(torch.from_numpy(values[pos : pos + n].copy()).view_as(t))
        pos += n

    with torch.no_grad():
        for kind, layer in zip(model.kinds, model.layers, strict=True):
            if kind != "convolutional":
                continue
            assert isinstance(layer, ConvBlock)
            if layer.bn is not None:
                for t in (layer.bn.bias, layer.bn.weight, layer.bn.running_mean, layer.bn.running_var):
                    take(t)
            else:
                take(layer.conv.bias)
            take(layer.conv.weight)
    if pos != values.size:
        raise ValueError(f"weights file has {values.size - pos} floats more than the cfg uses")
    return {"major": int(major), "minor": int(minor), "revision": int(revision), "seen": seen}


def fuse_batch_norms(model: Darknet) -> Darknet:
    """Fold every batch norm into its convolution, in place (inference only; about 20 % faster on CPU).

    The result computes the same function up to float rounding; call it on a fresh model that
    no one else holds (it changes the module's parameters).
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for layer in model.layers:
        if isinstance(layer, ConvBlock) and layer.bn is not None:
            layer.conv = fuse_conv_bn_eval(layer.conv.eval(), layer.bn.eval())
            layer.bn = None
    return model
