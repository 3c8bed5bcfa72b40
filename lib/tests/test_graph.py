"""autodiff.autograd.graph (the graph walk), the layered layout and draw_graph's SVG."""
import random
import sys
import xml.etree.ElementTree as ET

import pytest

import autodiff as ad
import autodiff.nn as nn
from autodiff.autograd.graph import trace, walk
from autodiff.utils import draw_graph
from autodiff.utils._layered_layout import _crossings, _order, _place, layout

SVG = "{http://www.w3.org/2000/svg}"


def summary(nodes):
    """``(kind, label, [(input label, output index)])`` per node, in walk order."""
    return [(n.kind, n.label, [(src.label, nr) for src, nr in n.inputs]) for n in nodes]


# ---- the walk -----------------------------------------------------------------------------
def test_walk_orders_inputs_first_and_names_leaves():
    w = ad.randn(3, 3, requires_grad=True)
    x = ad.randn(3, requires_grad=True)
    y = (w @ x).tanh().sum() * 2
    nodes = walk(y, {id(w): "w", id(x): "x"})
    assert summary(nodes) == [
        ("leaf", "w", []), ("leaf", "x", []),
        ("op", "MvBackward0", [("w", 0), ("x", 0)]),
        ("op", "TanhBackward0", [("MvBackward0", 0)]),
        ("op", "SumBackward0", [("TanhBackward0", 0)]),
        ("op", "MulBackward0", [("SumBackward0", 0)]),
        ("output", "output", [("MulBackward0", 0)])]
    mv = y.grad_fn
    for _ in range(3):                      # Mul <- Sum <- Tanh <- Mv
        mv = mv.next_functions[0][0]
    assert nodes[0].tensor is w and nodes[2].fn is mv
    assert [s for s, _ in nodes[2].meta] == [(3,)]


def test_walk_constants_multi_outputs_and_shared_leaves():
    x = ad.randn(4, requires_grad=True)
    c = ad.ones(2)                                # an argument that does not require grad
    a, b = x.split(2)
    y = a * b + a * c
    nodes = walk([y])
    kinds = [n.kind for n in nodes]
    assert kinds.count("leaf") == 1 and kinds.count("constant") == 1
    (split,) = [n for n in nodes if n.label == "SplitBackward0"]
    assert [s for s, _ in split.meta] == [(2,), (2,)]
    mul_ab = next(n for n in nodes if n.label == "MulBackward0")
    assert [(src.label, nr) for src, nr in mul_ab.inputs] == [("SplitBackward0", 0),
                                                              ("SplitBackward0", 1)]
    const = next(n for n in nodes if n.kind == "constant")
    assert const.meta[0][0] == (2,) and const.tensor is None


def test_walk_of_leaves_and_of_tensors_without_graph():
    w = ad.randn(2, requires_grad=True)
    assert summary(walk(w, {id(w): "w"})) == [("leaf", "w", [])]
    assert summary(walk(ad.zeros(2))) == [("output", "output", [])]


def test_walk_10000_op_chain_without_recursion():
    x = ad.randn(2, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        nodes = walk(y)
        drawing = draw_graph(y)
    finally:
        sys.setrecursionlimit(limit)
    assert len(nodes) == 10_002 and len(drawing.nodes) == 10_002
    position = {id(n): i for i, n in enumerate(nodes)}
    assert all(position[id(src)] < i for i, n in enumerate(nodes) for src, _ in n.inputs)


def test_walk_hides_identity_nodes():
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda *args: None)
    y = lin(ad.randn(1, 2, requires_grad=True))
    assert "BackwardHookFunctionBackward" in [n.label for n in walk(y)]
    hidden = walk(y, hide=("BackwardHookFunctionBackward",))
    assert "BackwardHookFunctionBackward" not in [n.label for n in hidden]
    (addmm,) = [n for n in hidden if n.label == "AddmmBackward0"]
    assert addmm.inputs[1][0].kind == "leaf"          # the input, seen through the identity


# ---- tracing a model ----------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.bn = nn.BatchNorm1d(3)

    def forward(self, x):
        return self.bn(self.lin(x)).relu()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.body = nn.Sequential(Block(), nn.Dropout(0.5))

    def forward(self, ids, scale):
        return self.body(self.emb(ids) * scale).sum()


def test_trace_scopes_roles_and_names():
    model = Net()
    tr = trace(model, (ad.tensor([0, 1, 4]), ad.tensor(2.0)))
    by_label = {}
    for n in tr.nodes:
        by_label.setdefault(n.label, n)
    assert tr.module_paths["body.0.lin"] == "Net/Sequential[body]/Block[0]/Linear[lin]"
    assert by_label["AddmmBackward0"].scope == "Net/Sequential[body]/Block[0]/Linear[lin]"
    assert (by_label["NativeBatchNormBackward0"].scope
            == "Net/Sequential[body]/Block[0]/BatchNorm1d[bn]")
    assert by_label["ReluBackward0"].scope == "Net/Sequential[body]/Block[0]"
    assert by_label["EmbeddingBackward0"].scope == "Net/Embedding[emb]"
    assert by_label["MulBackward0"].scope == by_label["SumBackward0"].scope == "Net"
    roles = {(n.role, n.name) for n in tr.nodes if n.kind in ("leaf", "constant")}
    assert roles == {("parameter", "emb.weight"), ("parameter", "body.0.lin.weight"),
                     ("parameter", "body.0.lin.bias"), ("parameter", "body.0.bn.weight"),
                     ("parameter", "body.0.bn.bias"), ("buffer", "body.0.bn.running_mean"),
                     ("buffer", "body.0.bn.running_var"), ("input", "ids"), ("input", "scale")}
    assert tr.input_names == ["ids", "scale"] and tr.output.shape == ()
    assert not any(n.label == "MulBackward0" and n.scope.endswith("Dropout[1]") for n in tr.nodes)


def test_trace_restores_modes_and_removes_hooks_even_on_error():
    model = Net()
    model.body[1].train(False)
    trace(model, (ad.tensor([1]), ad.tensor(1.0)))
    assert model.training and model.body[0].training and not model.body[1].training
    with pytest.raises(RuntimeError):
        trace(model, (ad.tensor([[1.5]]), ad.tensor(1.0)))      # float indices: Embedding fails
    assert model.training and not model.body[1].training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


# ---- the layout ---------------------------------------------------------------------------
def random_dag(rng, n):
    edges = {(rng.randrange(v), v) for v in range(1, n) for _ in range(rng.randint(1, 2))}
    sizes = [(rng.randint(20, 120), rng.randint(15, 45)) for _ in range(n)]
    return sizes, sorted(edges)


@pytest.mark.parametrize("seed", range(5))
def test_layout_draws_edges_downwards_without_overlaps(seed):
    rng = random.Random(seed)
    sizes, edges = random_dag(rng, 40)
    centers, routes, width, height = layout(sizes, edges)
    for (u, v), route in zip(edges, routes):
        assert centers[u][1] < centers[v][1]
        assert route[0] == centers[u] and route[-1] == centers[v]
        assert all(a[1] < b[1] for a, b in zip(route, route[1:]))
    boxes = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2) for (x, y), (w, h) in zip(centers, sizes)]
    for i, a in enumerate(boxes):
        assert a[0] >= -1e-9 and a[2] <= width + 1e-9 and a[1] >= -1e-9 and a[3] <= height + 1e-9
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_layout_removes_avoidable_crossings():
    rows = [[0, 1], [2, 3]]
    edges = [(0, 3), (1, 2)]
    up, down = {0: [], 1: [], 2: [1], 3: [0]}, {0: [3], 1: [2], 2: [], 3: []}
    pos = {0: 0, 1: 1, 2: 0, 3: 1}
    assert _crossings(pos, edges) == 1
    best = _order([list(r) for r in rows], up, down, [edges])
    pos = {v: i for row in best for i, v in enumerate(row)}
    assert _crossings(pos, edges) == 0


def test_place_is_least_squares_under_separation():
    assert _place([0.0, 0.0, 0.0], [10.0, 10.0]) == [-10.0, 0.0, 10.0]
    assert _place([0.0, 50.0], [10.0]) == [0.0, 50.0]           # far enough: kept
    assert _place([5.0, 0.0], [4.0]) == [0.5, 4.5]


def test_parameters_sit_next_to_their_user():
    # a chain 0..4, and a parameter 5 transposed (6) for the last op: both are drawn just
    # above that op, not at the top of the drawing
    sizes = [(40, 20)] * 7
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (5, 6), (6, 4)]
    centers, *_ = layout(sizes, edges)
    assert centers[6][1] == centers[3][1] and centers[5][1] == centers[2][1]


# ---- draw_graph ---------------------------------------------------------------------------
def parse(svg):
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(SVG + "text")]
    return root, texts


def test_draw_tensor_graph_svg():
    w = ad.randn(3, 3, requires_grad=True)
    x = ad.ones(3)
    y = (w @ x).tanh()
    drawing = draw_graph(y, params={"w": w, "y": y})
    root, texts = parse(drawing._repr_svg_())
    assert root.tag == SVG + "svg"
    assert len(list(root.iter(SVG + "rect"))) == 5           # w, x (constant), Mv, Tanh, y
    edges = [p for p in root.iter(SVG + "path") if p.get("marker-end")]
    assert len(edges) == len(drawing.edges) == 4
    for needle in ("MvBackward0", "TanhBackward0", "w", "(3, 3)", "y", "constant", "(3,)",
                   "requires_grad=True, leaf", "requires_grad=True, non-leaf",
                   "requires_grad=False"):
        assert needle in texts, needle
    assert texts.count("(3,)") == 4        # the constant, y, and the edges leaving Mv and Tanh
    assert drawing._repr_html_().count("<svg") == 1
    assert repr(drawing) == "<GraphDrawing: 5 nodes, 4 edges>"
    assert "constant" not in parse(draw_graph(y, show_constants=False).svg)[1]


def test_draw_model_graph_names_parameters_inputs_and_scopes(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    drawing = draw_graph(model, ad.randn(2, 4))
    _, texts = parse(drawing.svg)
    for needle in ("input", "(2, 4)", "requires_grad=False, leaf", "0.weight", "0.bias",
                   "AddmmBackward0", "Linear[0]", "ReluBackward0", "ReLU[1]", "output"):
        assert needle in texts, needle
    drawing.save(tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_text(encoding="utf-8") == drawing.svg
    int_input = draw_graph(nn.Embedding(4, 2), ad.tensor([1, 2]))
    assert "(2,) int64" in parse(int_input.svg)[1]


def test_draw_graph_escapes_names():
    w = ad.randn(2, requires_grad=True)
    svg = draw_graph(w * 2, params={"<w&>": w}).svg
    assert "&lt;w&amp;&gt;" in svg and "<w&>" in parse(svg)[1]
