"""The PyTorch peer of samples/CharTranslation: the same split (written by the C# sample), the same encoder-decoder
(embeddings with Keras's initialiser, LSTMs with Keras's glorot / orthogonal / unit-forget-bias initialisers, packed so
padding is skipped as Keras's masks skip it), RMSprop with Keras's rule and defaults, batch 64, one thread. Prints progress, then a
JSON line with the held-out next-character accuracy (teacher forcing, real steps only), the share of held-out words
decoded exactly (greedy) and the median seconds per epoch."""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

from keras_torch import blas, keras_dense, keras_embedding, keras_lstm

SOURCE, TARGET, CHARACTERS, UNITS, EMBEDDING = 20, 22, 48, 128, 64
START, END = 1, 2


class Translator(nn.Module):
    def __init__(self):
        super().__init__()
        self.english, self.french = keras_embedding(CHARACTERS, EMBEDDING), keras_embedding(CHARACTERS, EMBEDDING)
        self.encoder, self.decoder = keras_lstm(EMBEDDING, UNITS), keras_lstm(EMBEDDING, UNITS)
        self.out = keras_dense(UNITS, CHARACTERS)

    def encode(self, english):
        lengths = (english != 0).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.english(english), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        return state

    def forward(self, english, french_in):
        lengths = (french_in != 0).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.french(french_in), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.decoder(packed, self.encode(english))
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=TARGET)
        return self.out(out)

    def step(self, character, state):
        out, state = self.decoder(self.french(character), state)
        return self.out(out[:, 0]), state


class KerasRMSprop(torch.optim.Optimizer):
    """Keras 3's RMSprop: v = rho·v + (1 − rho)·g², w −= lr·g / sqrt(v + epsilon). PyTorch's adds epsilon after the
    square root, which lets steps grow where gradients are tiny; with Keras's epsilon of 1e-7 that trains visibly
    differently, so the peer uses Keras's rule."""

    def __init__(self, params, lr=1e-3, rho=0.9, epsilon=1e-7):
        super().__init__(params, dict(lr=lr, rho=rho, epsilon=epsilon))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                v = self.state[p].setdefault("velocity", torch.zeros_like(p))
                v.mul_(group["rho"]).addcmul_(p.grad, p.grad, value=1 - group["rho"])
                p.addcdiv_(p.grad, (v + group["epsilon"]).sqrt(), value=-group["lr"])


def read(path):
    split = {"train": [], "test": []}
    with open(path) as f:
        for line in f:
            kind, en, fr = line.split()
            split[kind].append(([int(i) for i in en.split(",")], [int(i) for i in fr.split(",")]))
    result = {}
    for kind, pairs in split.items():
        en = torch.zeros(len(pairs), SOURCE, dtype=torch.long)
        fin = torch.zeros(len(pairs), TARGET, dtype=torch.long)
        fout = torch.zeros(len(pairs), TARGET, dtype=torch.long)
        for i, (e, f) in enumerate(pairs):
            en[i, :len(e)] = torch.tensor(e)
            fin[i, 0] = START
            fin[i, 1:len(f) + 1] = torch.tensor(f)
            fout[i, :len(f)] = torch.tensor(f)
            fout[i, len(f)] = END
        result[kind] = (en, fin, fout, [f for _, f in pairs])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    data = read(args.data)
    model = Translator()
    optimizer = KerasRMSprop([p for p in model.parameters() if p.requires_grad])
    en, fin, fout, _ = data["train"]
    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(en))
        total, steps = 0.0, 0
        for i in range(0, len(en), 64):
            b = order[i:i + 64]
            logits = model(en[b], fin[b])
            mask = fin[b] != 0
            loss = F.cross_entropy(logits[mask], fout[b][mask])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        times.append(time.perf_counter() - start)
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch}/{args.epochs}: loss {total / steps:.4f} ({times[-1]:.2f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        en, fin, fout, words = data["test"]
        mask = fin != 0
        accuracy = (model(en, fin).argmax(-1)[mask] == fout[mask]).float().mean().item()
        state = model.encode(en)
        current = torch.full((len(en), 1), START, dtype=torch.long)
        decoded = [[] for _ in range(len(en))]
        done = [False] * len(en)
        for _ in range(TARGET):
            logits, state = model.step(current, state)
            best = logits.argmax(-1)
            for i, b in enumerate(best.tolist()):
                if not done[i]:
                    if b <= END:
                        done[i] = True
                    else:
                        decoded[i].append(b)
            current = best.clamp(min=END).unsqueeze(1)
        exact = sum(d == w for d, w in zip(decoded, words)) / len(words)
    print(json.dumps({"test_accuracy": accuracy, "exact": exact, "seconds_per_epoch": statistics.median(times), "blas": blas()}), flush=True)


if __name__ == "__main__":
    main()
