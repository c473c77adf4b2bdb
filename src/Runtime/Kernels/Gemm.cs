using System;
using System.ComponentModel;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>
/// Single-precision matrix products for generated layers. Every matrix is row-major and contiguous; C must not overlap
/// A or B. Spans may be longer than the matrices they hold. Runs on AVX-512, AVX2 + FMA, 128-bit SIMD or scalar code,
/// whichever is best on the machine, and allocates nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Gemm
{
    /// <summary>C[m, n] = A[m, k]·B[k, n], or C += A·B when <paramref name="accumulate"/> is true.</summary>
    /// <param name="a">A, <paramref name="m"/> × <paramref name="k"/>.</param>
    /// <param name="b">B, <paramref name="k"/> × <paramref name="n"/>.</param>
    /// <param name="c">C, <paramref name="m"/> × <paramref name="n"/>.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="k">Columns of A, rows of B.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
        => Multiply(GemmPaths.Best, a, b, c, m, k, n, accumulate);

    /// <summary>C[m, n] = A[m, k]·B[n, k]ᵀ, or C += A·Bᵀ when <paramref name="accumulate"/> is true.</summary>
    /// <param name="a">A, <paramref name="m"/> × <paramref name="k"/>.</param>
    /// <param name="b">B, <paramref name="n"/> × <paramref name="k"/>.</param>
    /// <param name="c">C, <paramref name="m"/> × <paramref name="n"/>.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="k">Columns of A and of B.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
        => MultiplyTransposedB(GemmPaths.Best, a, b, c, m, k, n, accumulate);

    /// <summary>C[m, n] = A[k, m]ᵀ·B[k, n], or C += Aᵀ·B when <paramref name="accumulate"/> is true.</summary>
    /// <param name="a">A, <paramref name="k"/> × <paramref name="m"/>.</param>
    /// <param name="b">B, <paramref name="k"/> × <paramref name="n"/>.</param>
    /// <param name="c">C, <paramref name="m"/> × <paramref name="n"/>.</param>
    /// <param name="m">Columns of A, rows of C.</param>
    /// <param name="k">Rows of A and of B.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
        => MultiplyTransposedA(GemmPaths.Best, a, b, c, m, k, n, accumulate);

    internal static unsafe void Multiply(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, bool accumulate)
    {
        if (Trivial(a.Length, b.Length, c, m, k, n, accumulate))
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (!GemmWorker.TryRunSplit(path, false, pa, k, 1, pb, n, pc, m, k, n, accumulate))
            {
                Run(path, pa, k, 1, pb, n, pc, m, k, n, accumulate);
            }
        }
    }

    internal static unsafe void MultiplyTransposedA(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, bool accumulate)
    {
        if (Trivial(a.Length, b.Length, c, m, k, n, accumulate))
        {
            return;
        }

        // Aᵀ(i, p) = a[p * m + i]: the kernels take A through strides, so no transpose is needed.
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (!GemmWorker.TryRunSplit(path, false, pa, 1, m, pb, n, pc, m, k, n, accumulate))
            {
                Run(path, pa, 1, m, pb, n, pc, m, k, n, accumulate);
            }
        }
    }

    internal static unsafe void MultiplyTransposedB(GemmPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, bool accumulate)
    {
        if (Trivial(a.Length, b.Length, c, m, k, n, accumulate))
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (!GemmWorker.TryRunSplit(path, true, pa, k, 1, pb, k, pc, m, k, n, accumulate))
            {
                RunTransposedB(path, pa, pb, pc, m, k, n, accumulate);
            }
        }
    }

    /// <summary>C (+)= A·B (or A·Bᵀ) over <paramref name="m"/> rows, on the calling thread; the split halves run through it.</summary>
    internal static unsafe void RunRows(GemmPath path, bool transposedB, float* a, nint rowStride, nint columnStride, float* b, nint ldb,
        float* c, int m, int k, int n, bool accumulate)
    {
        if (transposedB)
        {
            RunTransposedB(path, a, b, c, m, k, n, accumulate);
        }
        else
        {
            Run(path, a, rowStride, columnStride, b, ldb, c, m, k, n, accumulate);
        }
    }

    private static unsafe void RunTransposedB(GemmPath path, float* pa, float* pb, float* pc, int m, int k, int n, bool accumulate)
    {
        {
            switch (path)
            {
                case GemmPath.Avx512:
                    GemmDriver<Avx512Ops, Vector512<float>>.RunTransposedB(pa, pb, pc, m, k, n, accumulate);
                    break;
                case GemmPath.Avx2Fma:
                    GemmDriver<Avx2Ops, Vector256<float>>.RunTransposedB(pa, pb, pc, m, k, n, accumulate);
                    break;
                case GemmPath.Vector128:
                    GemmDriver<Vector128Ops, Vector128<float>>.RunTransposedB(pa, pb, pc, m, k, n, accumulate);
                    break;
                default:
                    GemmDriver<ScalarOps, float>.RunTransposedB(pa, pb, pc, m, k, n, accumulate);
                    break;
            }
        }
    }

    private static unsafe void Run(GemmPath path, float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c,
        int m, int k, int n, bool accumulate)
    {
        switch (path)
        {
            case GemmPath.Avx512:
                GemmDriver<Avx512Ops, Vector512<float>>.Run(a, rowStride, columnStride, b, ldb, c, n, m, k, n, accumulate);
                break;
            case GemmPath.Avx2Fma:
                GemmDriver<Avx2Ops, Vector256<float>>.Run(a, rowStride, columnStride, b, ldb, c, n, m, k, n, accumulate);
                break;
            case GemmPath.Vector128:
                GemmDriver<Vector128Ops, Vector128<float>>.Run(a, rowStride, columnStride, b, ldb, c, n, m, k, n, accumulate);
                break;
            default:
                GemmDriver<ScalarOps, float>.Run(a, rowStride, columnStride, b, ldb, c, n, m, k, n, accumulate);
                break;
        }
    }

    /// <summary>Checks the sizes (the kernels use raw pointers, so this is the only bounds check) and handles empty
    /// products; returns true when nothing is left to compute.</summary>
    private static bool Trivial(int aLength, int bLength, Span<float> c, int m, int k, int n, bool accumulate)
    {
        if (m < 0 || k < 0 || n < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"Matrix sizes must not be negative (m = {m}, k = {k}, n = {n}).");
        }

        CheckLength(aLength, (long)m * k, "a");
        CheckLength(bLength, (long)k * n, "b");
        CheckLength(c.Length, (long)m * n, "c");
        if (m == 0 || n == 0)
        {
            return true;
        }

        if (k == 0)
        {
            // An empty sum is zero.
            if (!accumulate)
            {
                c[..(m * n)].Clear();
            }

            return true;
        }

        return false;
    }

    private static void CheckLength(int actual, long required, string name)
    {
        if (actual < required)
        {
            throw new ArgumentException($"The matrix needs {required} floats but the span holds {actual}.", name);
        }
    }
}
