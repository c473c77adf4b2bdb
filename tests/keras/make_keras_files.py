#!/usr/bin/python3
"""Writes the Keras weight files the import tests read, laid out exactly as Keras writes them, with h5py.

Keras and TensorFlow cannot be installed here, so this script makes the same h5py calls Keras makes:
- Keras 3 `model.save_weights("x.weights.h5")` / `model.save("x.keras")` (keras/src/saving/saving_lib.py): one group
  per saveable, addressed by attribute path: `layers/<snake_case(class)>[_k]/vars/<i>`, where k counts the earlier
  layers of the same class in `model.layers` (Keras's depth order, not the layers' names); recurrent layers keep their
  variables in `layers/lstm/cell/vars`; a nested model's layers are under `layers/functional/layers/...`. Recent Keras
  versions give every `vars` group a `name` attribute (the layer's name); earlier 3.x versions did not, and created an
  empty `vars` group for every saveable (InputLayer, the model itself). Both layouts are written.
- `.keras`: a stored (uncompressed) zip of metadata.json, config.json and model.weights.h5.
- Keras 2 `model.save("x.h5")` / `model.save_weights("x.h5")` (legacy h5 format): attributes `layer_names` (fixed-length
  byte strings, every layer of `model.layers` in order), `backend`, `keras_version`; one group per layer, created in
  name order, with attribute `weight_names` and datasets at `<layer>/<weight name>` (`dense/kernel:0`).
Variants: one file with gzip + shuffle chunked datasets, and one written with libver='latest' (superblock v3, object
header v2, link messages, fixed-array / single-chunk chunk indexes) cover the other HDF5 generations.

Every weight value is ((k * 37 + t * 101) % 23 - 11) / 32 for element k of the file's t-th tensor (exact in float32);
expected.json lists, per file, every weight (layer/name -> shape, values) and the predictions that a numpy forward pass
computes for fixed inputs. Run from the repository root: /usr/bin/python3 tests/keras/make_keras_files.py
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

OUT = os.path.dirname(os.path.abspath(__file__))
KERAS3_VERSION = "3.6.0"
KERAS2_VERSION = "2.15.0"


def values(shape, t):
    n = int(np.prod(shape)) if shape else 1
    k = np.arange(n)
    return (((k * 37 + t * 101) % 23 - 11) / 32.0).astype(np.float32).reshape(shape)


# ---------------------------------------------------------------------------------------------------------------------
# The models. Each layer: (keras name, class, [(weight name, shape)], config). `layers` is Keras's `model.layers`
# order (depth order, worked out by hand from keras/src/ops/function.py's _build_map for the branching model).
# ---------------------------------------------------------------------------------------------------------------------

def dense(name, units, fan_in, activation="linear", use_bias=True):
    w = [("kernel", (fan_in, units))] + ([("bias", (units,))] if use_bias else [])
    return dict(name=name, cls="Dense", weights=w, config=dict(units=units, activation=activation, use_bias=use_bias))


def inp(name, shape, dtype="float32"):
    return dict(name=name, cls="InputLayer", weights=[], config=dict(batch_shape=[None] + list(shape), dtype=dtype))


def plain(name, cls, **config):
    return dict(name=name, cls=cls, weights=[], config=config)


MLP = dict(name="keras_mlp", layers=[
    inp("x", [4]),
    dense("dense", 5, 4, "relu"),
    dense("dense_1", 3, 5, "softmax"),
])

# x -> a(x); x -> b -> c; concatenate(a, c) -> out. Depths from the output: out 0, concatenate 1, a 2, c 2, b 3,
# x 4; equal depths ordered by first visit from the output (a before c). So model.layers is x, b, a, c, concatenate,
# out, and the Dense paths are dense = b, dense_1 = a, dense_2 = c, dense_3 = out: not the creation order a, b, c.
BRANCH = dict(name="keras_branch", layers=[
    inp("x", [4]),
    dense("b", 3, 4, "relu"),
    dense("a", 2, 4, "tanh"),
    dense("c", 2, 3),
    plain("concatenate", "Concatenate", axis=-1),
    dense("out", 1, 4),
])

CONV = dict(name="keras_conv", layers=[
    inp("image", [6, 6, 2]),
    dict(name="conv2d", cls="Conv2D", weights=[("kernel", (3, 3, 2, 3)), ("bias", (3,))],
         config=dict(filters=3, kernel_size=[3, 3], strides=[1, 1], padding="valid", activation="relu")),
    plain("max_pooling2d", "MaxPooling2D", pool_size=[2, 2], strides=[2, 2], padding="valid"),
    plain("flatten", "Flatten"),
    dense("dense", 2, 12),
])

RECURRENT = dict(name="keras_recurrent", layers=[
    inp("tokens", [5], "int32"),
    dict(name="embedding", cls="Embedding", weights=[("embeddings", (10, 3))], config=dict(input_dim=10, output_dim=3)),
    dict(name="lstm", cls="LSTM", cell="LSTMCell",
         weights=[("kernel", (3, 16)), ("recurrent_kernel", (4, 16)), ("bias", (16,))],
         config=dict(units=4, return_sequences=True)),
    dict(name="gru", cls="GRU", cell="GRUCell",
         weights=[("kernel", (4, 9)), ("recurrent_kernel", (3, 9)), ("bias", (2, 9))],
         config=dict(units=3, return_sequences=False, reset_after=True)),
    dense("dense", 2, 3),
])

NORM = dict(name="keras_norm", layers=[
    inp("features", [4]),
    dense("dense", 6, 4),
    dict(name="batch_normalization", cls="BatchNormalization",
         weights=[("gamma", (6,)), ("beta", (6,)), ("moving_mean", (6,)), ("moving_variance", (6,))],
         config=dict(axis=-1, momentum=0.99, epsilon=0.001)),
    plain("activation", "Activation", activation="relu"),
    dense("dense_1", 2, 6),
])

# LayerNormalization over the last axis (gamma, beta), then over the last two without beta (gamma of shape (3, 4)).
LAYER_NORM = dict(name="keras_layer_norm", layers=[
    inp("x", [3, 4]),
    dense("dense", 4, 4),
    dict(name="layer_normalization", cls="LayerNormalization", weights=[("gamma", (4,)), ("beta", (4,))],
         config=dict(axis=-1, epsilon=0.001, center=True, scale=True, rms_scaling=False)),
    dict(name="layer_normalization_1", cls="LayerNormalization", weights=[("gamma", (3, 4))],
         config=dict(axis=[-2, -1], epsilon=0.001, center=False, scale=True, rms_scaling=False)),
    plain("flatten", "Flatten"),
    dense("dense_1", 2, 12),
])

# Keras-Hub's PositionEmbedding added to a token Embedding (Keras's TokenAndPositionEmbedding written with layers): the
# table has 7 positions, the sequence 5, so its first 5 rows are used.
POSITION = dict(name="keras_position", layers=[
    inp("words", [5], dtype="int32"),
    dict(name="embedding", cls="Embedding", weights=[("embeddings", (11, 4))], config=dict(input_dim=11, output_dim=4)),
    dict(name="position_embedding", cls="PositionEmbedding", weights=[("embeddings", (7, 4))],
         config=dict(sequence_length=7, initializer="glorot_uniform")),
    plain("add", "Add"),
    plain("flatten", "Flatten"),
    dense("dense", 2, 20),
])

# Keras's Attention with use_scale: a scalar `scale` (shape ()) between the query and value projections.
ATTENTION = dict(name="keras_attention", layers=[
    inp("x", [5, 4]),
    dense("dense", 3, 4),
    dense("dense_1", 3, 4),
    dict(name="attention", cls="Attention", weights=[("scale", ())], config=dict(use_scale=True, score_mode="dot", dropout=0.0)),
    plain("flatten", "Flatten"),
    dense("dense_2", 2, 15),
])

# Keras's EinsumDense as a per-head projection: kernel (4, 2, 3), bias over both new axes (2, 3).
EINSUM = dict(name="keras_einsum", layers=[
    inp("x", [5, 4]),
    dict(name="einsum_dense", cls="EinsumDense", weights=[("kernel", (4, 2, 3)), ("bias", (2, 3))],
         config=dict(equation="abc,cde->abde", output_shape=[None, 2, 3], bias_axes="de")),
    plain("flatten", "Flatten"),
    dense("dense", 2, 30),
])

# Keras's AdditiveAttention with use_scale: a `scale` of one entry per feature between the query and value projections.
ADDITIVE = dict(name="keras_additive", layers=[
    inp("x", [5, 4]),
    dense("dense", 3, 4),
    dense("dense_1", 3, 4),
    dict(name="additive_attention", cls="AdditiveAttention", weights=[("scale", (3,))], config=dict(use_scale=True, dropout=0.0)),
    plain("flatten", "Flatten"),
    dense("dense_2", 2, 15),
])

# Keras's MultiHeadAttention, called as causal self-attention: no variables of its own; each projection (an EinsumDense)
# keeps its kernel and bias under its attribute's name, and the softmax and dropout sublayers have empty `vars`.
MHA = dict(name="keras_mha", layers=[
    inp("x", [5, 4]),
    dict(name="multi_head_attention", cls="MultiHeadAttention", weights=[], sublayers=[
        ("_query_dense", "query", [("kernel", (4, 2, 3)), ("bias", (2, 3))]),
        ("_key_dense", "key", [("kernel", (4, 2, 3)), ("bias", (2, 3))]),
        ("_value_dense", "value", [("kernel", (4, 2, 3)), ("bias", (2, 3))]),
        ("_output_dense", "attention_output", [("kernel", (2, 3, 4)), ("bias", (4,))]),
    ], empty=["_dropout_layer", "_softmax"], config=dict(num_heads=2, key_dim=3, value_dim=3, dropout=0.0, use_bias=True)),
    plain("flatten", "Flatten"),
    dense("dense", 2, 20),
])

# Keras's Bidirectional(LSTM(4)): no variables of its own; its copies of the layer are its attributes forward_layer and
# backward_layer, each keeping its cell's variables as an LSTM does.
BIDIRECTIONAL = dict(name="keras_bidirectional", layers=[
    inp("x", [5, 3]),
    dict(name="bidirectional", cls="Bidirectional", weights=[], children=[
        ("forward_layer", "cell", dict(name="forward_lstm", cls="LSTM", weights=[("kernel", (3, 16)), ("recurrent_kernel", (4, 16)), ("bias", (16,))])),
        ("backward_layer", "cell", dict(name="backward_lstm", cls="LSTM", weights=[("kernel", (3, 16)), ("recurrent_kernel", (4, 16)), ("bias", (16,))])),
    ], config=dict(merge_mode="concat")),
    dense("dense", 2, 8),
])

# Nine Dense layers: with libver='latest' the `layers` group's ten links go to dense storage (a fractal heap).
DEEP = dict(name="keras_deep", layers=[inp("x", [2])] + [dense("dense" if i == 0 else f"dense_{i}", 2, 2, "tanh") for i in range(9)])

ENCODER = dict(name="encoder", cls="Functional", layers=[
    inp("code_in", [4]),
    dense("enc", 3, 4, "relu"),
])
NESTED = dict(name="keras_nested", layers=[
    inp("x", [4]),
    dict(name="encoder", cls="Functional", model=ENCODER, weights=[]),
    dense("head", 2, 3),
])


def class_snake(cls):
    # keras.src.utils.naming.to_snake_case, for the class names used here.
    return {"InputLayer": "input_layer", "Dense": "dense", "Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d",
            "Flatten": "flatten", "Embedding": "embedding", "LSTM": "lstm", "GRU": "gru",
            "BatchNormalization": "batch_normalization", "Activation": "activation", "Concatenate": "concatenate",
            "Functional": "functional", "LSTMCell": "lstm_cell", "GRUCell": "gru_cell",
            "LayerNormalization": "layer_normalization", "PositionEmbedding": "position_embedding", "Add": "add", "Attention": "attention",
            "MultiHeadAttention": "multi_head_attention", "Bidirectional": "bidirectional",
            "AdditiveAttention": "additive_attention", "EinsumDense": "einsum_dense"}[cls]


def keras3_entries(model, prefix="layers/"):
    """(path, layer) for every layer in model.layers order, nested models recursively, as _save_container_state names
    them: the class's snake name, with _1, _2, ... for later layers of the same class."""
    used = {}
    for layer in model["layers"]:
        snake = class_snake(layer["cls"])
        if snake in used:
            used[snake] += 1
            snake = f"{snake}_{used[snake]}"
        else:
            used[snake] = 0
        path = prefix + snake
        yield path, layer
        if "model" in layer:
            yield from keras3_entries(layer["model"], path + "/layers/")


def weight_list(model):
    """(layer name, weight name, shape, keras3 vars path) in model.weights order."""
    out = []
    for path, layer in keras3_entries(model):
        vars_path = path + "/cell/vars" if "cell" in layer else path + "/vars"
        for i, (wname, shape) in enumerate(layer["weights"]):
            out.append((layer["name"], wname, shape, f"{vars_path}/{i}"))
        for attribute, sublayer, weights in layer.get("sublayers", []):
            for i, (wname, shape) in enumerate(weights):
                out.append((layer["name"], f"{sublayer}/{wname}", shape, f"{path}/{attribute}/vars/{i}"))
        for attribute, cell, child in layer.get("children", []):
            for i, (wname, shape) in enumerate(child["weights"]):
                out.append((child["name"], wname, shape, f"{path}/{attribute}/{cell}/vars/{i}"))
    return out


def make_values(model):
    return {(layer, wname): values(shape, t) for t, (layer, wname, shape, _) in enumerate(weight_list(model))}


# ---------------------------------------------------------------------------------------------------------------------
# Keras 3 writers
# ---------------------------------------------------------------------------------------------------------------------

def write_keras3_h5(target, model, vals, *, names=True, optimizer=False, chunks=None, libver=None):
    """Keras 3's H5IOStore. names=True: recent Keras (a `vars` group with a `name` attribute for every saveable that
    has a name, the model first); names=False: Keras 3.0-3.x (an empty `vars` group for every saveable)."""
    kwargs = {} if libver is None else {"libver": libver}
    with h5py.File(target, "w", **kwargs) as f:
        def make(path, name):
            group = f.create_group("vars") if not path else f.create_group(path).create_group("vars")
            if names:
                group.attrs["name"] = name
            return group

        def put(group, key, value):
            if chunks is None:
                group[key] = value  # what H5Entry.__setitem__ does
            else:
                # The chunked variant: what a Keras user gets from h5py's defaults is contiguous; this one checks the
                # chunked reader on the same layout.
                chunk = tuple(max(1, (d + 1) // 2) for d in value.shape) if value.shape else None
                group.create_dataset(key, data=value, chunks=chunk, **chunks)

        make("", model["name"])  # the model's own (empty) vars

        def save(entries_model, prefix):
            for path, layer in keras3_entries(entries_model, prefix):
                if path.count("/layers/") != prefix.count("/layers/"):
                    continue  # nested layers are saved by their model below
                g = make(path, layer["name"])
                if "cell" in layer:
                    g = make(path + "/cell", class_snake(layer["cell"]))
                for i, (wname, _) in enumerate(layer["weights"]):
                    put(g, str(i), vals[(layer["name"], wname)])
                for attribute, sublayer, weights in layer.get("sublayers", []):
                    sub = make(path + "/" + attribute, sublayer)
                    for i, (wname, _) in enumerate(weights):
                        put(sub, str(i), vals[(layer["name"], f"{sublayer}/{wname}")])
                for attribute, cell, child in layer.get("children", []):
                    make(path + "/" + attribute, child["name"])
                    sub = make(path + "/" + attribute + "/" + cell, "lstm_cell")
                    for i, (wname, _) in enumerate(child["weights"]):
                        put(sub, str(i), vals[(child["name"], wname)])
                for attribute in layer.get("empty", []):
                    make(path + "/" + attribute, attribute.strip("_").replace("_layer", ""))
                if "model" in layer:
                    save(layer["model"], path + "/layers/")

        save(model, "layers/")
        if optimizer:
            g = make("optimizer", "adam")
            g["0"] = np.array(3, dtype=np.int64)  # iterations
            g["1"] = np.array(0.001, dtype=np.float32)  # learning_rate


def keras3_layer_config(layer):
    if "model" in layer:
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": keras3_model_config(layer["model"])["config"], "registered_name": "Functional",
                "name": layer["name"], "inbound_nodes": []}
    config = dict(name=layer["name"], trainable=True, dtype="float32")
    config.update(layer["config"])
    return {"module": "keras.layers", "class_name": layer["cls"], "config": config, "registered_name": None,
            "name": layer["name"], "inbound_nodes": []}


def keras3_model_config(model):
    return {"module": "keras", "class_name": "Functional",
            "config": {"name": model["name"], "trainable": True,
                       "layers": [keras3_layer_config(layer) for layer in model["layers"]],
                       "input_layers": [[model["layers"][0]["name"], 0, 0]],
                       "output_layers": [[model["layers"][-1]["name"], 0, 0]]},
            "registered_name": "Functional", "build_config": {"input_shape": None}, "compile_config": None}


def write_keras3_archive(target, model, vals):
    h5 = io.BytesIO()
    write_keras3_h5(h5, model, vals, names=True, optimizer=True)
    metadata = {"keras_version": KERAS3_VERSION, "date_saved": "2025-01-01@00:00:00"}
    with zipfile.ZipFile(target, "w") as zf:  # zipfile's default: stored, as Keras writes it
        for name, data in (("metadata.json", json.dumps(metadata).encode()),
                           ("config.json", json.dumps(keras3_model_config(model)).encode()),
                           ("model.weights.h5", h5.getvalue())):
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            zf.writestr(info, data)


# ---------------------------------------------------------------------------------------------------------------------
# Keras 2 writer (legacy h5: save_weights_to_hdf5_group)
# ---------------------------------------------------------------------------------------------------------------------

def keras2_weight_names(layer):
    if "model" in layer:
        return [n for inner in layer["model"]["layers"] for n in keras2_weight_names(inner)]
    scope = f"{layer['name']}/{class_snake(layer['cell'])}" if "cell" in layer else layer["name"]
    return [f"{scope}/{wname}:0" for wname, _ in layer["weights"]]


def keras2_weight_values(layer, vals):
    if "model" in layer:
        # A nested model's legacy weights: all trainable weights, then all non-trainable ones.
        inner = [(l, w) for l in layer["model"]["layers"] for w, _ in l["weights"]]
        return [vals[(l["name"], w)] for l, w in inner]
    return [vals[(layer["name"], w)] for w, _ in layer["weights"]]


def write_keras2_group(f, model, vals):
    f.attrs["layer_names"] = np.asarray([layer["name"].encode("utf8") for layer in model["layers"]])
    f.attrs["backend"] = "tensorflow".encode("utf8")
    f.attrs["keras_version"] = KERAS2_VERSION.encode("utf8")
    for layer in sorted(model["layers"], key=lambda x: x["name"]):
        g = f.create_group(layer["name"])
        names = [n.encode("utf8") for n in keras2_weight_names(layer)]
        g.attrs["weight_names"] = np.asarray(names)
        for name, val in zip(names, keras2_weight_values(layer, vals)):
            dset = g.create_dataset(name, val.shape, dtype=val.dtype)
            dset[:] = val


def write_keras2(target, model, vals, *, full_model):
    with h5py.File(target, "w") as f:
        if full_model:
            # model.save("x.h5"): configuration attributes at the root, weights under model_weights.
            f.attrs["backend"] = "tensorflow".encode("utf8")
            f.attrs["keras_version"] = KERAS2_VERSION.encode("utf8")
            f.attrs["model_config"] = json.dumps({"class_name": "Functional", "config": {"name": model["name"]}}).encode("utf8")
            write_keras2_group(f.create_group("model_weights"), model, vals)
        else:
            write_keras2_group(f, model, vals)


# ---------------------------------------------------------------------------------------------------------------------
# Reference forward passes (numpy, float64)
# ---------------------------------------------------------------------------------------------------------------------

def act(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return x


def w(vals, layer, name):
    return vals[(layer, name)].astype(np.float64)


def dense_ref(x, vals, layer, activation="linear"):
    return act(x @ w(vals, layer, "kernel") + w(vals, layer, "bias"), activation)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_ref(x, vals, layer, units):
    k, r, b = w(vals, layer, "kernel"), w(vals, layer, "recurrent_kernel"), w(vals, layer, "bias")
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ k + h @ r + b
        i, f, g, o = (z[:, q * units:(q + 1) * units] for q in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def gru_ref(x, vals, layer, units):
    k, r, b = w(vals, layer, "kernel"), w(vals, layer, "recurrent_kernel"), w(vals, layer, "bias")
    h = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        xi = x[:, t] @ k + b[0]  # reset_after: input and recurrent biases apart
        hr = h @ r + b[1]
        z = sigmoid(xi[:, :units] + hr[:, :units])
        rr = sigmoid(xi[:, units:2 * units] + hr[:, units:2 * units])
        hh = np.tanh(xi[:, 2 * units:] + rr * hr[:, 2 * units:])
        h = z * h + (1 - z) * hh
    return h


def conv_ref(x, vals, layer):
    k, b = w(vals, layer, "kernel"), w(vals, layer, "bias")
    kh, kw, _, out = k.shape
    n, height, width, _ = x.shape
    y = np.zeros((n, height - kh + 1, width - kw + 1, out))
    for i in range(height - kh + 1):
        for j in range(width - kw + 1):
            y[:, i, j] = np.einsum("nhwc,hwco->no", x[:, i:i + kh, j:j + kw], k)
    return act(y + b, "relu")


def inputs(shape, seed, integers=None):
    n = int(np.prod(shape))
    k = np.arange(n)
    if integers:
        return ((k * 7 + seed) % integers).reshape(shape)
    return (((k * 13 + seed * 5) % 19 - 9) / 8.0).reshape(shape)


def predict(model_name, vals):
    if model_name == "keras_mlp":
        x = inputs((2, 4), 1)
        return x, dense_ref(dense_ref(x, vals, "dense", "relu"), vals, "dense_1", "softmax")
    if model_name == "keras_branch":
        x = inputs((2, 4), 2)
        a = dense_ref(x, vals, "a", "tanh")
        c = dense_ref(dense_ref(x, vals, "b", "relu"), vals, "c")
        return x, dense_ref(np.concatenate([a, c], axis=1), vals, "out")
    if model_name == "keras_conv":
        x = inputs((2, 6, 6, 2), 3)
        y = conv_ref(x, vals, "conv2d")
        y = y.reshape(2, 2, 2, 2, 2, 3).max(axis=(2, 4))  # 2x2 max pooling of 4x4
        return x, dense_ref(y.reshape(2, -1), vals, "dense")
    if model_name == "keras_recurrent":
        x = inputs((2, 5), 4, integers=10)
        e = w(vals, "embedding", "embeddings")[x]
        h = gru_ref(lstm_ref(e, vals, "lstm", 4), vals, "gru", 3)
        return x, dense_ref(h, vals, "dense")
    if model_name == "keras_norm":
        x = inputs((2, 4), 5)
        y = dense_ref(x, vals, "dense")
        g, be, m, v = (w(vals, "batch_normalization", n) for n in ("gamma", "beta", "moving_mean", "moving_variance"))
        y = np.maximum((y - m) / np.sqrt(v + 0.001) * g + be, 0)
        return x, dense_ref(y, vals, "dense_1")
    if model_name == "keras_layer_norm":
        x = inputs((2, 3, 4), 8)
        y = dense_ref(x, vals, "dense")

        def layer_norm(v, axes, gamma, beta):
            mean = v.mean(axis=axes, keepdims=True)
            variance = ((v - mean) ** 2).mean(axis=axes, keepdims=True)
            out = (v - mean) / np.sqrt(variance + 0.001) * gamma
            return out if beta is None else out + beta

        y = layer_norm(y, (2,), w(vals, "layer_normalization", "gamma"), w(vals, "layer_normalization", "beta"))
        y = layer_norm(y, (1, 2), w(vals, "layer_normalization_1", "gamma"), None)
        return x, dense_ref(y.reshape(2, -1), vals, "dense_1")
    if model_name == "keras_position":
        x = inputs((2, 5), 9, integers=11)
        y = w(vals, "embedding", "embeddings")[x] + w(vals, "position_embedding", "embeddings")[:5]
        return x, dense_ref(y.reshape(2, -1), vals, "dense")
    if model_name == "keras_attention":
        x = inputs((2, 5, 4), 10)
        q, v = dense_ref(x, vals, "dense"), dense_ref(x, vals, "dense_1")
        scores = w(vals, "attention", "scale") * (q @ v.transpose(0, 2, 1))
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        y = (e / e.sum(axis=-1, keepdims=True)) @ v
        return x, dense_ref(y.reshape(2, -1), vals, "dense_2")
    if model_name == "keras_mha":
        x = inputs((2, 5, 4), 11)

        def project(v, name):
            return np.einsum("btf,fhd->bthd", v, w(vals, "multi_head_attention", name + "/kernel")) + w(vals, "multi_head_attention", name + "/bias")

        q, k, v = project(x, "query") / np.sqrt(3), project(x, "key"), project(x, "value")
        scores = np.einsum("bqhd,bkhd->bhqk", q, k) + np.triu(np.full((5, 5), -1e9), 1)
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        heads = np.einsum("bhqk,bkhd->bqhd", e / e.sum(axis=-1, keepdims=True), v)
        y = np.einsum("bqhd,hdo->bqo", heads, w(vals, "multi_head_attention", "attention_output/kernel")) + w(vals, "multi_head_attention", "attention_output/bias")
        return x, dense_ref(y.reshape(2, -1), vals, "dense")
    if model_name == "keras_bidirectional":
        x = inputs((2, 5, 3), 12)
        forward = lstm_ref(x, vals, "forward_lstm", 4)[:, -1]
        backward = lstm_ref(x[:, ::-1], vals, "backward_lstm", 4)[:, -1]
        return x, dense_ref(np.concatenate([forward, backward], axis=1), vals, "dense")
    if model_name == "keras_additive":
        x = inputs((2, 5, 4), 13)
        q, v = dense_ref(x, vals, "dense"), dense_ref(x, vals, "dense_1")
        scores = (w(vals, "additive_attention", "scale") * np.tanh(q[:, :, None, :] + v[:, None, :, :])).sum(axis=-1)
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        y = (e / e.sum(axis=-1, keepdims=True)) @ v
        return x, dense_ref(y.reshape(2, -1), vals, "dense_2")
    if model_name == "keras_einsum":
        x = inputs((2, 5, 4), 14)
        y = np.einsum("abc,cde->abde", x, w(vals, "einsum_dense", "kernel")) + w(vals, "einsum_dense", "bias")
        return x, dense_ref(y.reshape(2, -1), vals, "dense")
    if model_name == "keras_deep":
        x = inputs((2, 2), 7)
        y = x
        for i in range(9):
            y = dense_ref(y, vals, "dense" if i == 0 else f"dense_{i}", "tanh")
        return x, y
    if model_name == "keras_nested":
        x = inputs((2, 4), 6)
        return x, dense_ref(dense_ref(x, vals, "enc", "relu"), vals, "head")
    raise KeyError(model_name)


def model_values(model):
    vals = make_values(model)
    if model["name"] == "keras_norm":
        # A variance is positive.
        key = ("batch_normalization", "moving_variance")
        vals[key] = (np.abs(vals[key]) + 0.25).astype(np.float32)
    return vals


def main():
    expected = {}

    def record(file_name, model, vals):
        x, y = predict(model["name"], vals)
        expected[file_name] = {
            "model": model["name"],
            "weights": {f"{layer}/{name}": {"shape": list(shape), "path": path,
                                            "values": [float(v) for v in vals[(layer, name)].ravel()]}
                        for layer, name, shape, path in weight_list(model)},
            "input": [float(v) for v in np.asarray(x, dtype=np.float64).ravel()],
            "output": [float(v) for v in y.ravel()],
        }

    files = []

    def keras3(name, model, **kw):
        vals = model_values(model)
        write_keras3_h5(os.path.join(OUT, name), model, vals, **kw)
        record(name, model, vals)
        files.append(name)

    def archive(name, model):
        vals = model_values(model)
        write_keras3_archive(os.path.join(OUT, name), model, vals)
        record(name, model, vals)
        files.append(name)

    def keras2(name, model, full_model):
        vals = model_values(model)
        write_keras2(os.path.join(OUT, name), model, vals, full_model=full_model)
        record(name, model, vals)
        files.append(name)

    keras3("mlp.weights.h5", MLP, names=True)
    keras3("mlp_latest.weights.h5", MLP, names=True, libver="latest",
           chunks=dict(compression="gzip", compression_opts=4))
    archive("mlp.keras", MLP)
    keras2("mlp_keras2.h5", MLP, full_model=True)
    keras2("mlp_keras2.weights.h5", MLP, full_model=False)
    keras3("branch.weights.h5", BRANCH, names=False)  # no names: only the paths say which layer is which
    keras2("branch_keras2.h5", BRANCH, full_model=False)
    archive("conv.keras", CONV)
    archive("recurrent.keras", RECURRENT)
    keras2("recurrent_keras2.h5", RECURRENT, full_model=True)
    keras3("norm_gzip.weights.h5", NORM, names=False, chunks=dict(compression="gzip", compression_opts=6, shuffle=True))
    keras3("norm_latest.weights.h5", NORM, names=True, libver="latest",
           chunks=dict(compression="gzip", compression_opts=6, shuffle=True))
    keras3("deep_latest.weights.h5", DEEP, names=True, libver="latest")
    archive("nested.keras", NESTED)
    keras3("nested.weights.h5", NESTED, names=False)
    keras2("nested_keras2.h5", NESTED, full_model=False)
    keras3("layer_norm.weights.h5", LAYER_NORM, names=True)
    keras2("layer_norm_keras2.weights.h5", LAYER_NORM, full_model=False)
    keras3("position.weights.h5", POSITION, names=True)
    keras3("attention.weights.h5", ATTENTION, names=True)
    keras3("multi_head_attention.weights.h5", MHA, names=True)
    keras3("bidirectional.weights.h5", BIDIRECTIONAL, names=False)
    keras3("additive_attention.weights.h5", ADDITIVE, names=True)
    keras3("einsum_dense.weights.h5", EINSUM, names=True)

    # Files the reader must refuse with a message naming the feature: integer weights, and the LZF filter (h5py's own).
    vals = model_values(MLP)
    vals[("dense", "kernel")] = (vals[("dense", "kernel")] * 32).astype(np.int32)
    write_keras3_h5(os.path.join(OUT, "unsupported_int.weights.h5"), MLP, vals, names=True)
    write_keras3_h5(os.path.join(OUT, "unsupported_lzf.weights.h5"), MLP, model_values(MLP), names=True,
                    chunks=dict(compression="lzf"))
    files += ["unsupported_int.weights.h5", "unsupported_lzf.weights.h5"]

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    for name in files:
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
