#!/usr/bin/python3
"""Runs a sequential model described in JSON with PyTorch, on the same weights, and prints the largest relative
difference from the output Unrolled computed. Used by tests/Unrolled.Tests/TorchComparisonTests.cs.

Layouts are Keras's (channels last; Dense kernel [in, out]; Conv2D kernel [kh, kw, in, out]; Conv2DTranspose kernel
[kh, kw, out, in]; LSTM gates i, f, c, o; GRU gates z, r, h with reset_after=True). Padding 'same' is TensorFlow's:
the extra pad goes after."""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def tensor(layer, name):
    return torch.tensor(layer[name], dtype=torch.float64).reshape(layer[name + "_shape"])


def linear(x, part):
    """A Keras Dense kernel [in, out] and bias on the last axis."""
    return x @ tensor(part, "kernel") + tensor(part, "bias")


def activation(x, name):
    return {"linear": lambda v: v, "tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[name](x)


def same_pads(size, kernel, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def conv2d(x, layer):
    kernel = tensor(layer, "kernel").permute(3, 2, 0, 1)  # [out, in, kh, kw]
    (sh, sw), (dh, dw) = layer["strides"], layer["dilation"]
    x = x.permute(0, 3, 1, 2)  # NHWC -> NCHW
    if layer["padding"] == "same":
        top, bottom = same_pads(x.shape[2], kernel.shape[2], sh, dh)
        left, right = same_pads(x.shape[3], kernel.shape[3], sw, dw)
        x = F.pad(x, (left, right, top, bottom))
    y = F.conv2d(x, kernel, tensor(layer, "bias"), stride=(sh, sw), dilation=(dh, dw))
    return activation(y.permute(0, 2, 3, 1), layer["activation"])


def conv2d_transpose(x, layer):
    kernel = tensor(layer, "kernel").permute(3, 2, 0, 1)  # [in, out, kh, kw]
    sh, sw = layer["strides"]
    x = x.permute(0, 3, 1, 2)
    h, w = x.shape[2], x.shape[3]
    y = F.conv_transpose2d(x, kernel, tensor(layer, "bias"), stride=(sh, sw))  # (n - 1) * s + k
    if layer["padding"] == "same":
        top, _ = divmod(max(kernel.shape[2] - sh, 0), 2)
        left, _ = divmod(max(kernel.shape[3] - sw, 0), 2)
        y = y[:, :, top:top + h * sh, left:left + w * sw]
    return activation(y.permute(0, 2, 3, 1), layer["activation"])


def recurrent(x, layer, kind, initial=None, with_state=False):
    """Keras's LSTM or GRU as torch.nn.LSTM / GRU with the weights mapped; `initial` is Keras's initial_state (PyTorch's
    (h0, c0) or h0, each [1, batch, units]); with_state also returns the last states."""
    units = layer["units"]
    kernel, recurrent_kernel, bias = tensor(layer, "kernel"), tensor(layer, "recurrent_kernel"), tensor(layer, "bias")
    if kind == "lstm":
        module = torch.nn.LSTM(kernel.shape[0], units, batch_first=True).double()
        module.weight_ih_l0.data = kernel.t().contiguous()
        module.weight_hh_l0.data = recurrent_kernel.t().contiguous()
        module.bias_ih_l0.data = bias.clone()
        module.bias_hh_l0.data = torch.zeros_like(bias)
    else:
        def reorder(m):  # Keras z, r, h -> PyTorch r, z, n along the last axis
            z, r, h = m[..., :units], m[..., units:2 * units], m[..., 2 * units:]
            return torch.cat([r, z, h], dim=-1)
        module = torch.nn.GRU(kernel.shape[0], units, batch_first=True).double()
        module.weight_ih_l0.data = reorder(kernel).t().contiguous()
        module.weight_hh_l0.data = reorder(recurrent_kernel).t().contiguous()
        module.bias_ih_l0.data = reorder(bias[0]).clone()
        module.bias_hh_l0.data = reorder(bias[1]).clone()
    if layer.get("go_backwards"):
        x = x.flip(1)  # Keras runs the steps last to first and returns them in that order
    y, state = module(x, initial)
    y = y if layer["return_sequences"] else y[:, -1, :]
    return (y, state) if with_state else y


def bidirectional(x, layer):
    """Keras's Bidirectional(merge_mode="concat") as PyTorch's bidirectional=True module: its output is the forward
    sequence beside the backward one in the input's order, which is Keras's flip and concatenate; the last output is
    the forward direction's last step beside the backward direction's (its step 0)."""
    units = layer["forward"]["units"]
    y, _ = bidirectional_module(layer)(x)
    if layer["forward"]["return_sequences"]:
        return y
    return torch.cat([y[:, -1, :units], y[:, 0, units:]], dim=-1)


def packed_bidirectional(x, layer):
    """Keras's Bidirectional over a masked sequence padded at the end, as PyTorch's bidirectional module on a packed
    sequence (pack_padded_sequence with each sample's length): each direction skips the padding, Bidirectional's
    zero_output_for_mask is pad_packed_sequence's zero padding, and the last output is the two directions' h_n."""
    lengths = torch.tensor(layer["lengths"], dtype=torch.int64)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    y, state = bidirectional_module(layer)(packed)
    if layer["forward"]["return_sequences"]:
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
        return y
    h = state[0] if layer["cell"] == "lstm" else state
    return torch.cat([h[0], h[1]], dim=-1)


def bidirectional_module(layer):
    """PyTorch's bidirectional LSTM or GRU with the weights of Keras's Bidirectional's two layers."""
    kind = layer["cell"]
    forward, backward = layer["forward"], layer["backward"]
    units = forward["units"]
    features = tensor(forward, "kernel").shape[0]
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(features, units, batch_first=True, bidirectional=True).double()
    for suffix, part in (("", forward), ("_reverse", backward)):
        kernel, recurrent_kernel, bias = tensor(part, "kernel"), tensor(part, "recurrent_kernel"), tensor(part, "bias")
        if kind == "lstm":
            ih, hh, b_ih, b_hh = kernel, recurrent_kernel, bias, torch.zeros_like(bias)
        else:
            def reorder(m):  # Keras z, r, h -> PyTorch r, z, n along the last axis
                return torch.cat([m[..., units:2 * units], m[..., :units], m[..., 2 * units:]], dim=-1)
            ih, hh, b_ih, b_hh = reorder(kernel), reorder(recurrent_kernel), reorder(bias[0]), reorder(bias[1])
        getattr(module, "weight_ih_l0" + suffix).data = ih.t().contiguous()
        getattr(module, "weight_hh_l0" + suffix).data = hh.t().contiguous()
        getattr(module, "bias_ih_l0" + suffix).data = b_ih.clone()
        getattr(module, "bias_hh_l0" + suffix).data = b_hh.clone()
    return module


def encoder_decoder(x, layer):
    """Keras's seq2seq wiring on one input: the encoder's last states start the decoder (initial_state)."""
    kind = layer["cell"]
    _, state = recurrent(x, layer["encoder"], kind, with_state=True)
    return recurrent(x, layer["decoder"], kind, initial=state)


def layer_norm(x, layer):
    """Keras 3's LayerNormalization over the trailing axes of normalized_shape: F.layer_norm, or with rms_scaling Keras's
    own formula, x / sqrt(var + eps) * gamma with the centred (biased) variance, which PyTorch has no layer for."""
    shape = layer["normalized_shape"]
    gamma = tensor(layer, "gamma") if "gamma" in layer else None
    beta = tensor(layer, "beta") if "beta" in layer else None
    if not layer["rms"]:
        return F.layer_norm(x, shape, gamma, beta, eps=layer["epsilon"])
    dims = tuple(range(-len(shape), 0))
    variance = torch.var(x, dim=dims, unbiased=False, keepdim=True)
    return x / torch.sqrt(variance + layer["epsilon"]) * gamma


def attention_by_hand(x, layer):
    """Self-attention written with Keras's Dot layers: scores = Dot(axes=[2, 2])(q, k) * scale,
    softmax over the keys, then Dot(axes=[2, 1])(weights, v); here with torch.bmm on the same Dense weights."""
    def dense(name):
        return linear(x, layer[name])
    q, k, v = dense("query"), dense("key"), dense("value")
    scores = torch.bmm(q, k.transpose(1, 2)) * layer["scale"]
    return torch.bmm(torch.softmax(scores, dim=-1), v)


def attention_layer(x, layer):
    """Keras's Attention(use_scale=True) on Dense projections of the input: softmax(scale * q k^T) v, with torch.bmm."""
    def dense(name):
        return linear(x, layer[name])
    q, k, v = dense("query"), dense("key"), dense("value")
    scale = tensor(layer["attention"], "scale")
    scores = scale * torch.bmm(q, k.transpose(1, 2))
    if layer.get("causal"):
        # Keras's use_causal_mask: query i sees keys 0..i.
        later = torch.ones(scores.shape[-2:], dtype=torch.bool).triu(1)
        scores = scores.masked_fill(later, float("-inf"))
    return torch.bmm(torch.softmax(scores, dim=-1), v)


def multi_head_by_hand(x, layer):
    """Multi-head self-attention written with Ops.Transpose, Ops.MatMul and Ops.Softmax, against PyTorch's own
    F.multi_head_attention_forward on the same projections (separate q, k, v weights, an identity output projection).
    Keras's Dense kernel is [in, out]; PyTorch's projection weight is [out, in]."""
    heads = layer["heads"]
    q, k, v = (layer[n] for n in ("query", "key", "value"))
    embed = tensor(q, "kernel").shape[1]
    t = x.transpose(0, 1)  # (T, B, E)
    y, _ = F.multi_head_attention_forward(
        t, t, t, embed, heads, None,
        torch.cat([tensor(q, "bias"), tensor(k, "bias"), tensor(v, "bias")]), None, None, False, 0.0,
        torch.eye(embed, dtype=torch.float64), torch.zeros(embed, dtype=torch.float64),
        training=False, need_weights=False, use_separate_proj_weight=True,
        q_proj_weight=tensor(q, "kernel").t(), k_proj_weight=tensor(k, "kernel").t(), v_proj_weight=tensor(v, "kernel").t())
    return y.transpose(0, 1)


def einsum_dense(x, layer):
    """Keras's EinsumDense: torch.einsum of the equation with the kernel (Keras's shape), the bias, the activation."""
    y = torch.einsum(layer["equation"], x, tensor(layer, "kernel"))
    if "bias" in layer:
        y = y + tensor(layer, "bias")
    return activation(y, layer["activation"])


def additive_attention(x, layer):
    """Keras's AdditiveAttention(use_scale=True) on Dense projections of the input, the key being the value:
    softmax over the keys of sum(scale * tanh(q_i + k_j)), times the value, written with broadcasting and torch.bmm."""
    def dense(name):
        return linear(x, layer[name])
    q, v = dense("query"), dense("value")
    scores = (tensor(layer["attention"], "scale") * torch.tanh(q.unsqueeze(2) + v.unsqueeze(1))).sum(dim=-1)
    return torch.bmm(torch.softmax(scores, dim=-1), v)


def multi_head_attention(x, layer):
    """Keras's MultiHeadAttention(num_heads, key_dim) as self-attention, against PyTorch's F.multi_head_attention_forward
    with Keras's weights mapped: each EinsumDense kernel (E, heads, dim) is a (E, heads*dim) matrix, which PyTorch holds
    transposed; the output kernel (heads, dim, E) likewise; Keras's causal mask is PyTorch's -inf above the diagonal."""
    heads = layer["heads"]
    wq, wk, wv, wo = (tensor(layer, n + "/kernel") for n in ("query", "key", "value", "attention_output"))
    bq, bk, bv = (tensor(layer, n + "/bias").reshape(-1) for n in ("query", "key", "value"))
    embed = wq.shape[0]
    t = x.transpose(0, 1)  # (T, B, E)
    steps = t.shape[0]
    mask = torch.triu(torch.full((steps, steps), float("-inf"), dtype=torch.float64), diagonal=1) if layer["causal"] else None
    y, _ = F.multi_head_attention_forward(
        t, t, t, embed, heads, None, torch.cat([bq, bk, bv]), None, None, False, 0.0,
        wo.reshape(-1, wo.shape[-1]).t(), tensor(layer, "attention_output/bias"),
        training=False, need_weights=False, attn_mask=mask, use_separate_proj_weight=True,
        q_proj_weight=wq.reshape(embed, -1).t(), k_proj_weight=wk.reshape(embed, -1).t(), v_proj_weight=wv.reshape(embed, -1).t())
    return y.transpose(0, 1)


# Each layer type of the comparison: its forward pass on x with the layer's weights and options.
FORWARDS = {
    "dense": lambda x, layer: activation(linear(x, layer), layer["activation"]),
    "conv2d": conv2d,
    "conv2d_transpose": conv2d_transpose,
    "bidirectional": bidirectional,
    "packed_bidirectional": packed_bidirectional,
    "encoder_decoder": encoder_decoder,
    "attention_layer": attention_layer,
    "einsum_dense": einsum_dense,
    "additive_attention": additive_attention,
    "multi_head_attention": multi_head_attention,
    "multi_head_by_hand": multi_head_by_hand,
    "attention_by_hand": attention_by_hand,
    "layer_norm": layer_norm,
}


def main():
    with open(sys.argv[1]) as f:
        model = json.load(f)
    x = torch.tensor(model["input"], dtype=torch.float64).reshape(model["input_shape"])
    for layer in model["layers"]:
        kind = layer["type"]
        if kind in ("lstm", "gru"):
            x = recurrent(x, layer, kind)
        elif kind in FORWARDS:
            x = FORWARDS[kind](x, layer)
        else:
            raise ValueError("unknown layer " + kind)
    ours = torch.tensor(model["output"], dtype=torch.float64).reshape(x.shape)
    scale = x.abs().max().item()
    worst = ((ours - x).abs() / (x.abs() + 1e-3 * scale)).max().item()
    # Largest difference as a fraction of the largest output: the measure for arithmetic whose rounding scales with
    # the outputs' magnitude rather than each output's (Winograd's 4x4 tiles).
    scaled = ((ours - x).abs().max() / max(scale, 1e-30)).item()
    print(json.dumps({"shape": list(x.shape), "max_relative_error": worst, "max_scaled_error": scaled, "max_abs": scale}))


if __name__ == "__main__":
    main()
