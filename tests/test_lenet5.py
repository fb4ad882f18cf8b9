"""LeNet-5 (LeCun et al. 1998): parameter counts per layer, the C3 table, shapes."""

from __future__ import annotations

import torch

from cnnapps.models.lenet5 import C3_TABLE, lenet5


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_match_the_paper() -> None:
    m = lenet5()
    # Section II.B of the paper, layer by layer.
    assert _count(m.c1) == 156
    assert _count(m.s2) == 12
    assert _count(m.c3) == 1516  # Table I connections, not 2,416 (full)
    assert _count(m.s4) == 32
    assert _count(m.c5) == 48120
    assert _count(m.f6) == 10164
    paper_trainable = sum(_count(getattr(m, n)) for n in ("c1", "s2", "c3", "s4", "c5", "f6"))
    assert paper_trainable == 60000
    assert _count(m.output) == 850  # our linear + softmax in place of the fixed RBF layer
    assert _count(m) == 60850


def test_c3_follows_table_one() -> None:
    m = lenet5()
    assert len(C3_TABLE) == 16 and sum(map(len, C3_TABLE)) == 60
    x = torch.randn(1, 6, 14, 14, requires_grad=True)
    out = m.c3(x)
    assert out.shape == (1, 16, 10, 10)
    for j, inputs in enumerate(C3_TABLE):
        (grad,) = torch.autograd.grad(out[0, j].sum(), x, retain_graph=True)
        used = {i for i in range(6) if grad[0, i].abs().sum() > 0}
        assert used == set(inputs), j


def test_shapes_and_input_levels() -> None:
    m = lenet5().eval()
    assert m(torch.rand(4, 1, 28, 28)).shape == (4, 10)
    feats = {}
    hooks = [getattr(m, n).register_forward_hook(lambda _m, _i, o, n=n: feats.__setitem__(n, o.shape))
             for n in ("c1", "s2", "c3", "s4", "c5", "f6")]
    m(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    assert feats == {"c1": (1, 6, 28, 28), "s2": (1, 6, 14, 14), "c3": (1, 16, 10, 10),
                     "s4": (1, 16, 5, 5), "c5": (1, 120, 1, 1), "f6": (1, 84)}
