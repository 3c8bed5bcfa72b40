"""The graph of ``add_graph``: a traced model's autograd graph as a TensorBoard ``GraphDef``.

Nodes are named by module scope (``Net/Linear[fc1]/Linear``) so TensorBoard groups them into
boxes per module; parameters (``Net/Linear[fc1]/weight``), buffers and the model's inputs and
outputs (``input/x``, ``output/output.1``) are nodes of their own; every node lists its output
shapes (``_output_shapes``), which TensorBoard prints on the edges.
"""
from __future__ import annotations

import re

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

__all__ = ["op_name", "graph_def"]

# grad_fn names (without "Backward0") -> the names students know from torch.nn / NumPy
_RENAMED = {
    "Mm": "MatMul", "Bmm": "MatMul", "Mv": "MatMul", "Dot": "MatMul", "Vdot": "MatMul",
    "Addmm": "Linear", "Rsub": "Sub", "T": "Transpose", "UnsafeView": "View", "ToCopy": "To",
    "Log1P": "Log1p", "Relu": "ReLU", "LeakyRelu": "LeakyReLU", "Gelu": "GELU", "Elu": "ELU",
    "Selu": "SELU", "Celu": "CELU", "Silu": "SiLU", "PreluKernel": "PReLU",
    "RreluWithNoise": "RReLU", "NativeBatchNorm": "BatchNorm", "NativeLayerNorm": "LayerNorm",
    "NativeGroupNorm": "GroupNorm", "NllLoss": "NLLLoss", "NllLoss2D": "NLLLoss",
    "MseLoss": "MSELoss", "MaxPool2DWithIndices": "MaxPool2d",
    "MaxPool3DWithIndices": "MaxPool3d",
}


def op_name(fn) -> str:
    """A readable operation name for a grad_fn: ``AddBackward0`` -> ``Add``, ``MmBackward0`` ->
    ``MatMul``, ``ConvolutionBackward0`` -> ``Conv2d``, ``AvgPool2DBackward0`` -> ``AvgPool2d``."""
    base = re.sub(r"Backward\d*$", "", fn.name()) or fn.name()
    if base == "Convolution":
        forward = getattr(type(fn), "_forward_cls", None)
        kind = "ConvTranspose" if getattr(forward, "__name__", "") == "ConvolutionTranspose" \
            else "Conv"
        return f"{kind}{len(fn._input_meta[1][0]) - 2}d"
    base = _RENAMED.get(base, base)
    return re.sub(r"([123])D$", r"\1d", base)


def _shapes(meta) -> AttrValue:
    return AttrValue(list=AttrValue.ListValue(shape=[
        TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(n)) for n in shape])
        for shape, _ in meta]))


class _Names:
    """Unique node names: the second ``Net/Add`` becomes ``Net/Add_1`` (TensorBoard then shows
    runs of such nodes as one series)."""

    def __init__(self):
        self.taken, self.next = set(), {}

    def __call__(self, name):
        if name in self.taken:
            k = self.next.get(name, 1)
            while f"{name}_{k}" in self.taken:
                k += 1
            self.next[name] = k + 1
            name = f"{name}_{k}"
        self.taken.add(name)
        return name


def _name_and_op(node, trace, user_scope, n_outputs):
    """Where a GraphNode goes in TensorBoard's hierarchy, and its op type."""
    if node.kind == "op":
        op = op_name(node.fn)
        return f"{node.scope}/{op}", op
    if node.kind == "output":
        return f"output/output.{n_outputs}", "IO Node"
    if node.role == "input":
        return f"input/{node.name}", "IO Node"
    if node.role in ("parameter", "buffer"):
        return (f"{trace.scope_of(node.name)}/{node.name.rpartition('.')[2]}",
                node.role.capitalize())
    kind = "Tensor" if node.kind == "leaf" else "Constant"
    return f"{user_scope.get(id(node), trace.module_paths[''])}/{kind}", kind


def graph_def(trace):
    """``(GraphDef, RunMetadata)`` of a :class:`autodiff.autograd.graph.Trace`, as torch's
    ``add_graph`` writes them."""
    user_scope = {}                       # a leaf/constant goes in the scope of its first user
    for node in trace.nodes:
        for src, _ in node.inputs:
            if node.kind == "op":
                user_scope.setdefault(id(src), node.scope)
    unique, names, defs, n_outputs = _Names(), {}, [], 0
    for node in trace.nodes:
        n_outputs += node.kind == "output"
        name, op = _name_and_op(node, trace, user_scope, n_outputs)
        names[id(node)] = name = unique(name)
        attr = {"_output_shapes": _shapes(node.meta),
                "dtype": AttrValue(s=str(node.meta[0][1]).encode()) if node.meta else AttrValue()}
        if node.kind == "op":
            attr["grad_fn"] = AttrValue(s=node.fn.name().encode())
        inputs = [names[id(src)] + (f":{nr}" if nr else "") for src, nr in node.inputs]
        defs.append(NodeDef(name=name, op=op, input=inputs, attr=attr))
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return GraphDef(node=defs, versions=VersionDef(producer=22)), stats
