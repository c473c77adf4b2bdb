"""The PyTorch peer of samples/WordLanguages: the same split (written by the C# sample), the same models (Keras's
sizes, initialisers, masks and dropout), Adam with Keras's defaults, batch 64, one thread. Prints one line per epoch,
then a JSON line with the test accuracy and the median seconds per epoch."""
import argparse, json, math, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

from keras_torch import blas, keras_dense, keras_embedding, keras_lstm

MAX_LENGTH, VOCABULARY, LANGUAGES, EMBED, HEADS, FEED_FORWARD = 16, 64, 5, 32, 2, 32


class Transformer(nn.Module):
    """Token + position embedding, Keras's MultiHeadAttention (key_dim 32 per head), the block, masked pooling."""

    def __init__(self):
        super().__init__()
        self.tokens = keras_embedding(VOCABULARY, EMBED)
        self.positions = nn.Parameter(torch.empty(MAX_LENGTH, EMBED))
        nn.init.xavier_uniform_(self.positions)
        # Keras's MultiHeadAttention keeps its kernels as EinsumDense tensors ([32, 2, 32] and [2, 32, 32]), whose
        # glorot fans count the receptive field (the leading axes): far smaller limits than the same matrices in 2-D.
        self.q, self.k, self.v = (keras_dense(EMBED, HEADS * EMBED) for _ in range(3))
        self.o = keras_dense(HEADS * EMBED, EMBED)
        for layer in (self.q, self.k, self.v):
            nn.init.uniform_(layer.weight, -math.sqrt(6 / (HEADS * EMBED + EMBED * EMBED)), math.sqrt(6 / (HEADS * EMBED + EMBED * EMBED)))
        nn.init.uniform_(self.o.weight, -math.sqrt(6 / (2 * HEADS * EMBED)), math.sqrt(6 / (2 * HEADS * EMBED)))
        self.norm1, self.norm2 = nn.LayerNorm(EMBED, eps=1e-6), nn.LayerNorm(EMBED, eps=1e-6)
        self.ff1, self.ff2 = keras_dense(EMBED, FEED_FORWARD), keras_dense(FEED_FORWARD, EMBED)
        self.hidden, self.out = keras_dense(EMBED, 20), keras_dense(20, LANGUAGES)
        self.drop = nn.Dropout(0.1)

    def forward(self, ids):
        mask = ids != 0                                     # [b, t]
        x = self.tokens(ids) + self.positions[: ids.shape[1]]
        b, t, _ = x.shape
        q = self.q(x).view(b, t, HEADS, EMBED).transpose(1, 2) / math.sqrt(EMBED)
        k = self.k(x).view(b, t, HEADS, EMBED).transpose(1, 2)
        v = self.v(x).view(b, t, HEADS, EMBED).transpose(1, 2)
        scores = q @ k.transpose(-1, -2)                    # [b, h, t, t]
        visible = (mask[:, None, :, None] & mask[:, None, None, :])
        weights = torch.softmax(scores.masked_fill(~visible, -1e9), dim=-1) * visible
        attention = self.o((weights @ v).transpose(1, 2).reshape(b, t, HEADS * EMBED))
        x = self.norm1(x + self.drop(attention))
        x = self.norm2(x + self.drop(self.ff2(F.relu(self.ff1(x)))))
        kept = mask.unsqueeze(-1).float()
        pooled = (x * kept).sum(1) / kept.sum(1).clamp(min=1)
        return self.out(self.drop(F.relu(self.hidden(self.drop(pooled)))))


class BiLstm(nn.Module):
    """Embedding, a bidirectional LSTM over the real characters (packed), the language."""

    def __init__(self):
        super().__init__()
        self.tokens = keras_embedding(VOCABULARY, 32)
        self.lstm = keras_lstm(32, 32, bidirectional=True)
        self.out = keras_dense(64, LANGUAGES)

    def forward(self, ids):
        lengths = (ids != 0).sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.tokens(ids), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.out(torch.cat([h[0], h[1]], dim=1))


def read(path):
    split = {"train": ([], []), "test": ([], [])}
    with open(path) as f:
        for line in f:
            parts = line.split()
            ids = [int(p) for p in parts[2:]]
            split[parts[0]][0].append(ids + [0] * (MAX_LENGTH - len(ids)))
            split[parts[0]][1].append(int(parts[1]))
    return {k: (torch.tensor(v[0]), torch.tensor(v[1])) for k, v in split.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["transformer", "bilstm"], required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    data = read(args.data)
    model = Transformer() if args.model == "transformer" else BiLstm()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    x, y = data["train"]
    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(y))
        total, correct = 0.0, 0
        for i in range(0, len(y), 64):
            batch = order[i:i + 64]
            logits = model(x[batch])
            loss = F.cross_entropy(logits, y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            correct += (logits.argmax(1) == y[batch]).sum().item()
        times.append(time.perf_counter() - start)
        print(f"epoch {epoch}/{args.epochs}: loss {total / len(y):.4f}, accuracy {correct / len(y):.4f} ({times[-1]:.2f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        xt, yt = data["test"]
        accuracy = (model(xt).argmax(1) == yt).float().mean().item()
    print(json.dumps({"test_accuracy": accuracy, "seconds_per_epoch": statistics.median(times), "blas": blas()}), flush=True)


if __name__ == "__main__":
    main()
