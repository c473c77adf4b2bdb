#!/usr/bin/env bash
# The issue-5 table: Unrolled against PyTorch 1.13 and ONNX Runtime 1.30 on the three seed models, one thread each,
# the three sides alternated for several rounds on this noisy shared machine, then medians and ratios.
#   bash bench/compare.sh [ROUNDS]
# Needs /usr/bin/python3 with torch (apt-get install python3-torch) and Node.js; installs onnxruntime-node into
# bench/ort/node_modules on first use (npm; its download script is skipped: the CPU binary ships in the package).
# PyTorch runs on OpenBLAS with this machine's forced kernel settings unset for it alone (bench/torch-blas.sh, which
# installs and selects OpenBLAS when run as root); the table says which BLAS and kernel it used.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source bench/torch-blas.sh
dotnet build bench/Unrolled.Benchmarks -c Release -v quiet -nologo >/dev/null
[ -d bench/ort/node_modules/onnxruntime-node ] || (cd bench/ort && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
torch_python bench/torch_models.py --export "$work" 2>/dev/null

for r in $(seq 1 "$rounds"); do
  UNROLLED_THREADS=1 dotnet bench/Unrolled.Benchmarks/bin/Release/net10.0/Unrolled.Benchmarks.dll --probe 1 | sed 's/^/unrolled /' >>"$work/results"
  torch_python bench/torch_models.py --rounds 1 | sed 's/^/torch /' >>"$work/results"
  node bench/ort/probe.mjs "$work" 1 | sed 's/^/ort /' >>"$work/results"
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
         "lstm_predict_b1", "lstm_train_b64"]
print("| case | Unrolled | ONNX Runtime 1.30 (Node) | PyTorch 1.13 (OpenBLAS) | ORT / Unrolled | PyTorch / Unrolled |")
print("|---|---|---|---|---|---|")
for c in cases:
    print(f"| {c} | {cell('unrolled', c)} | {cell('ort', c)} | {cell('torch', c)} | {ratio(c, 'ort')} | {ratio(c, 'torch')} |")
PY
