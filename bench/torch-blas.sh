# Sourced by bench/compare.sh and bench/compare-epoch.sh: PyTorch on OpenBLAS, the strongest configuration of that peer
# on this machine, and a report of what it actually used.
#
# Debian's PyTorch calls libblas.so.3 through the alternatives system, and apt may leave the reference BLAS there,
# which is 10-40x slower than OpenBLAS. This machine also sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which force
# OpenBLAS's Haswell kernels (~100 instead of ~190 GFLOP/s on one thread of this AVX-512 CPU); they are unset for the
# PyTorch process only, never for the rest of the run, tests or CI.

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing libopenblas0-pthread (PyTorch's BLAS)" >&2
    apt-get install -y -qq libopenblas0-pthread >/dev/null
  else
    echo "PyTorch would run on the reference BLAS: run as root, or apt-get install libopenblas0-pthread" >&2; exit 1
  fi
fi
if [ "$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null)" != "$(readlink -f "$openblas")" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas" >&2
  else
    echo "libblas.so.3 is not OpenBLAS: run as root, or update-alternatives --set libblas.so.3-x86_64-linux-gnu $openblas" >&2; exit 1
  fi
fi

# PyTorch, one thread, without this machine's forced OpenBLAS kernel settings (torch_env prefixes a command run by
# another program, such as /usr/bin/time; torch_python runs PyTorch's Python directly).
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1)

# For timings, glibc's allocator keeps freed memory instead of returning every large block to the kernel: otherwise each
# call maps its output tensors afresh and page-faults them in, which on this VM made PyTorch's conv encoder predict at
# batch 64 in 30-60 ms instead of 5-8 ms (the usual advice is jemalloc or tcmalloc; these tunables do the same here).
# Not for bench/memory.sh, whose figure is the peak memory of PyTorch as installed.
torch_speed_env=(MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 MALLOC_TOP_PAD_=268435456)
torch_python() { "${torch_env[@]}" "${torch_speed_env[@]}" /usr/bin/python3 "$@"; }

# Which BLAS library PyTorch loaded and which OpenBLAS kernel it chose, read in the PyTorch process itself.
torch_blas_report() {
  torch_python - <<'PY'
import ctypes, torch
torch.set_num_threads(1)
torch.ones(64, 64) @ torch.ones(64, 64)
libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.split()[-1]})
core = "unknown"
for path in libs:
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        core = lib.openblas_get_corename().decode()
        break
    except (OSError, AttributeError):
        pass
print(f"PyTorch {torch.__version__}: BLAS {', '.join(libs) or 'none loaded'}; OpenBLAS kernel {core}; 1 thread")
PY
}
