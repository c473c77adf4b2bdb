"""PyTorch layers started as Keras starts them, for the samples' peers (peer.py in each sample imports this module,
which the build copies next to it)."""
import torch.nn as nn


def keras_dense(inputs, outputs):
    """A Linear with Keras's Dense initialisers: glorot-uniform kernel, zero bias."""
    layer = nn.Linear(inputs, outputs)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def keras_embedding(vocabulary, size):
    """An Embedding with Keras's initialiser: uniform in [-0.05, 0.05]."""
    embedding = nn.Embedding(vocabulary, size)
    nn.init.uniform_(embedding.weight, -0.05, 0.05)
    return embedding


def keras_lstm(features, units, bidirectional=False):
    """An LSTM (batch first) with Keras's initialisers: glorot kernel, orthogonal recurrent kernel, zero bias with the
    forget gate's at 1 (unit_forget_bias). Keras has one bias per gate: PyTorch's second (bias_hh) stays 0, untrained."""
    lstm = nn.LSTM(features, units, batch_first=True, bidirectional=bidirectional)
    for name, p in lstm.named_parameters():
        if name.startswith("weight_ih"):
            nn.init.xavier_uniform_(p)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(p)
        elif name.startswith("bias_ih"):
            nn.init.zeros_(p)
            p.data[units:2 * units] = 1.0
        else:
            nn.init.zeros_(p)
            p.requires_grad_(False)
    return lstm


def blas():
    """The BLAS libraries this process mapped, as the peers report them."""
    with open("/proc/self/maps") as f:
        names = {line.split("/")[-1].strip() for line in f if "blas" in line.lower()}
    return ", ".join(sorted(names)) or "no BLAS library mapped"
