#!/usr/bin/env bash
# Peak resident memory of a process that loads the MLP 784-64-64-10 and predicts 1,000 times: Unrolled (a .NET
# process) against PyTorch 1.13 (/usr/bin/python3, on OpenBLAS as bench/torch-blas.sh sets it up), read from
# /usr/bin/time -v, median of ROUNDS alternated runs.
#   bash bench/memory.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
source bench/torch-blas.sh
dotnet build bench/Unrolled.Benchmarks -c Release -v quiet -nologo >/dev/null
peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
ours=(); theirs=()
for r in $(seq 1 "$rounds"); do
  ours+=("$(peak dotnet bench/Unrolled.Benchmarks/bin/Release/net10.0/Unrolled.Benchmarks.dll --mlp-only)")
  theirs+=("$(peak "${torch_env[@]}" /usr/bin/python3 -c '
import torch, torch.nn as nn
torch.set_num_threads(1)
model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=-1)).eval()
x = torch.zeros(1, 784)
with torch.no_grad():
    for _ in range(1000):
        y = model(x)
')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "peak RSS: Unrolled $(( $(median "${ours[@]}") / 1024 )) MiB, PyTorch $(( $(median "${theirs[@]}") / 1024 )) MiB"
