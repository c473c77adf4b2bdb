#!/usr/bin/env bash
# Time per training epoch of the Fashion-MNIST MLP: Unrolled (samples/FashionMnist) against PyTorch 1.13 on one
# thread, alternating the two sides for several rounds on this noisy shared machine, then the medians and ratio.
#   bash bench/compare-epoch.sh [ROUNDS]     (needs: apt-get install python3-torch dataset-fashion-mnist)
# PyTorch runs on OpenBLAS, one thread, with this machine's forced kernel settings unset for it alone (bench/torch-blas.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
source bench/torch-blas.sh
torch_blas_report
dotnet build samples/FashionMnist -c Release -v quiet -nologo >/dev/null
ours=(); theirs=(); accs=(); taccs=()
for r in $(seq 1 "$rounds"); do
  line=$(dotnet samples/FashionMnist/bin/Release/net10.0/FashionMnist.dll --epochs 2 --seed "$r" | grep "s per epoch")
  ours+=("$(sed -n 's/.* - \([0-9.]*\) s per epoch/\1/p' <<<"$line")"); accs+=("$(sed -n 's/.*test accuracy: \([0-9.]*\).*/\1/p' <<<"$line")")
  tline=$(torch_python bench/fashion_mlp_torch.py --epochs 2 --seed "$r")
  theirs+=("$(sed -n 's/.*epoch_seconds=\([0-9.]*\).*/\1/p' <<<"$tline")"); taccs+=("$(sed -n 's/.*test_accuracy=\([0-9.]*\).*/\1/p' <<<"$tline")")
  echo "round $r: unrolled ${ours[-1]} s/epoch (test acc ${accs[-1]}), torch ${theirs[-1]} s/epoch (test acc ${taccs[-1]})"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ours[@]}"); mt=$(median "${theirs[@]}")
echo "median s/epoch: unrolled $mo, torch $mt, torch/unrolled = $(awk -v a="$mt" -v b="$mo" 'BEGIN {printf "%.1f", a/b}')x"
