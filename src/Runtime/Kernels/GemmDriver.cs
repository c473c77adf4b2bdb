using System;
using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// Cache blocking around the micro-kernels. k is cut into panels of <see cref="KPanel"/> so a 4-row strip of A stays
/// in L1 while a panel of B streams from L2; columns go 4 (or 2) vectors at a time, then one vector at a time, and a
/// ragged last block of fewer than one vector is computed from a zero-padded copy of those B columns into a
/// stack tile, so every kernel load is a whole vector and nothing is allocated.
/// </summary>
[SkipLocalsInit] // the stack tiles are always written before they are read; zeroing 48 KiB per call is waste
internal static unsafe class GemmDriver<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    /// <summary>Depth of a k panel: 256 floats × 4 rows of A = 4 KiB, comfortably inside L1 next to the B rows.</summary>
    public const int KPanel = 256;

    /// <summary>Columns of Bᵀ packed at a time for C = A·Bᵀ (4 AVX-512 vectors).</summary>
    private const int PackColumns = 64;

    /// <summary>Depth of a packed Bᵀ block: 128 × 64 floats = 32 KiB of stack.</summary>
    private const int PackDepth = 128;

    /// <summary>C (+)= A·B with A(i, p) = a[i * rowStride + p * columnStride] and B row-major with leading dimension ldb.</summary>
    public static void Run(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc,
        int m, int k, int n, bool accumulate)
    {
        // The padded tail copy of B is only needed when n is not a whole number of vectors, and only for the last rows
        // of B: elsewhere a whole vector read at the tail columns runs into the next row, still inside B, and the lanes
        // beyond n land in the tile's discarded columns.
        int tail = n % TOps.Count;
        float* tailB = stackalloc float[tail == 0 ? 1 : KPanel * TOps.Count];
        int readable = tail == 0 ? k : Math.Max(0, k - (int)((TOps.Count - tail + ldb - 1) / ldb));
        for (int p0 = 0; p0 < k; p0 += KPanel)
        {
            int kc = Math.Min(KPanel, k - p0);
            Panel(a + (p0 * columnStride), rowStride, columnStride, b + (p0 * ldb), ldb, c, ldc, m, kc, n,
                accumulate || p0 > 0, tailB, Math.Clamp(readable - p0, 0, kc));
        }
    }

    /// <summary>C (+)= A·Bᵀ for row-major A [m, k] and B [n, k]: blocks of Bᵀ are transposed onto the stack, then
    /// multiplied as an ordinary B, so the inner loops stay the broadcast-A / vector-B kernels.</summary>
    public static void RunTransposedB(float* a, float* b, float* c, int m, int k, int n, bool accumulate)
    {
        float* packed = stackalloc float[PackDepth * PackColumns];
        int tail = n % TOps.Count;
        float* tailB = stackalloc float[tail == 0 ? 1 : KPanel * TOps.Count];
        for (int p0 = 0; p0 < k; p0 += PackDepth)
        {
            int kc = Math.Min(PackDepth, k - p0);
            for (int j0 = 0; j0 < n; j0 += PackColumns)
            {
                int nc = Math.Min(PackColumns, n - j0);
                for (int j = 0; j < nc; j++)
                {
                    float* source = b + ((long)(j0 + j) * k) + p0;
                    for (int p = 0; p < kc; p++)
                    {
                        packed[(p * PackColumns) + j] = source[p];
                    }
                }

                // The tail vector reads past nc: zeros there, not stale stack floats (which could be denormal and slow).
                int padded = Math.Min(PackColumns, (nc + TOps.Count - 1) / TOps.Count * TOps.Count);
                for (int p = 0; p < kc; p++)
                {
                    for (int j = nc; j < padded; j++)
                    {
                        packed[(p * PackColumns) + j] = 0f;
                    }
                }

                // The packed block is PackColumns wide, so a whole vector at the tail columns is always inside it.
                Panel(a + p0, k, 1, packed, PackColumns, c + j0, n, m, kc, nc, accumulate || p0 > 0, tailB, kc);
            }
        }
    }

    // direct: how many leading rows of this panel of B may be read a whole vector at a time at the tail columns; the
    // rest are copied, zero-padded, into tailB.
    private static void Panel(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc,
        int m, int k, int n, bool accumulate, float* tailB, int direct)
    {
        int w = TOps.Count;
        int tail = n % w;
        int main = n - tail;
        if (tail != 0)
        {
            // Zero-padded copy of the last, partial vector of B columns, shared by every row block.
            TailTiles.PadColumns(b + (direct * ldb) + main, ldb, tailB, w, k - direct, tail);
        }

        // Tile of C for the padded columns: up to 8 rows of one vector.
        float* tileC = stackalloc float[8 * w];
        int i = 0;
        if (TOps.FourVectorTile)
        {
            // AVX-512 has 32 registers: 8-row tiles where C is narrower than 4 vectors (see Tile8x2).
            for (; i + 8 <= m; i += 8)
            {
                float* ai = a + (i * rowStride);
                float* ci = c + (i * ldc);
                int j = 0;
                for (; j + (4 * w) <= main; j += 4 * w)
                {
                    GemmTiles<TOps, TV>.Tile4x4(ai, rowStride, columnStride, b + j, ldb, ci + j, ldc, k, accumulate);
                    GemmTiles<TOps, TV>.Tile4x4(ai + (4 * rowStride), rowStride, columnStride, b + j, ldb, ci + j + (4 * ldc), ldc, k, accumulate);
                }

                for (; j + (2 * w) <= main; j += 2 * w)
                {
                    GemmTiles<TOps, TV>.Tile8x2(ai, rowStride, columnStride, b + j, ldb, ci + j, ldc, k, accumulate);
                }

                for (; j < main; j += w)
                {
                    GemmTiles<TOps, TV>.Tile8x1(ai, rowStride, columnStride, b + j, ldb, ci + j, ldc, k, accumulate);
                }

                if (tail != 0)
                {
                    if (direct > 0)
                    {
                        GemmTiles<TOps, TV>.Tile8x1(ai, rowStride, columnStride, b + main, ldb, tileC, w, direct, accumulate: false);
                    }

                    if (direct < k)
                    {
                        GemmTiles<TOps, TV>.Tile8x1(ai + (direct * columnStride), rowStride, columnStride, tailB, w, tileC, w, k - direct, accumulate: direct > 0);
                    }

                    TailTiles.Merge(tileC, w, ci + main, ldc, 8, tail, accumulate);
                }
            }
        }

        for (; i + 4 <= m; i += 4)
        {
            float* ai = a + (i * rowStride);
            float* ci = c + (i * ldc);
            int j = 0;
            if (TOps.FourVectorTile)
            {
                for (; j + (4 * w) <= main; j += 4 * w)
                {
                    GemmTiles<TOps, TV>.Tile4x4(ai, rowStride, columnStride, b + j, ldb, ci + j, ldc, k, accumulate);
                }
            }

            for (; j + (2 * w) <= main; j += 2 * w)
            {
                GemmTiles<TOps, TV>.Tile4x2(ai, rowStride, columnStride, b + j, ldb, ci + j, ldc, k, accumulate);
            }

            for (; j < main; j += w)
            {
                GemmTiles<TOps, TV>.Tile4x1(ai, rowStride, columnStride, b + j, ldb, ci + j, ldc, k, accumulate);
            }

            if (tail != 0)
            {
                if (direct > 0)
                {
                    GemmTiles<TOps, TV>.Tile4x1(ai, rowStride, columnStride, b + main, ldb, tileC, w, direct, accumulate: false);
                }

                if (direct < k)
                {
                    GemmTiles<TOps, TV>.Tile4x1(ai + (direct * columnStride), rowStride, columnStride, tailB, w, tileC, w, k - direct, accumulate: direct > 0);
                }

                TailTiles.Merge(tileC, w, ci + main, ldc, 4, tail, accumulate);
            }
        }

        for (; i < m; i++)
        {
            float* ai = a + (i * rowStride);
            float* ci = c + (i * ldc);
            int j = 0;
            for (; j + (4 * w) <= main; j += 4 * w)
            {
                GemmTiles<TOps, TV>.Tile1x4(ai, columnStride, b + j, ldb, ci + j, k, accumulate);
            }

            for (; j < main; j += w)
            {
                GemmTiles<TOps, TV>.Tile1x1(ai, columnStride, b + j, ldb, ci + j, k, accumulate);
            }

            if (tail != 0)
            {
                if (direct > 0)
                {
                    GemmTiles<TOps, TV>.Tile1x1(ai, columnStride, b + main, ldb, tileC, direct, accumulate: false);
                }

                if (direct < k)
                {
                    GemmTiles<TOps, TV>.Tile1x1(ai + (direct * columnStride), columnStride, tailB, w, tileC, k - direct, accumulate: direct > 0);
                }

                TailTiles.Merge(tileC, w, ci + main, ldc, 1, tail, accumulate);
            }
        }
    }

}

/// <summary>The ragged last vector of columns, shared by the GEMM driver and the implicit convolution.</summary>
internal static unsafe class TailTiles
{
    /// <summary>Copies <paramref name="columns"/> floats of each of <paramref name="rows"/> rows (leading dimension
    /// <paramref name="ldb"/>) into rows of <paramref name="width"/> floats, zero-filling the rest.</summary>
    public static void PadColumns(float* source, nint ldb, float* destination, int width, int rows, int columns)
    {
        for (int p = 0; p < rows; p++)
        {
            float* from = source + (p * ldb);
            float* to = destination + (p * width);
            int j = 0;
            for (; j < columns; j++)
            {
                to[j] = from[j];
            }

            for (; j < width; j++)
            {
                to[j] = 0f;
            }
        }
    }

    /// <summary>C (+)= the first <paramref name="columns"/> of each of <paramref name="rows"/> rows of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Merge(float* tile, int tileStride, float* c, nint ldc, int rows, int columns, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + (r * tileStride);
            float* destination = c + (r * ldc);
            for (int j = 0; j < columns; j++)
            {
                destination[j] = accumulate ? destination[j] + source[j] : source[j];
            }
        }
    }
}
