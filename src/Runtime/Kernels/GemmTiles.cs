using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// Register-blocked micro-kernels: each computes a small tile of C over a run of k, keeping the tile's accumulators
/// in registers and streaming one row of B and a few elements of A per step. A is addressed through two strides
/// (<c>A(i, p) = a[i * rowStride + p * columnStride]</c>) so the same code serves A and Aᵀ; B is row-major with
/// leading dimension <c>ldb</c> and every tile reads whole vectors of it (the driver pads column tails).
/// </summary>
/// <typeparam name="TOps">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
internal static unsafe class GemmTiles<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    /// <summary>4 rows × 4 vectors: 16 accumulators, 8 loads per 16 FMAs (AVX-512 and scalar only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x4(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc, int k, bool accumulate)
    {
        nint w = TOps.Count;
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TV c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TV c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w), b2 = TOps.Load(b + (2 * w)), b3 = TOps.Load(b + (3 * w));
            TV x = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            c02 = TOps.MultiplyAdd(x, b2, c02); c03 = TOps.MultiplyAdd(x, b3, c03);
            x = TOps.Broadcast(a[rowStride]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            c12 = TOps.MultiplyAdd(x, b2, c12); c13 = TOps.MultiplyAdd(x, b3, c13);
            x = TOps.Broadcast(a[r2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            c22 = TOps.MultiplyAdd(x, b2, c22); c23 = TOps.MultiplyAdd(x, b3, c23);
            x = TOps.Broadcast(a[r3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            c32 = TOps.MultiplyAdd(x, b2, c32); c33 = TOps.MultiplyAdd(x, b3, c33);
            a += columnStride;
            b += ldb;
        }

        Put(c, c00, accumulate); Put(c + w, c01, accumulate); Put(c + (2 * w), c02, accumulate); Put(c + (3 * w), c03, accumulate);
        c += ldc;
        Put(c, c10, accumulate); Put(c + w, c11, accumulate); Put(c + (2 * w), c12, accumulate); Put(c + (3 * w), c13, accumulate);
        c += ldc;
        Put(c, c20, accumulate); Put(c + w, c21, accumulate); Put(c + (2 * w), c22, accumulate); Put(c + (3 * w), c23, accumulate);
        c += ldc;
        Put(c, c30, accumulate); Put(c + w, c31, accumulate); Put(c + (2 * w), c32, accumulate); Put(c + (3 * w), c33, accumulate);
    }

    /// <summary>4 rows × 2 vectors: 8 accumulators, enough independent FMA chains to hide FMA latency on AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x2(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc, int k, bool accumulate)
    {
        nint w = TOps.Count;
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(a[rowStride]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(a[r2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(a[r3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            a += columnStride;
            b += ldb;
        }

        Put(c, c00, accumulate); Put(c + w, c01, accumulate);
        c += ldc;
        Put(c, c10, accumulate); Put(c + w, c11, accumulate);
        c += ldc;
        Put(c, c20, accumulate); Put(c + w, c21, accumulate);
        c += ldc;
        Put(c, c30, accumulate); Put(c + w, c31, accumulate);
    }

    /// <summary>
    /// 8 rows × 2 vectors (AVX-512): 16 accumulators fed by 10 loads per 16 FMAs. The 4 × 2 tile needs 6 loads per 8
    /// FMAs, which keeps the load ports, not the FMA units, busy when C is only 32 columns wide (a 32-filter convolution).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x2(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc, int k, bool accumulate)
    {
        nint w = TOps.Count;
        float* a4 = a + (4 * rowStride);
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(a[rowStride]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(a[r2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(a[r3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(a4[0]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(a4[rowStride]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            x = TOps.Broadcast(a4[r2]);
            c60 = TOps.MultiplyAdd(x, b0, c60); c61 = TOps.MultiplyAdd(x, b1, c61);
            x = TOps.Broadcast(a4[r3]);
            c70 = TOps.MultiplyAdd(x, b0, c70); c71 = TOps.MultiplyAdd(x, b1, c71);
            a += columnStride;
            a4 += columnStride;
            b += ldb;
        }

        Put(c, c00, accumulate); Put(c + w, c01, accumulate);
        c += ldc;
        Put(c, c10, accumulate); Put(c + w, c11, accumulate);
        c += ldc;
        Put(c, c20, accumulate); Put(c + w, c21, accumulate);
        c += ldc;
        Put(c, c30, accumulate); Put(c + w, c31, accumulate);
        c += ldc;
        Put(c, c40, accumulate); Put(c + w, c41, accumulate);
        c += ldc;
        Put(c, c50, accumulate); Put(c + w, c51, accumulate);
        c += ldc;
        Put(c, c60, accumulate); Put(c + w, c61, accumulate);
        c += ldc;
        Put(c, c70, accumulate); Put(c + w, c71, accumulate);
    }

    /// <summary>
    /// 8 rows × 1 vector (AVX-512): 8 independent FMA chains, enough to cover the FMA latency, where the 4 × 1 tile's
    /// four chains leave the FMA units idle half the time (a 16-filter convolution, the last columns of a block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x1(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc, int k, bool accumulate)
    {
        float* a4 = a + (4 * rowStride);
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride]), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(a[r2]), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(a[r3]), b0, c3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(a4[0]), b0, c4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(a4[rowStride]), b0, c5);
            c6 = TOps.MultiplyAdd(TOps.Broadcast(a4[r2]), b0, c6);
            c7 = TOps.MultiplyAdd(TOps.Broadcast(a4[r3]), b0, c7);
            a += columnStride;
            a4 += columnStride;
            b += ldb;
        }

        Put(c, c0, accumulate);
        Put(c + ldc, c1, accumulate);
        Put(c + (2 * ldc), c2, accumulate);
        Put(c + (3 * ldc), c3, accumulate);
        c += 4 * ldc;
        Put(c, c4, accumulate);
        Put(c + ldc, c5, accumulate);
        Put(c + (2 * ldc), c6, accumulate);
        Put(c + (3 * ldc), c7, accumulate);
    }

    /// <summary>4 rows × 1 vector, for the last columns of a row block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x1(float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c, nint ldc, int k, bool accumulate)
    {
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride]), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(a[r2]), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(a[r3]), b0, c3);
            a += columnStride;
            b += ldb;
        }

        Put(c, c0, accumulate);
        Put(c + ldc, c1, accumulate);
        Put(c + (2 * ldc), c2, accumulate);
        Put(c + (3 * ldc), c3, accumulate);
    }

    /// <summary>1 row × 4 vectors, for the rows left over after the 4-row blocks (and batch-1 inference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x4(float* a, nint columnStride, float* b, nint ldb, float* c, int k, bool accumulate)
    {
        nint w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV x = TOps.Broadcast(*a);
            c0 = TOps.MultiplyAdd(x, TOps.Load(b), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(b + w), c1);
            c2 = TOps.MultiplyAdd(x, TOps.Load(b + (2 * w)), c2);
            c3 = TOps.MultiplyAdd(x, TOps.Load(b + (3 * w)), c3);
            a += columnStride;
            b += ldb;
        }

        Put(c, c0, accumulate);
        Put(c + w, c1, accumulate);
        Put(c + (2 * w), c2, accumulate);
        Put(c + (3 * w), c3, accumulate);
    }

    /// <summary>1 row × 1 vector; two accumulators over alternate k so consecutive FMAs do not wait on each other.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x1(float* a, nint columnStride, float* b, nint ldb, float* c, int k, bool accumulate)
    {
        TV even = TOps.Zero, odd = TOps.Zero;
        int p = 0;
        for (; p + 1 < k; p += 2)
        {
            even = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(b), even);
            odd = TOps.MultiplyAdd(TOps.Broadcast(a[columnStride]), TOps.Load(b + ldb), odd);
            a += 2 * columnStride;
            b += 2 * ldb;
        }

        if (p < k)
        {
            even = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(b), even);
        }

        Put(c, TOps.Add(even, odd), accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, TV value, bool accumulate)
        => TOps.Store(c, accumulate ? TOps.Add(value, TOps.Load(c)) : value);
}
