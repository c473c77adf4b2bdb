"""The Fashion-MNIST sample's model and training in PyTorch, for a same-run comparison.

784 -> Dense 64 relu -> Dense 64 relu -> Dense 10 softmax, categorical cross-entropy, RMSprop with Keras's
defaults (lr 1e-3, rho 0.9, eps 1e-7), batch 64, the last 20 % of the training set for validation, one thread.
Prints one line: "torch epoch_seconds=<median of epochs> test_accuracy=<a>".
Run with Debian's interpreter: /usr/bin/python3 bench/fashion_mlp_torch.py [--epochs N] [--seed S]
"""
import argparse, gzip, time
import numpy as np
import torch

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
a = p.parse_args()
torch.set_num_threads(1)
torch.set_flush_denormal(True)  # as in bench/torch_models.py: the strongest CPU configuration
torch.manual_seed(a.seed)
np.random.seed(a.seed)

x = torch.tensor(read_idx(f"{a.data}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
y = torch.tensor(read_idx(f"{a.data}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
xt = torch.tensor(read_idx(f"{a.data}/t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
yt = torch.tensor(read_idx(f"{a.data}/t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
split = int(len(x) * 0.8)
xtr, ytr, xv, yv = x[:split], y[:split], x[split:], y[split:]

model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
for m in model:
    if isinstance(m, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight); torch.nn.init.zeros_(m.bias)
opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()

times = []
for epoch in range(a.epochs):
    start = time.perf_counter()
    perm = torch.randperm(split)
    for i in range(0, split, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = loss_fn(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = (model(xv).argmax(1) == yv).float().mean().item()
    times.append(time.perf_counter() - start)
with torch.no_grad():
    acc = (model(xt).argmax(1) == yt).float().mean().item()
print(f"torch epoch_seconds={sorted(times)[len(times) // 2]:.3f} test_accuracy={acc:.4f} val_accuracy={val:.4f}")
