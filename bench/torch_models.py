#!/usr/bin/python3
"""The benchmark models in PyTorch (one thread): the MLP 784-64-64-10, the functional API guide's convolutional
encoder and toy ResNet, and Keras's news-headline LSTM. Prints "case microseconds" per case (the median of ROUNDS
rounds of about 0.3 s each), or with --export DIR writes each model's predict graph as ONNX.

    /usr/bin/python3 bench/torch_models.py [--rounds N] [--export DIR]
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
# Denormal floats slow x86 arithmetic by orders of magnitude; PyTorch's own advice for CPU inference is to flush them.
torch.set_flush_denormal(True)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(784, 64), nn.Linear(64, 64), nn.Linear(64, 10)

    def forward(self, x):
        return F.softmax(self.c(F.relu(self.b(F.relu(self.a(x))))), dim=-1)


class ConvEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 16, 3), nn.Conv2d(16, 32, 3)
        self.c3, self.c4 = nn.Conv2d(32, 32, 3), nn.Conv2d(32, 16, 3)

    def forward(self, x):  # NCHW, PyTorch's own layout
        x = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 3)
        x = F.relu(self.c4(F.relu(self.c3(x))))
        return torch.amax(x, dim=(2, 3))


class NewsLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 512)
        self.lstm = nn.LSTM(512, 32, batch_first=True)
        self.aux = nn.Linear(32, 1)
        self.d1, self.d2, self.d3, self.main = nn.Linear(37, 64), nn.Linear(64, 64), nn.Linear(64, 64), nn.Linear(64, 1)

    def forward(self, ids, aux_input):
        _, (h, _) = self.lstm(self.embedding(ids))
        h = h[-1]
        x = torch.cat([h, aux_input], dim=1)
        x = F.relu(self.d3(F.relu(self.d2(F.relu(self.d1(x))))))
        return torch.sigmoid(self.main(x)), torch.sigmoid(self.aux(h))


class ToyResNet(nn.Module):
    """The toy ResNet of Keras's functional API guide (223,242 parameters), softmax output as in the benchmark."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 32, 3), nn.Conv2d(32, 64, 3)
        self.b2a, self.b2b = nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.b3a, self.b3b = nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.c4 = nn.Conv2d(64, 64, 3)
        self.d1, self.d2 = nn.Linear(64, 256), nn.Linear(256, 10)
        self.dropout = nn.Dropout(0.5)

    def logits(self, x):  # NCHW
        block1 = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 3)
        block2 = F.relu(self.b2b(F.relu(self.b2a(block1)))) + block1
        block3 = F.relu(self.b3b(F.relu(self.b3a(block2)))) + block2
        x = F.relu(self.c4(block3)).mean(dim=(2, 3))
        return self.d2(self.dropout(F.relu(self.d1(x))))

    def forward(self, x):
        return F.softmax(self.logits(x), dim=-1)


class TextTransformer(nn.Module):
    """Keras's "Text classification with Transformer": token and position embeddings (20000 and 200 rows of 32), one
    block with Keras's MultiHeadAttention(num_heads=2, key_dim=32) written out (its projections are 32 -> 2*32 wide, so
    nn.MultiheadAttention, whose heads split the embedding, cannot express it; PyTorch 1.13 has no
    scaled_dot_product_attention), LayerNorm(eps=1e-6), the feed-forward 32 -> 32 relu -> 32, mean pooling, Dense 20
    relu, Dense 2 (softmax), dropout 0.1 where Keras's example has it."""
    def __init__(self):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(20000, 32), nn.Embedding(200, 32)
        self.q, self.k, self.v, self.o = nn.Linear(32, 64), nn.Linear(32, 64), nn.Linear(32, 64), nn.Linear(64, 32)
        self.norm1, self.norm2 = nn.LayerNorm(32, eps=1e-6), nn.LayerNorm(32, eps=1e-6)
        self.ff1, self.ff2 = nn.Linear(32, 32), nn.Linear(32, 32)
        self.hidden, self.out = nn.Linear(32, 20), nn.Linear(20, 2)
        self.drop = nn.Dropout(0.1)

    def attention(self, x):
        b, t, _ = x.shape
        q = self.q(x).view(b, t, 2, 32).transpose(1, 2) / 32 ** 0.5
        k = self.k(x).view(b, t, 2, 32).transpose(1, 2)
        v = self.v(x).view(b, t, 2, 32).transpose(1, 2)
        heads = torch.softmax(q @ k.transpose(2, 3), dim=-1) @ v
        return self.o(heads.transpose(1, 2).reshape(b, t, 64))

    def logits(self, ids):
        x = self.tokens(ids) + self.positions.weight[: ids.shape[1]]
        x = self.norm1(x + self.drop(self.attention(x)))
        x = self.norm2(x + self.drop(self.ff2(F.relu(self.ff1(x)))))
        x = self.drop(x.mean(dim=1))
        return self.out(self.drop(F.relu(self.hidden(x))))

    def forward(self, ids):
        return F.softmax(self.logits(ids), dim=-1)


def keras_rmsprop(model):
    return torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)


def median_microseconds(call, rounds):
    for _ in range(20):
        call()
    results = []
    for _ in range(rounds):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.3 or n < 3:
            call()
            n += 1
        results.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(results)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--export")
    args = parser.parse_args()

    mlp, conv, news, resnet, transformer = Mlp(), ConvEncoder(), NewsLstm(), ToyResNet(), TextTransformer()
    assert sum(p.numel() for p in resnet.parameters()) == 223242
    x64, img64 = torch.rand(64, 784), torch.rand(64, 1, 28, 28)
    ids64, aux64 = torch.randint(0, 10000, (64, 100)), torch.rand(64, 5)
    # Ids as words come in text, Zipf's law over the 10,000 ids (rank r with weight 1/r), as the .NET probe draws them: a
    # batch names about 2,100 distinct rows. PyTorch's RMSprop takes no sparse gradient, so its embedding stays dense.
    zipf_ids64 = torch.multinomial(1.0 / torch.arange(1, 10001, dtype=torch.float64), 64 * 100, replacement=True).reshape(64, 100)
    pictures64 = torch.rand(64, 3, 32, 32)
    words64 = torch.randint(0, 20000, (64, 200))
    # Attention alone: nn.MultiheadAttention(64, 4) has Keras's MultiHeadAttention(4, key_dim=16) projections, and in
    # eval mode with need_weights=False it takes PyTorch's fused fast path.
    attention = nn.MultiheadAttention(64, 4, batch_first=True).eval()
    tokens128, tokens512 = torch.rand(32, 128, 64), torch.rand(32, 512, 64)
    causal = torch.triu(torch.full((512, 512), float("-inf")), diagonal=1)

    if args.export:
        for name, model, inputs, names in [
            ("mlp", mlp, (x64[:1],), ["x"]),
            ("conv", conv, (img64[:1],), ["img"]),
            ("lstm", news, (ids64[:1], aux64[:1]), ["ids", "aux"]),
            ("resnet", resnet, (pictures64[:1],), ["img"]),
            ("transformer", transformer, (words64[:1],), ["ids"]),
        ]:
            model.eval()
            torch.onnx.export(model, inputs, f"{args.export}/{name}.onnx", input_names=names, opset_version=14,
                              dynamic_axes={n: {0: "batch"} for n in names})
        return

    # The convolutional models run channels-last (NHWC), oneDNN's fastest layout on CPU: in predict and training steps
    # alike it beat PyTorch's default NCHW here (conv encoder predict b64 5.1 against 6.5-7.9 ms, training 15.7 against
    # 19.1 ms; toy ResNet predict 26 against 39 ms, training 94 against 104 ms).
    conv, resnet = conv.to(memory_format=torch.channels_last), resnet.to(memory_format=torch.channels_last)
    img64, pictures64 = img64.contiguous(memory_format=torch.channels_last), pictures64.contiguous(memory_format=torch.channels_last)

    target = torch.zeros(64, dtype=torch.long)
    code_target = torch.rand(64, 16)
    main_t, aux_t = torch.rand(64, 1), torch.rand(64, 1)
    optimizers = {m: keras_rmsprop(m) for m in (mlp, conv, news, resnet, transformer)}

    def step(model, loss_of):
        optimizer = optimizers[model]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of()
        loss.backward()
        optimizer.step()

    def mlp_loss():  # cross-entropy on the softmax's input, as Keras fuses it
        logits = mlp.c(F.relu(mlp.b(F.relu(mlp.a(x64)))))
        return F.cross_entropy(logits, target)

    def news_loss():
        main, aux = news(ids64, aux64)
        return F.binary_cross_entropy(main, main_t) + 0.2 * F.binary_cross_entropy(aux, aux_t)

    resnet.eval()  # dropout off for the predictions
    transformer.eval()
    with torch.inference_mode():  # no autograd bookkeeping at all (at least as fast as no_grad)
        cases = [
            ("mlp_predict_b1", lambda: mlp(x64[:1])),
            ("mlp_predict_b64", lambda: mlp(x64)),
            ("conv_predict_b1", lambda: conv(img64[:1])),
            ("conv_predict_b64", lambda: conv(img64)),
            ("lstm_predict_b1", lambda: news(ids64[:1], aux64[:1])),
            ("lstm_predict_b64", lambda: news(ids64, aux64)),
            ("resnet_predict_b1", lambda: resnet(pictures64[:1])),
            ("resnet_predict_b64", lambda: resnet(pictures64)),
            ("transformer_predict_b1", lambda: transformer(words64[:1])),
            ("transformer_predict_b64", lambda: transformer(words64)),
            ("attention128_predict_b1", lambda: attention(tokens128[:1], tokens128[:1], tokens128[:1], need_weights=False)),
            ("attention128_predict_b32", lambda: attention(tokens128, tokens128, tokens128, need_weights=False)),
            ("attention512_predict_b1", lambda: attention(tokens512[:1], tokens512[:1], tokens512[:1], need_weights=False)),
            ("attention512_predict_b32", lambda: attention(tokens512, tokens512, tokens512, need_weights=False)),
            ("causal512_predict_b1", lambda: attention(tokens512[:1], tokens512[:1], tokens512[:1], need_weights=False, attn_mask=causal)),
            ("causal512_predict_b32", lambda: attention(tokens512, tokens512, tokens512, need_weights=False, attn_mask=causal)),
        ]
        results = {name: median_microseconds(call, args.rounds) for name, call in cases}
    results["mlp_train_b64"] = median_microseconds(lambda: step(mlp, mlp_loss), args.rounds)
    results["conv_train_b64"] = median_microseconds(lambda: step(conv, lambda: F.mse_loss(conv(img64), code_target)), args.rounds)
    results["lstm_train_b64"] = median_microseconds(lambda: step(news, news_loss), args.rounds)

    def news_zipf_loss():
        main, aux = news(zipf_ids64, aux64)
        return F.binary_cross_entropy(main, main_t) + 0.2 * F.binary_cross_entropy(aux, aux_t)

    results["lstm_train_b64_zipf"] = median_microseconds(lambda: step(news, news_zipf_loss), args.rounds)
    resnet.train()  # dropout on, as in Keras's training step
    results["resnet_train_b64"] = median_microseconds(lambda: step(resnet, lambda: F.cross_entropy(resnet.logits(pictures64), target)), args.rounds)
    transformer.train()
    sentiment = torch.randint(0, 2, (64,))
    results["transformer_train_b64"] = median_microseconds(
        lambda: step(transformer, lambda: F.cross_entropy(transformer.logits(words64), sentiment)), args.rounds)
    for name, value in results.items():
        print(f"{name} {value:.2f}")


if __name__ == "__main__":
    main()
