"""torch.nn layer kinds, and what a layer's constructor arguments say: widths and parameter counts.

Counts follow torch's own definitions (weight + bias of Linear/Conv/ConvTranspose, affine weight + bias of
the norms, the Embedding table); a count is given only when every argument it needs is a known int."""
from __future__ import annotations

from math import prod
from typing import Any

from ganlint.reading.code.construct.values import Unknown

ACTIVATIONS = {
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Hardsigmoid", "Softmax",
    "LogSigmoid", "PReLU", "SELU", "Mish", "Hardtanh", "ReLU6", "CELU", "Hardswish", "Tanhshrink",
    "Softsign", "LogSoftmax", "Identity", "GLU", "RReLU", "Threshold",
}
WEIGHTED = {
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "ConvTranspose3d", "Embedding", "LSTM", "GRU", "RNN", "MultiheadAttention",
}
NORMS = {
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "RMSNorm",
}
# layers without weights (Identity and the activations aside; PReLU has one weight per channel)
FREE = {"Dropout", "Dropout2d", "Dropout1d", "Dropout3d", "AlphaDropout", "Flatten", "Unflatten", "Upsample",
        "UpsamplingNearest2d", "UpsamplingBilinear2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "ZeroPad2d", "ReflectionPad2d",
        "ReplicationPad2d", "ConstantPad2d", "PixelShuffle", "PixelUnshuffle"}
OTHER_LAYERS = FREE
TORCH_LAYERS = ACTIVATIONS | WEIGHTED | NORMS | OTHER_LAYERS | {"Sequential", "ModuleList", "ModuleDict"}

# positional parameter names of the constructors whose arguments we read
_SIGNATURES = {
    "Linear": ("in_features", "out_features", "bias"),
    "Embedding": ("num_embeddings", "embedding_dim"),
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
    "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
            "bidirectional"),
}
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}  # weight blocks per layer and direction (torch.nn.RNNBase)
_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding")
_CONV_T = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias")
_NORM = ("num_features", "eps", "momentum", "affine")


def signature(kind: str) -> tuple[str, ...]:
    if kind in _SIGNATURES:
        return _SIGNATURES[kind]
    if kind.startswith("ConvTranspose"):
        return _CONV_T
    if kind.startswith("Conv"):
        return _CONV
    if kind in NORMS:
        return _NORM
    return ()


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def _flag(v: Any, default: bool) -> bool | None:
    if v is _MISSING:
        return default
    return v if isinstance(v, bool) else None


_MISSING = object()


def _kernel(v: Any, dims: int) -> int | None:
    if isinstance(v, (tuple, list)):
        ks = [_int(k) for k in v]
        return prod(ks) if ks and None not in ks else None  # type: ignore[arg-type]
    k = _int(v)
    return k ** dims if k is not None else None


_WIDTH_ARGS = ("in_features", "out_features", "in_channels", "out_channels")


def least_params(kind: str, args: dict[str, Any]) -> int | None:
    """The parameters a Linear/Conv has at least when only its widths are unknown (`Linear(noise_dim, 4096)`
    with noise_dim given elsewhere): its count with each unknown width taken as 1, since a count only grows
    with its widths; None when anything else (kernel, bias, groups) is unknown too."""
    if kind != "Linear" and not kind.startswith("Conv"):
        return None
    unknown = [k for k in _WIDTH_ARGS if k in args and _int(args[k]) is None]
    if not unknown or any(not isinstance(args[k], Unknown) for k in unknown):
        return None
    return describe(kind, {**args, **{k: 1 for k in unknown}})[2]


def size_slope(kind: str, args: dict[str, Any]) -> tuple[int, str] | None:
    """(parameters per unit of the one unknown width, "in" or "out") of a Linear/Conv whose only unknown
    is its in or its out width (`Linear(int(np.prod(img_shape)), 512)`): its count is affine in that width."""
    if kind != "Linear" and not kind.startswith("Conv"):
        return None
    unknown = [k for k in _WIDTH_ARGS if k in args and _int(args[k]) is None]
    if len(unknown) != 1 or not isinstance(args[unknown[0]], Unknown):
        return None
    one, two = (describe(kind, {**args, unknown[0]: w})[2] for w in (1, 2))
    if one is None or two is None:
        return None
    return two - one, "in" if unknown[0].startswith("in_") else "out"


def describe(kind: str, args: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(in width, out width, parameter count) of a layer from its bound arguments; None where unknown."""
    a = lambda name: args.get(name, _MISSING)  # noqa: E731
    if kind == "Linear":
        i, o, bias = _int(a("in_features")), _int(a("out_features")), _flag(a("bias"), True)
        n = i * o + (o if bias else 0) if None not in (i, o, bias) else None
        return i, o, n
    if kind.startswith(("Conv", "ConvTranspose")) and kind[-2:] in ("1d", "2d", "3d"):
        dims = int(kind[-2])
        i, o = _int(a("in_channels")), _int(a("out_channels"))
        k = _kernel(a("kernel_size"), dims)
        g = _int(args.get("groups", 1))
        bias = _flag(a("bias"), True)
        n = None
        if None not in (i, o, k, g, bias) and g:
            n = i * o * k // g + (o if bias else 0)
        return i, o, n
    if kind in _GATES:
        return _recurrent(kind, args)
    if kind == "Embedding":
        num, dim = _int(a("num_embeddings")), _int(a("embedding_dim"))
        return None, dim, num * dim if None not in (num, dim) else None
    if kind in NORMS:
        if kind == "GroupNorm":
            c, affine = _int(a("num_channels")), _flag(a("affine"), True)
        elif kind == "LayerNorm":
            shape = a("normalized_shape")
            dims = [_int(s) for s in shape] if isinstance(shape, (tuple, list)) else [_int(shape)]
            c = prod(dims) if dims and None not in dims else None  # type: ignore[arg-type]
            affine = _flag(a("elementwise_affine"), True)
        else:
            c = _int(a("num_features"))
            affine = _flag(a("affine"), not kind.startswith("InstanceNorm"))
        if affine is False:
            return c, c, 0
        return c, c, 2 * c if c is not None and affine else None
    if kind in ACTIVATIONS:
        if kind == "PReLU":
            n = _int(args.get("num_parameters", 1))
            return None, None, n
        return None, None, 0
    if kind in FREE:
        return None, None, 0
    return None, None, None


def _recurrent(kind: str, args: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """LSTM / GRU / RNN as torch counts them: per layer and direction, gates x (W_ih: in x h, W_hh: h x h)
    plus the two bias vectors b_ih, b_hh (gates x h each); layers after the first take h x directions in."""
    a = lambda name: args.get(name, _MISSING)  # noqa: E731
    i, h = _int(a("input_size")), _int(a("hidden_size"))
    layers = _int(args.get("num_layers", 1))
    bias, bidir = _flag(a("bias"), True), _flag(a("bidirectional"), False)
    proj = args.get("proj_size", 0)
    if None in (h, layers, bias, bidir) or proj != 0 or not layers:
        return i, None, None
    dirs = 2 if bidir else 1
    if i is None:
        return i, h * dirs, None
    g = _GATES[kind]
    n = 0
    for layer in range(layers):
        width = i if layer == 0 else h * dirs
        n += dirs * (g * (width * h + h * h) + (2 * g * h if bias else 0))
    return i, h * dirs, n
