"""A small layered (Sugiyama-style) layout for drawing directed acyclic graphs top to bottom.

The classic four steps, each kept simple: (1) give every node a layer (longest path from the
sources, then each node moved down to just above its first user), (2) break edges that span
several layers with invisible dummy nodes, (3) order each layer to reduce crossings
(barycenter sweeps, keeping the best order seen), (4) give x coordinates near the mean of the
neighbours while keeping nodes apart (least squares under order constraints: pool adjacent
violators). Everything is iterative and close to linear, so a 10 000-node chain is fine.
"""
from __future__ import annotations

__all__ = ["layout"]

NODE_GAP = 24        # horizontal space between neighbours in a layer
LAYER_GAP = 46       # vertical space between layers
DUMMY_WIDTH = 10


def _layers(n, preds, succs):
    """Longest-path layering (nodes are in topological order), then every node moved down to
    just above its highest user (so a parameter sits next to the operation that uses it)."""
    layer = [0] * n
    for v in range(n):
        for u in preds[v]:
            layer[v] = max(layer[v], layer[u] + 1)
    for v in reversed(range(n)):
        if succs[v]:
            layer[v] = min(layer[w] for w in succs[v]) - 1
    return layer


def _add_dummies(n, edges, layer, widths):
    """Split long edges into chains through dummy nodes; returns unit edges and routes."""
    unit, routes = [], []
    for u, v in edges:
        chain = [u]
        for k in range(layer[u] + 1, layer[v]):
            layer.append(k)
            widths.append(DUMMY_WIDTH)
            chain.append(len(layer) - 1)
        chain.append(v)
        unit.extend(zip(chain, chain[1:]))
        routes.append(chain)
    return unit, routes


def _crossings(order_pos, edges_between):
    """Crossings between two adjacent layers: inversions of the lower ends (Fenwick tree)."""
    pairs = sorted((order_pos[u], order_pos[v]) for u, v in edges_between)
    size = max((b for _, b in pairs), default=0) + 2
    tree, count = [0] * size, 0
    for seen, (_, b) in enumerate(pairs):
        i, not_greater = b + 1, 0
        while i > 0:
            not_greater += tree[i]
            i -= i & -i
        count += seen - not_greater
        i = b + 1
        while i < size:
            tree[i] += 1
            i += i & -i
    return count


def _order(rows, up, down, between, sweeps=4):
    """Barycenter sweeps down and up; returns the rows with the fewest crossings seen."""
    pos = {v: i for row in rows for i, v in enumerate(row)}

    def total():
        return sum(_crossings(pos, e) for e in between)

    best, best_rows = total(), [list(r) for r in rows]
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        indices = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for k in indices:
            nbrs = up if downward else down
            row = rows[k]
            key = {v: (sum(pos[w] for w in nbrs[v]) / len(nbrs[v]) if nbrs[v] else pos[v])
                   for v in row}
            row.sort(key=lambda v: key[v])
            for i, v in enumerate(row):
                pos[v] = i
        crossings = total()
        if crossings < best:
            best, best_rows = crossings, [list(r) for r in rows]
        if best == 0:
            break
    return best_rows


def _place(desired, seps):
    """x minimising sum((x - desired)**2) with x[i+1] - x[i] >= seps[i] (pool adjacent
    violators on x minus the cumulated separations)."""
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    blocks = []                                   # [mean, size]
    for d, c in zip(desired, offsets):
        blocks.append([d - c, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, n2 = blocks.pop()
            m1, n1 = blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    xs = [m for m, size in blocks for _ in range(size)]
    return [x + c for x, c in zip(xs, offsets)]


def layout(sizes, edges):
    """Positions for a DAG drawn top to bottom.

    ``sizes``: ``(width, height)`` per node, nodes in topological order; ``edges``: ``(u, v)``
    pairs (u drawn above v). Returns ``(centers, routes, width, height)``: the centre of each
    node, for each edge the list of points it passes through, and the drawing's size.
    """
    n = len(sizes)
    preds, succs = [[] for _ in range(n)], [[] for _ in range(n)]
    for u, v in edges:
        preds[v].append(u)
        succs[u].append(v)
    layer = _layers(n, preds, succs)
    low = min(layer, default=0)
    layer = [k - low for k in layer]
    widths = [w for w, _ in sizes]
    unit, chains = _add_dummies(n, edges, layer, widths)
    total = len(layer)
    up, down = [[] for _ in range(total)], [[] for _ in range(total)]
    for u, v in unit:
        up[v].append(u)
        down[u].append(v)
    rows = [[] for _ in range(max(layer, default=-1) + 1)]
    for v in range(total):
        rows[layer[v]].append(v)
    between = [[] for _ in range(max(len(rows) - 1, 0))]
    for u, v in unit:
        between[layer[u]].append((u, v))
    rows = _order(rows, up, down, between)

    x = [0.0] * total
    for row in rows:                              # packed left to right to start with
        cursor = 0.0
        for v in row:
            x[v] = cursor + widths[v] / 2
            cursor += widths[v] + NODE_GAP
    for sweep in range(6):                        # then pulled towards their neighbours
        nbrs = up if sweep % 2 == 0 else down
        for row in (rows if sweep % 2 == 0 else reversed(rows)):
            desired = [sum(x[w] for w in nbrs[v]) / len(nbrs[v]) if nbrs[v] else x[v]
                       for v in row]
            seps = [(widths[a] + widths[b]) / 2 + NODE_GAP for a, b in zip(row, row[1:])]
            for v, xv in zip(row, _place(desired, seps)):
                x[v] = xv

    heights = [max((sizes[v][1] for v in row if v < n), default=0) for row in rows]
    y, top = [0.0] * total, 0.0
    for row, h in zip(rows, heights):
        for v in row:
            y[v] = top + h / 2
        top += h + LAYER_GAP
    left = min((x[v] - widths[v] / 2 for v in range(total)), default=0.0)
    x = [xv - left for xv in x]
    width = max((x[v] + widths[v] / 2 for v in range(total)), default=0.0)
    centers = [(x[v], y[v]) for v in range(n)]
    routes = [[(x[v], y[v]) for v in chain] for chain in chains]
    return centers, routes, width, max(top - LAYER_GAP, 0.0)
