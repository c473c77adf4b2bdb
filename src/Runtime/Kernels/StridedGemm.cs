using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>
/// Matrix products over matrices that are rows of a larger buffer, each with its own leading dimension (the distance
/// between the starts of consecutive rows). The recurrent kernels need them: one time step of a batch-major
/// sequence is every <c>steps</c>-th row of it. Same drivers and micro-kernels as <see cref="Gemm"/>; C must not
/// share an element with A or B (interleaved but disjoint columns are fine).
/// </summary>
[SkipLocalsInit] // the packed block is always written before it is read
internal static unsafe class StridedGemm
{
    /// <summary>Columns of Bᵀ packed at a time for C = A·Bᵀ (as <see cref="GemmDriver{TOps, TV}"/>).</summary>
    private const int PackColumns = 64;

    /// <summary>Depth of a packed Bᵀ block: 128 × 64 floats = 32 KiB of stack.</summary>
    private const int PackDepth = 128;

    /// <summary>C[m, n] (+)= A[m, k]·B[k, n].</summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int k, int n, bool accumulate)
    {
        if (Trivial(a.Length, m, k, lda, b.Length, k, n, ldb, c, ldc, m, n, accumulate))
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            Run(pa, lda, 1, pb, ldb, pc, ldc, m, k, n, accumulate);
        }
    }

    /// <summary>C[m, n] (+)= A[k, m]ᵀ·B[k, n].</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int k, int n, bool accumulate)
    {
        if (Trivial(a.Length, k, m, lda, b.Length, k, n, ldb, c, ldc, m, n, accumulate))
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            Run(pa, 1, lda, pb, ldb, pc, ldc, m, k, n, accumulate);
        }
    }

    /// <summary>C[m, n] (+)= A[m, k]·B[n, k]ᵀ: blocks of Bᵀ are packed onto the stack, then multiplied as an ordinary B.</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int k, int n, bool accumulate)
    {
        if (Trivial(a.Length, m, k, lda, b.Length, n, k, ldb, c, ldc, m, n, accumulate))
        {
            return;
        }

        float* packed = stackalloc float[PackDepth * PackColumns];
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int p0 = 0; p0 < k; p0 += PackDepth)
            {
                int kc = Math.Min(PackDepth, k - p0);
                for (int j0 = 0; j0 < n; j0 += PackColumns)
                {
                    int nc = Math.Min(PackColumns, n - j0);
                    for (int j = 0; j < nc; j++)
                    {
                        float* source = pb + ((long)(j0 + j) * ldb) + p0;
                        for (int p = 0; p < kc; p++)
                        {
                            packed[(p * PackColumns) + j] = source[p];
                        }
                    }

                    Run(pa + p0, lda, 1, packed, PackColumns, pc + j0, ldc, m, kc, nc, accumulate || p0 > 0);
                }
            }
        }
    }

    private static void Run(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc,
        int m, int k, int n, bool accumulate)
    {
        switch (GemmPaths.Best)
        {
            case GemmPath.Avx512:
                GemmDriver<Avx512Ops, Vector512<float>>.Run(a, rowStride, columnStride, b, ldb, c, ldc, m, k, n, accumulate);
                break;
            case GemmPath.Avx2Fma:
                GemmDriver<Avx2Ops, Vector256<float>>.Run(a, rowStride, columnStride, b, ldb, c, ldc, m, k, n, accumulate);
                break;
            case GemmPath.Vector128:
                GemmDriver<Vector128Ops, Vector128<float>>.Run(a, rowStride, columnStride, b, ldb, c, ldc, m, k, n, accumulate);
                break;
            default:
                GemmDriver<ScalarOps, float>.Run(a, rowStride, columnStride, b, ldb, c, ldc, m, k, n, accumulate);
                break;
        }
    }

    /// <summary>Checks that every stored matrix fits its span (the kernels use raw pointers, so this is the only bounds
    /// check) and handles empty products; returns true when nothing is left to compute.</summary>
    private static bool Trivial(int aLength, int aRows, int aColumns, int lda, int bLength, int bRows, int bColumns, int ldb,
        Span<float> c, int ldc, int m, int n, bool accumulate)
    {
        if (m < 0 || n < 0 || aRows < 0 || aColumns < 0 || bRows < 0 || bColumns < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), "Matrix sizes must not be negative.");
        }

        CheckMatrix(aLength, aRows, aColumns, lda, "a");
        CheckMatrix(bLength, bRows, bColumns, ldb, "b");
        CheckMatrix(c.Length, m, n, ldc, "c");
        if (m == 0 || n == 0)
        {
            return true;
        }

        if (aRows == 0 || aColumns == 0)
        {
            // k = 0: an empty sum is zero.
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    c.Slice(i * ldc, n).Clear();
                }
            }

            return true;
        }

        return false;
    }

    private static void CheckMatrix(int length, int rows, int columns, int leading, string name)
    {
        if (leading < columns)
        {
            throw new ArgumentOutOfRangeException(name, $"A leading dimension of {leading} is shorter than a row of {columns}.");
        }

        long required = rows == 0 || columns == 0 ? 0 : ((long)(rows - 1) * leading) + columns;
        if (length < required)
        {
            throw new ArgumentException($"The matrix needs {required} floats but the span holds {length}.", name);
        }
    }
}
