using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// One tap of a convolution window for one output row: <see cref="A"/> points at the input pixel (channel 0) that
/// the row's first output position reads through this tap, <see cref="B"/> is the tap's first kernel row
/// (tap index × input channels) in the [taps · InChannels, OutChannels] kernel matrix.
/// </summary>
internal unsafe struct ConvTap
{
    public float* A;
    public nint B;
}

/// <summary>
/// Implicit-GEMM micro-kernels for a convolution: a tile of output positions of one output row × a few vectors of
/// output channels, its accumulators in registers across every tap and input channel of the window, so no patch
/// matrix is built. Tile row r reads input at <c>tap.A + offset + r · rowStride</c> (rowStride = stride × channels),
/// the kernel at <c>b + (tap.B + channel) · ldb</c>; every kernel load is a whole vector (the caller pads the tail).
/// </summary>
/// <typeparam name="TOps">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
internal static unsafe class ConvTiles<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    /// <summary>8 positions × 2 vectors (32 registers): 16 accumulators, 10 loads per 16 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x2(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint w = TOps.Count;
        nint r2 = rowStride * 2, r3 = rowStride * 3, r4 = rowStride * 4;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* a4 = a + r4;
            float* bp = b + (taps[t].B * ldb);
            for (int p = 0; p < channels; p++)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
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
                a++;
                a4++;
                bp += ldb;
            }
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

    /// <summary>8 positions × 1 vector: 8 independent FMA chains, enough to cover the FMA latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x1(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint r2 = rowStride * 2, r3 = rowStride * 3, r4 = rowStride * 4;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* a4 = a + r4;
            float* bp = b + (taps[t].B * ldb);
            for (int p = 0; p < channels; p++)
            {
                TV b0 = TOps.Load(bp);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b0, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride]), b0, c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(a[r2]), b0, c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(a[r3]), b0, c3);
                c4 = TOps.MultiplyAdd(TOps.Broadcast(a4[0]), b0, c4);
                c5 = TOps.MultiplyAdd(TOps.Broadcast(a4[rowStride]), b0, c5);
                c6 = TOps.MultiplyAdd(TOps.Broadcast(a4[r2]), b0, c6);
                c7 = TOps.MultiplyAdd(TOps.Broadcast(a4[r3]), b0, c7);
                a++;
                a4++;
                bp += ldb;
            }
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

    /// <summary>4 positions × 4 vectors (32 registers): 16 accumulators, 8 loads per 16 FMAs, for 64 or more channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x4(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint w = TOps.Count;
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TV c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TV c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            for (int p = 0; p < channels; p++)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w), b2 = TOps.Load(bp + (2 * w)), b3 = TOps.Load(bp + (3 * w));
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
                a++;
                bp += ldb;
            }
        }

        Put(c, c00, accumulate); Put(c + w, c01, accumulate); Put(c + (2 * w), c02, accumulate); Put(c + (3 * w), c03, accumulate);
        c += ldc;
        Put(c, c10, accumulate); Put(c + w, c11, accumulate); Put(c + (2 * w), c12, accumulate); Put(c + (3 * w), c13, accumulate);
        c += ldc;
        Put(c, c20, accumulate); Put(c + w, c21, accumulate); Put(c + (2 * w), c22, accumulate); Put(c + (3 * w), c23, accumulate);
        c += ldc;
        Put(c, c30, accumulate); Put(c + w, c31, accumulate); Put(c + (2 * w), c32, accumulate); Put(c + (3 * w), c33, accumulate);
    }

    /// <summary>2 positions × 4 vectors: 8 accumulators, 6 loads per 8 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x4(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TV c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            for (int p = 0; p < channels; p++)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w), b2 = TOps.Load(bp + (2 * w)), b3 = TOps.Load(bp + (3 * w));
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                c02 = TOps.MultiplyAdd(x, b2, c02); c03 = TOps.MultiplyAdd(x, b3, c03);
                x = TOps.Broadcast(a[rowStride]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                c12 = TOps.MultiplyAdd(x, b2, c12); c13 = TOps.MultiplyAdd(x, b3, c13);
                a++;
                bp += ldb;
            }
        }

        Put(c, c00, accumulate); Put(c + w, c01, accumulate); Put(c + (2 * w), c02, accumulate); Put(c + (3 * w), c03, accumulate);
        c += ldc;
        Put(c, c10, accumulate); Put(c + w, c11, accumulate); Put(c + (2 * w), c12, accumulate); Put(c + (3 * w), c13, accumulate);
    }

    /// <summary>1 position × 4 vectors, alternate channels in separate accumulators (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x4(ConvTap* taps, int tapCount, nint offset, int channels, float* b, nint ldb, float* c, bool accumulate)
    {
        nint w = TOps.Count;
        TV e0 = TOps.Zero, e1 = TOps.Zero, e2 = TOps.Zero, e3 = TOps.Zero;
        TV o0 = TOps.Zero, o1 = TOps.Zero, o2 = TOps.Zero, o3 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            int p = 0;
            for (; p + 1 < channels; p += 2)
            {
                TV x = TOps.Broadcast(a[0]);
                e0 = TOps.MultiplyAdd(x, TOps.Load(bp), e0);
                e1 = TOps.MultiplyAdd(x, TOps.Load(bp + w), e1);
                e2 = TOps.MultiplyAdd(x, TOps.Load(bp + (2 * w)), e2);
                e3 = TOps.MultiplyAdd(x, TOps.Load(bp + (3 * w)), e3);
                x = TOps.Broadcast(a[1]);
                float* bq = bp + ldb;
                o0 = TOps.MultiplyAdd(x, TOps.Load(bq), o0);
                o1 = TOps.MultiplyAdd(x, TOps.Load(bq + w), o1);
                o2 = TOps.MultiplyAdd(x, TOps.Load(bq + (2 * w)), o2);
                o3 = TOps.MultiplyAdd(x, TOps.Load(bq + (3 * w)), o3);
                a += 2;
                bp += 2 * ldb;
            }

            if (p < channels)
            {
                TV x = TOps.Broadcast(a[0]);
                e0 = TOps.MultiplyAdd(x, TOps.Load(bp), e0);
                e1 = TOps.MultiplyAdd(x, TOps.Load(bp + w), e1);
                e2 = TOps.MultiplyAdd(x, TOps.Load(bp + (2 * w)), e2);
                e3 = TOps.MultiplyAdd(x, TOps.Load(bp + (3 * w)), e3);
            }
        }

        Put(c, TOps.Add(e0, o0), accumulate);
        Put(c + w, TOps.Add(e1, o1), accumulate);
        Put(c + (2 * w), TOps.Add(e2, o2), accumulate);
        Put(c + (3 * w), TOps.Add(e3, o3), accumulate);
    }

    /// <summary>4 positions × 2 vectors: 8 accumulators (the widest tile 16 registers hold, for AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x2(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint w = TOps.Count;
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            for (int p = 0; p < channels; p++)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[rowStride]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                x = TOps.Broadcast(a[r2]);
                c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
                x = TOps.Broadcast(a[r3]);
                c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
                a++;
                bp += ldb;
            }
        }

        Put(c, c00, accumulate); Put(c + w, c01, accumulate);
        c += ldc;
        Put(c, c10, accumulate); Put(c + w, c11, accumulate);
        c += ldc;
        Put(c, c20, accumulate); Put(c + w, c21, accumulate);
        c += ldc;
        Put(c, c30, accumulate); Put(c + w, c31, accumulate);
    }

    /// <summary>4 positions × 1 vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x1(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint r2 = rowStride * 2, r3 = rowStride * 3;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            for (int p = 0; p < channels; p++)
            {
                TV b0 = TOps.Load(bp);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b0, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride]), b0, c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(a[r2]), b0, c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(a[r3]), b0, c3);
                a++;
                bp += ldb;
            }
        }

        Put(c, c0, accumulate);
        Put(c + ldc, c1, accumulate);
        Put(c + (2 * ldc), c2, accumulate);
        Put(c + (3 * ldc), c3, accumulate);
    }

    /// <summary>2 positions × 2 vectors, alternate channels in separate accumulators (8 chains), for row remainders.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x2(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        nint w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV d00 = TOps.Zero, d01 = TOps.Zero, d10 = TOps.Zero, d11 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            int p = 0;
            for (; p + 1 < channels; p += 2)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[rowStride]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                b0 = TOps.Load(bp + ldb);
                b1 = TOps.Load(bp + ldb + w);
                x = TOps.Broadcast(a[1]);
                d00 = TOps.MultiplyAdd(x, b0, d00); d01 = TOps.MultiplyAdd(x, b1, d01);
                x = TOps.Broadcast(a[rowStride + 1]);
                d10 = TOps.MultiplyAdd(x, b0, d10); d11 = TOps.MultiplyAdd(x, b1, d11);
                a += 2;
                bp += 2 * ldb;
            }

            if (p < channels)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[rowStride]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            }
        }

        Put(c, TOps.Add(c00, d00), accumulate); Put(c + w, TOps.Add(c01, d01), accumulate);
        c += ldc;
        Put(c, TOps.Add(c10, d10), accumulate); Put(c + w, TOps.Add(c11, d11), accumulate);
    }

    /// <summary>2 positions × 1 vector, alternate channels in separate accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x1(ConvTap* taps, int tapCount, nint offset, nint rowStride, int channels, float* b, nint ldb,
        float* c, nint ldc, bool accumulate)
    {
        TV c0 = TOps.Zero, c1 = TOps.Zero, d0 = TOps.Zero, d1 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            int p = 0;
            for (; p + 1 < channels; p += 2)
            {
                TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + ldb);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b0, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride]), b0, c1);
                d0 = TOps.MultiplyAdd(TOps.Broadcast(a[1]), b1, d0);
                d1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride + 1]), b1, d1);
                a += 2;
                bp += 2 * ldb;
            }

            if (p < channels)
            {
                TV b0 = TOps.Load(bp);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b0, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[rowStride]), b0, c1);
            }
        }

        Put(c, TOps.Add(c0, d0), accumulate);
        Put(c + ldc, TOps.Add(c1, d1), accumulate);
    }

    /// <summary>1 position × 2 vectors; alternate channels go to separate accumulators so FMAs do not wait on each other.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x2(ConvTap* taps, int tapCount, nint offset, int channels, float* b, nint ldb, float* c, bool accumulate)
    {
        nint w = TOps.Count;
        TV e0 = TOps.Zero, e1 = TOps.Zero, o0 = TOps.Zero, o1 = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            int p = 0;
            for (; p + 1 < channels; p += 2)
            {
                TV x = TOps.Broadcast(a[0]);
                e0 = TOps.MultiplyAdd(x, TOps.Load(bp), e0);
                e1 = TOps.MultiplyAdd(x, TOps.Load(bp + w), e1);
                x = TOps.Broadcast(a[1]);
                o0 = TOps.MultiplyAdd(x, TOps.Load(bp + ldb), o0);
                o1 = TOps.MultiplyAdd(x, TOps.Load(bp + ldb + w), o1);
                a += 2;
                bp += 2 * ldb;
            }

            if (p < channels)
            {
                TV x = TOps.Broadcast(a[0]);
                e0 = TOps.MultiplyAdd(x, TOps.Load(bp), e0);
                e1 = TOps.MultiplyAdd(x, TOps.Load(bp + w), e1);
            }
        }

        Put(c, TOps.Add(e0, o0), accumulate);
        Put(c + w, TOps.Add(e1, o1), accumulate);
    }

    /// <summary>1 position × 1 vector, alternate channels in separate accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x1(ConvTap* taps, int tapCount, nint offset, int channels, float* b, nint ldb, float* c, bool accumulate)
    {
        TV even = TOps.Zero, odd = TOps.Zero;
        for (int t = 0; t < tapCount; t++)
        {
            float* a = taps[t].A + offset;
            float* bp = b + (taps[t].B * ldb);
            int p = 0;
            for (; p + 1 < channels; p += 2)
            {
                even = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(bp), even);
                odd = TOps.MultiplyAdd(TOps.Broadcast(a[1]), TOps.Load(bp + ldb), odd);
                a += 2;
                bp += 2 * ldb;
            }

            if (p < channels)
            {
                even = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(bp), even);
            }
        }

        Put(c, TOps.Add(even, odd), accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, TV value, bool accumulate)
        => TOps.Store(c, accumulate ? TOps.Add(value, TOps.Load(c)) : value);
}
