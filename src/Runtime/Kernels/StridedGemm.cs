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

        fixed (float* pa = a, pb = b, pc = c)
        {
            // B(p, j) = b[j·ldb + p]: columns ldb apart, so General packs blocks of it (zero-padded) as it goes.
            General(pa, lda, 1, pb, 1, ldb, pc, ldc, m, k, n, accumulate);
        }
    }

    /// <summary>
    /// C (+)= A·B over three strided views: <c>A(i, p) = a[i·aRow + p·aColumn]</c>, <c>B(p, j) = b[p·bRow + j·bColumn]</c>,
    /// <c>C(i, j) = c[i·cRow + j·cColumn]</c>, where C has a unit stride one way (<c>cColumn == 1</c>, or
    /// <c>cRow == 1</c>: then the transposed product Cᵀ = Bᵀ·Aᵀ is computed). The micro-kernels read A through any two
    /// strides; B is used in place when its columns are adjacent, and otherwise packed onto the stack a block at a time.
    /// <c>Dot</c> over any pair of axes needs every combination (a sample's contracted axis may lie anywhere in it).
    /// </summary>
    public static void General(ReadOnlySpan<float> a, int aRow, int aColumn, ReadOnlySpan<float> b, int bRow, int bColumn,
        Span<float> c, int cRow, int cColumn, int m, int k, int n, bool accumulate)
    {
        if (m < 0 || k < 0 || n < 0 || aRow < 0 || aColumn < 0 || bRow < 0 || bColumn < 0 || cRow < 0 || cColumn < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), "Matrix sizes and strides must not be negative.");
        }

        if (cColumn != 1 && cRow != 1 && m > 1 && n > 1)
        {
            throw new ArgumentException($"C needs a unit stride one way; got strides {cRow} and {cColumn}.", nameof(c));
        }

        CheckView(a.Length, m, k, aRow, aColumn, "a");
        CheckView(b.Length, k, n, bRow, bColumn, "b");
        CheckView(c.Length, m, n, cRow, cColumn, "c");
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        c[(i * cRow) + (j * cColumn)] = 0f;
                    }
                }
            }

            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (cColumn == 1 || n == 1)
            {
                General(pa, aRow, aColumn, pb, bRow, bColumn, pc, cRow, m, k, n, accumulate);
            }
            else
            {
                // Cᵀ(j, i) = Σ B(p, j)·A(i, p): rows of Cᵀ are cColumn apart and its columns adjacent (cRow is 1, or m is 1).
                General(pb, bColumn, bRow, pa, aColumn, aRow, pc, cColumn, n, k, m, accumulate);
            }
        }
    }

    /// <summary>C (+)= A·B with C row-major (leading dimension ldc); B is packed when its columns are not adjacent.</summary>
    private static void General(float* a, nint aRow, nint aColumn, float* b, nint bRow, nint bColumn, float* c, nint ldc,
        int m, int k, int n, bool accumulate)
    {
        if (bColumn == 1 || n == 1)
        {
            Run(a, aRow, aColumn, b, n == 1 ? Math.Max(bRow, 1) : bRow, c, ldc, m, k, n, accumulate);
            return;
        }

        float* packed = stackalloc float[PackDepth * PackColumns];
        for (int p0 = 0; p0 < k; p0 += PackDepth)
        {
            int kc = Math.Min(PackDepth, k - p0);
            for (int j0 = 0; j0 < n; j0 += PackColumns)
            {
                int nc = Math.Min(PackColumns, n - j0);
                for (int p = 0; p < kc; p++)
                {
                    float* source = b + ((p0 + p) * bRow) + (j0 * bColumn);
                    float* row = packed + (p * PackColumns);
                    for (int j = 0; j < nc; j++)
                    {
                        row[j] = source[j * bColumn];
                    }

                    // The tail vector reads past nc: zeros there, not stale stack floats (which could be denormal and slow).
                    for (int j = nc; j < PackColumns; j++)
                    {
                        row[j] = 0f;
                    }
                }

                Run(a + (p0 * aColumn), aRow, aColumn, packed, PackColumns, c + j0, ldc, m, kc, nc, accumulate || p0 > 0);
            }
        }
    }

    /// <summary>Checks that a strided view lies inside its span: its last element is at (rows − 1)·row + (columns − 1)·column.</summary>
    private static void CheckView(int length, int rows, int columns, int row, int column, string name)
    {
        long last = rows == 0 || columns == 0 ? -1 : ((long)(rows - 1) * row) + ((long)(columns - 1) * column);
        if (last >= length)
        {
            throw new ArgumentException($"The matrix view reaches float {last} but the span holds {length}.", name);
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
