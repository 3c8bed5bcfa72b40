"""``draw_graph``: the computation graph behind a tensor (or a model's output) as an SVG drawing.

Tensors are boxes with their shape, ``requires_grad`` and whether they are leaves (blue:
leaves that require grad, such as parameters; yellow: a model's inputs; white, dashed:
arguments autograd keeps no node for; green: the tensors drawn from). Grey boxes are the
Function nodes, named as ``tensor.grad_fn`` names them; an edge leaving a Function carries the
shape of the tensor it produced. Data flows downwards, as in the forward pass. Pure Python:
the layout is :mod:`autodiff.utils._layered_layout`, no graphviz needed.
"""
from __future__ import annotations

from html import escape

from ..autograd.graph import trace, walk
from ..tensor import Tensor
from ._layered_layout import layout

__all__ = ["draw_graph", "GraphDrawing"]

CHAR_WIDTH, LINE_HEIGHT, PAD = 7.2, 15, 8       # 12px monospace text
MARGIN = 12
STYLE = {   # kind -> (fill, stroke, dashed)
    "op": ("#e4e4e4", "#8c8c8c", False),
    "leaf": ("#cfe6fb", "#4a88c2", False),
    "input": ("#fdf2c4", "#c9a227", False),
    "constant": ("#ffffff", "#9a9a9a", True),
    "output": ("#d4f2d0", "#4e9a48", False),
}


def _shape(meta) -> str:
    shape, dtype = meta
    text = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    return text if dtype.name == "float32" else f"{text} {dtype.name}"


def _lines(node):
    """The text of a box: a title line, then details."""
    if node.kind == "op":
        return [node.fn.name()] + ([node.scope.rpartition("/")[2]] if node.scope else [])
    style = "input" if node.role == "input" else node.kind
    title = node.name or {"leaf": "tensor", "input": "input", "constant": "constant",
                          "output": "output"}[style]
    if node.role == "input" and node.name != "input":
        title = f"input {node.name}"
    lines = [title, _shape(node.meta[0])]
    t = node.tensor
    if t is None:
        lines.append("requires_grad=False")
    else:
        lines.append(f"requires_grad={t.requires_grad}, " + ("leaf" if t.is_leaf else "non-leaf"))
    return lines


class GraphDrawing:
    """A drawn graph: shows itself in Jupyter (``_repr_svg_``, ``_repr_html_``); ``svg`` is
    the SVG source and ``save(path)`` writes it to a file."""

    def __init__(self, nodes):
        self.nodes = nodes
        index = {id(node): i for i, node in enumerate(nodes)}
        self.edges = [(index[id(src)], i, nr) for i, node in enumerate(nodes)
                      for src, nr in node.inputs]
        self.svg = _render(nodes, self.edges)

    def _repr_svg_(self):
        return self.svg

    def _repr_html_(self):
        return f'<div style="max-width:100%; overflow:auto">{self.svg}</div>'

    def save(self, path):
        """Write the SVG to ``path`` (open it with any browser)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)

    def __repr__(self):
        return f"<GraphDrawing: {len(self.nodes)} nodes, {len(self.edges)} edges>"


def _render(nodes, edges) -> str:
    texts = [_lines(node) for node in nodes]
    sizes = [(max(len(s) for s in lines) * CHAR_WIDTH + 2 * PAD,
              len(lines) * LINE_HEIGHT + PAD) for lines in texts]
    centers, routes, width, height = layout(sizes, [(u, v) for u, v, _ in edges])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 2 * MARGIN:.0f}" '
           f'height="{height + 2 * MARGIN:.0f}" font-family="monospace" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
           '</defs>', f'<g transform="translate({MARGIN},{MARGIN})">']
    incoming = {}
    for k, (_, v, _) in enumerate(edges):
        incoming.setdefault(v, []).append(k)
    ports = {}                               # spread the arrows arriving at one box
    for v, ks in incoming.items():
        ks.sort(key=lambda k: routes[k][-2][0])
        w = sizes[v][0] * 0.6
        for j, k in enumerate(ks):
            ports[k] = centers[v][0] + (w * (j + 0.5) / len(ks) - w / 2 if len(ks) > 1 else 0)
    for k, (u, v, nr) in enumerate(edges):
        points = list(routes[k])
        points[0] = (points[0][0], points[0][1] + sizes[u][1] / 2)
        points[-1] = (ports[k], points[-1][1] - sizes[v][1] / 2)
        out.append(_edge(points, _shape(nodes[u].meta[nr]) if nodes[u].kind == "op" else None))
    for node, lines, (w, h), (cx, cy) in zip(nodes, texts, sizes, centers):
        out.append(_box(node, lines, cx - w / 2, cy - h / 2, w, h))
    out.append("</g></svg>")
    return "\n".join(out)


def _edge(points, label):
    path = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        dy = (yb - ya) / 2
        path.append(f"C{xa:.1f},{ya + dy:.1f} {xb:.1f},{yb - dy:.1f} {xb:.1f},{yb:.1f}")
    svg = (f'<path d="{" ".join(path)}" fill="none" stroke="#555" stroke-width="1.2" '
           'marker-end="url(#arrow)"/>')
    if label:
        (xa, ya), (xb, yb) = points[0], points[1]
        svg += (f'<text x="{(xa + xb) / 2 + 5:.1f}" y="{(ya + yb) / 2 + 4:.1f}" font-size="10" '
                f'fill="#666">{escape(label)}</text>')
    return svg


def _box(node, lines, x, y, w, h):
    fill, stroke, dashed = STYLE["input" if node.role == "input" else node.kind]
    tip = escape(" | ".join(lines + ([f"outputs: {', '.join(_shape(m) for m in node.meta)}"]
                                     if node.kind == "op" else [])))
    parts = [f'<g><title>{tip}</title>',
             f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
             f'fill="{fill}" stroke="{stroke}"' + (' stroke-dasharray="4,3"' if dashed else "")
             + "/>"]
    for i, line in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ' fill="#444" font-size="11"'
        parts.append(f'<text x="{x + w / 2:.1f}" y="{y + PAD / 2 + (i + 0.78) * LINE_HEIGHT:.1f}"'
                     f' text-anchor="middle"{weight}>{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


def draw_graph(tensor_or_model, input=None, *, params=None, show_constants=True):
    """Draw the computation graph behind a tensor (or a list of tensors), or behind a model.

    With a model (an ``nn.Module``), ``model(input)`` runs once in eval mode (``input``: a
    tensor or a tuple of them) and the drawing names parameters, buffers and inputs, and shows
    the module each operation ran in. For tensors, ``params`` (a dict or ``(name, tensor)``
    pairs, e.g. ``model.named_parameters()``) names the leaves. ``show_constants=False`` leaves
    out the arguments that do not require grad. Returns a :class:`GraphDrawing`.
    """
    if hasattr(tensor_or_model, "named_modules") and callable(tensor_or_model):
        nodes = trace(tensor_or_model, input).nodes
    else:
        if isinstance(tensor_or_model, Tensor):
            tensor_or_model = [tensor_or_model]
        pairs = params.items() if isinstance(params, dict) else (params or ())
        nodes = walk(list(tensor_or_model), {id(t): name for name, t in pairs})
    if not show_constants:
        nodes = [n for n in nodes if n.kind != "constant"]
        kept = {id(n) for n in nodes}
        for n in nodes:
            n.inputs = [(src, nr) for src, nr in n.inputs if id(src) in kept]
    return GraphDrawing(nodes)
