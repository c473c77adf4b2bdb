#!/usr/bin/env bash
# Unrolled against its two peers on the seed benchmark models, one thread each, alternated for several rounds on this
# noisy shared machine, then medians, ranges and ratios:
#   bash bench/compare.sh [ROUNDS]
# - ONNX Runtime 1.32 in the same .NET process (bench/Unrolled.Benchmarks/OrtPeer.cs): each model's own ONNX export,
#   so the same weights, one intra-op thread, every graph optimisation, inputs and outputs bound once; the probe checks
#   that both sides give the same outputs before timing, and alternates them round by round within each case.
# - PyTorch 1.13 on OpenBLAS (bench/torch-blas.sh installs and selects it as root, unsets this machine's forced
#   OpenBLAS kernel settings for PyTorch alone, and reports which BLAS and kernel it used); needs /usr/bin/python3
#   with torch (apt-get install python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source bench/torch-blas.sh
dotnet build bench/Unrolled.Benchmarks -c Release -v quiet -nologo >/dev/null

for r in $(seq 1 "$rounds"); do
  # Unrolled and ONNX Runtime in one process ("ort:" lines are ONNX Runtime's), then PyTorch.
  UNROLLED_THREADS=1 dotnet bench/Unrolled.Benchmarks/bin/Release/net10.0/Unrolled.Benchmarks.dll --probe 1 2>/dev/null \
    | sed -e 's/^ort:/ort /' -e t -e 's/^/unrolled /' >>"$work/results"
  torch_python bench/torch_models.py --rounds 1 | sed 's/^/torch /' >>"$work/results"
  echo "round $r of $rounds done" >&2
done

torch_blas_report
python3 - "$work/results" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    side, case, micro = line.split()
    values.setdefault((side, case), []).append(float(micro))
def fmt(x):
    return f"{x:.1f} µs" if x < 1000 else f"{x / 1000:.2f} ms"
def cell(side, case):
    v = values.get((side, case))
    return "–" if not v else f"{fmt(statistics.median(v))} ({fmt(min(v))}–{fmt(max(v))})"
def ratio(case, peer):
    # The median over rounds of each round's ratio (the sides alternate within a round), and its range.
    a, b = values.get(("unrolled", case)), values.get((peer, case))
    if not a or not b:
        return "–"
    r = [y / x for x, y in zip(a, b)]
    return f"{statistics.median(r):.1f}× ({min(r):.1f}–{max(r):.1f})"
cases = ["mlp_predict_b1", "mlp_predict_b64", "mlp_train_b64", "conv_predict_b1", "conv_predict_b64", "conv_train_b64",
         "lstm_predict_b1", "lstm_predict_b64", "lstm_train_b64", "lstm_train_b64_zipf", "resnet_predict_b1", "resnet_predict_b64", "resnet_train_b64",
         "transformer_predict_b1", "transformer_predict_b64", "transformer_train_b64",
         "attention128_predict_b1", "attention128_predict_b32", "attention512_predict_b1", "attention512_predict_b32",
         "causal512_predict_b1", "causal512_predict_b32"]
print("| case | Unrolled | ONNX Runtime 1.32 (.NET, in-process) | PyTorch 1.13 (OpenBLAS) | ORT / Unrolled | PyTorch / Unrolled |")
print("|---|---|---|---|---|---|")
for c in cases:
    print(f"| {c} | {cell('unrolled', c)} | {cell('ort', c)} | {cell('torch', c)} | {ratio(c, 'ort')} | {ratio(c, 'torch')} |")
PY
