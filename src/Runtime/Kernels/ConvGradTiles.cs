using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// One output row of a block for the kernel-gradient tiles: <see cref="X"/> points at the input that the row's first
/// position reads through patch row 0 (tap (0, 0), channel 0), <see cref="Dy"/> at the row's first output gradient.
/// </summary>
internal unsafe struct ConvGradRow
{
    public float* X;
    public float* Dy;
}

/// <summary>Whether a tile's patch rows lie at consecutive input floats (channels of one tap, or taps of one kernel row
/// with no dilation across), so their offsets are constants; otherwise they come from the offset table.</summary>
internal interface IGradRows
{
    static abstract bool Contiguous { get; }
}

/// <summary>Patch rows at consecutive floats.</summary>
internal readonly struct ContiguousRows : IGradRows
{
    public static bool Contiguous => true;
}

/// <summary>Patch rows anywhere in the window.</summary>
internal readonly struct TabledRows : IGradRows
{
    public static bool Contiguous => false;
}

/// <summary>
/// Implicit-GEMM micro-kernels for a convolution's kernel gradient, dK[p, o] += Σ x[position, p] · dy[position, o]:
/// a tile of patch rows p (a tap and input channel each) × a few vectors of output channels, its accumulators in
/// registers across every position of a block of output rows, so no patch matrix is built. Position i of a row reads
/// the input at <c>row.X + i · xStep + off[p]</c> (broadcast) and the output gradient at <c>row.Dy + co + i · ldy</c>
/// (whole vectors; the caller makes sure the last one is readable). The tile is then added into dK (leading dimension
/// <c>ldk</c>).
/// </summary>
/// <typeparam name="TOps">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
/// <typeparam name="TRows">Whether the tile's patch rows are consecutive floats.</typeparam>
internal static unsafe class ConvGradTiles<TOps, TV, TRows>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
    where TRows : IGradRows
{
    /// <summary>8 patch rows × 2 vectors (32 registers): 16 accumulators, 10 loads per 16 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x2(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk, nint ldk)
    {
        nint w = TOps.Count;
        nint o0 = off[0];
        nint o1 = TRows.Contiguous ? 1 : off[1] - o0, o2 = TRows.Contiguous ? 2 : off[2] - o0, o3 = TRows.Contiguous ? 3 : off[3] - o0;
        nint o4 = TRows.Contiguous ? 4 : off[4] - o0, o5 = TRows.Contiguous ? 5 : off[5] - o0, o6 = TRows.Contiguous ? 6 : off[6] - o0;
        nint o7 = TRows.Contiguous ? 7 : off[7] - o0;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + o0;
            float* d = rows[r].Dy + co;
            for (int i = 0; i < positions; i++)
            {
                TV b0 = TOps.Load(d), b1 = TOps.Load(d + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[o1]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                x = TOps.Broadcast(a[o2]);
                c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
                x = TOps.Broadcast(a[o3]);
                c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
                x = TOps.Broadcast(a[o4]);
                c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
                x = TOps.Broadcast(a[o5]);
                c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
                x = TOps.Broadcast(a[o6]);
                c60 = TOps.MultiplyAdd(x, b0, c60); c61 = TOps.MultiplyAdd(x, b1, c61);
                x = TOps.Broadcast(a[o7]);
                c70 = TOps.MultiplyAdd(x, b0, c70); c71 = TOps.MultiplyAdd(x, b1, c71);
                a += xStep;
                d += ldy;
            }
        }

        Add(dk, c00); Add(dk + w, c01);
        dk += ldk;
        Add(dk, c10); Add(dk + w, c11);
        dk += ldk;
        Add(dk, c20); Add(dk + w, c21);
        dk += ldk;
        Add(dk, c30); Add(dk + w, c31);
        dk += ldk;
        Add(dk, c40); Add(dk + w, c41);
        dk += ldk;
        Add(dk, c50); Add(dk + w, c51);
        dk += ldk;
        Add(dk, c60); Add(dk + w, c61);
        dk += ldk;
        Add(dk, c70); Add(dk + w, c71);
    }

    /// <summary>8 patch rows × 1 vector: 8 independent FMA chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x1(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk, nint ldk)
    {
        nint o0 = off[0];
        nint o1 = TRows.Contiguous ? 1 : off[1] - o0, o2 = TRows.Contiguous ? 2 : off[2] - o0, o3 = TRows.Contiguous ? 3 : off[3] - o0;
        nint o4 = TRows.Contiguous ? 4 : off[4] - o0, o5 = TRows.Contiguous ? 5 : off[5] - o0, o6 = TRows.Contiguous ? 6 : off[6] - o0;
        nint o7 = TRows.Contiguous ? 7 : off[7] - o0;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + o0;
            float* d = rows[r].Dy + co;
            for (int i = 0; i < positions; i++)
            {
                TV b = TOps.Load(d);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[o1]), b, c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(a[o2]), b, c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(a[o3]), b, c3);
                c4 = TOps.MultiplyAdd(TOps.Broadcast(a[o4]), b, c4);
                c5 = TOps.MultiplyAdd(TOps.Broadcast(a[o5]), b, c5);
                c6 = TOps.MultiplyAdd(TOps.Broadcast(a[o6]), b, c6);
                c7 = TOps.MultiplyAdd(TOps.Broadcast(a[o7]), b, c7);
                a += xStep;
                d += ldy;
            }
        }

        Add(dk, c0);
        Add(dk + ldk, c1);
        Add(dk + (2 * ldk), c2);
        Add(dk + (3 * ldk), c3);
        dk += 4 * ldk;
        Add(dk, c4);
        Add(dk + ldk, c5);
        Add(dk + (2 * ldk), c6);
        Add(dk + (3 * ldk), c7);
    }

    /// <summary>4 patch rows × 2 vectors: 8 accumulators (the widest tile 16 registers hold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x2(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk, nint ldk)
    {
        nint w = TOps.Count;
        nint o0 = off[0];
        nint o1 = TRows.Contiguous ? 1 : off[1] - o0, o2 = TRows.Contiguous ? 2 : off[2] - o0, o3 = TRows.Contiguous ? 3 : off[3] - o0;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + o0;
            float* d = rows[r].Dy + co;
            for (int i = 0; i < positions; i++)
            {
                TV b0 = TOps.Load(d), b1 = TOps.Load(d + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[o1]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                x = TOps.Broadcast(a[o2]);
                c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
                x = TOps.Broadcast(a[o3]);
                c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
                a += xStep;
                d += ldy;
            }
        }

        Add(dk, c00); Add(dk + w, c01);
        dk += ldk;
        Add(dk, c10); Add(dk + w, c11);
        dk += ldk;
        Add(dk, c20); Add(dk + w, c21);
        dk += ldk;
        Add(dk, c30); Add(dk + w, c31);
    }

    /// <summary>4 patch rows × 1 vector, even and odd positions in separate accumulators (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x1(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk, nint ldk)
    {
        nint o0 = off[0];
        nint o1 = TRows.Contiguous ? 1 : off[1] - o0, o2 = TRows.Contiguous ? 2 : off[2] - o0, o3 = TRows.Contiguous ? 3 : off[3] - o0;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV e0 = TOps.Zero, e1 = TOps.Zero, e2 = TOps.Zero, e3 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + o0;
            float* d = rows[r].Dy + co;
            int i = 0;
            for (; i + 1 < positions; i += 2)
            {
                TV b = TOps.Load(d);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[o1]), b, c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(a[o2]), b, c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(a[o3]), b, c3);
                float* a1 = a + xStep;
                b = TOps.Load(d + ldy);
                e0 = TOps.MultiplyAdd(TOps.Broadcast(a1[0]), b, e0);
                e1 = TOps.MultiplyAdd(TOps.Broadcast(a1[o1]), b, e1);
                e2 = TOps.MultiplyAdd(TOps.Broadcast(a1[o2]), b, e2);
                e3 = TOps.MultiplyAdd(TOps.Broadcast(a1[o3]), b, e3);
                a += 2 * xStep;
                d += 2 * ldy;
            }

            if (i < positions)
            {
                TV b = TOps.Load(d);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[o1]), b, c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(a[o2]), b, c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(a[o3]), b, c3);
            }
        }

        Add(dk, TOps.Add(c0, e0));
        Add(dk + ldk, TOps.Add(c1, e1));
        Add(dk + (2 * ldk), TOps.Add(c2, e2));
        Add(dk + (3 * ldk), TOps.Add(c3, e3));
    }

    /// <summary>2 patch rows × 2 vectors, even and odd positions in separate accumulators (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x2(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk, nint ldk)
    {
        nint w = TOps.Count;
        nint o0 = off[0];
        nint o1 = TRows.Contiguous ? 1 : off[1] - o0;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV e00 = TOps.Zero, e01 = TOps.Zero, e10 = TOps.Zero, e11 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + o0;
            float* d = rows[r].Dy + co;
            int i = 0;
            for (; i + 1 < positions; i += 2)
            {
                TV b0 = TOps.Load(d), b1 = TOps.Load(d + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[o1]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
                float* a1 = a + xStep;
                b0 = TOps.Load(d + ldy);
                b1 = TOps.Load(d + ldy + w);
                x = TOps.Broadcast(a1[0]);
                e00 = TOps.MultiplyAdd(x, b0, e00); e01 = TOps.MultiplyAdd(x, b1, e01);
                x = TOps.Broadcast(a1[o1]);
                e10 = TOps.MultiplyAdd(x, b0, e10); e11 = TOps.MultiplyAdd(x, b1, e11);
                a += 2 * xStep;
                d += 2 * ldy;
            }

            if (i < positions)
            {
                TV b0 = TOps.Load(d), b1 = TOps.Load(d + w);
                TV x = TOps.Broadcast(a[0]);
                c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
                x = TOps.Broadcast(a[o1]);
                c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            }
        }

        Add(dk, TOps.Add(c00, e00)); Add(dk + w, TOps.Add(c01, e01));
        dk += ldk;
        Add(dk, TOps.Add(c10, e10)); Add(dk + w, TOps.Add(c11, e11));
    }

    /// <summary>2 patch rows × 1 vector, four positions at a time in separate accumulators (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x1(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk, nint ldk)
    {
        nint o0 = off[0];
        nint o1 = TRows.Contiguous ? 1 : off[1] - o0;
        TV c0 = TOps.Zero, c1 = TOps.Zero, d0 = TOps.Zero, d1 = TOps.Zero;
        TV e0 = TOps.Zero, e1 = TOps.Zero, f0 = TOps.Zero, f1 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + o0;
            float* d = rows[r].Dy + co;
            int i = 0;
            for (; i + 3 < positions; i += 4)
            {
                TV b = TOps.Load(d);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[o1]), b, c1);
                float* a1 = a + xStep;
                b = TOps.Load(d + ldy);
                d0 = TOps.MultiplyAdd(TOps.Broadcast(a1[0]), b, d0);
                d1 = TOps.MultiplyAdd(TOps.Broadcast(a1[o1]), b, d1);
                a1 += xStep;
                b = TOps.Load(d + (2 * ldy));
                e0 = TOps.MultiplyAdd(TOps.Broadcast(a1[0]), b, e0);
                e1 = TOps.MultiplyAdd(TOps.Broadcast(a1[o1]), b, e1);
                a1 += xStep;
                b = TOps.Load(d + (3 * ldy));
                f0 = TOps.MultiplyAdd(TOps.Broadcast(a1[0]), b, f0);
                f1 = TOps.MultiplyAdd(TOps.Broadcast(a1[o1]), b, f1);
                a += 4 * xStep;
                d += 4 * ldy;
            }

            for (; i < positions; i++)
            {
                TV b = TOps.Load(d);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), b, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[o1]), b, c1);
                a += xStep;
                d += ldy;
            }
        }

        Add(dk, TOps.Add(TOps.Add(c0, d0), TOps.Add(e0, f0)));
        Add(dk + ldk, TOps.Add(TOps.Add(c1, d1), TOps.Add(e1, f1)));
    }

    /// <summary>1 patch row × 2 vectors, four positions at a time in separate accumulators (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x2(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk)
    {
        nint w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero, d0 = TOps.Zero, d1 = TOps.Zero;
        TV e0 = TOps.Zero, e1 = TOps.Zero, f0 = TOps.Zero, f1 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + off[0];
            float* d = rows[r].Dy + co;
            int i = 0;
            for (; i + 3 < positions; i += 4)
            {
                TV x = TOps.Broadcast(a[0]);
                c0 = TOps.MultiplyAdd(x, TOps.Load(d), c0);
                c1 = TOps.MultiplyAdd(x, TOps.Load(d + w), c1);
                x = TOps.Broadcast(a[xStep]);
                d0 = TOps.MultiplyAdd(x, TOps.Load(d + ldy), d0);
                d1 = TOps.MultiplyAdd(x, TOps.Load(d + ldy + w), d1);
                x = TOps.Broadcast(a[2 * xStep]);
                e0 = TOps.MultiplyAdd(x, TOps.Load(d + (2 * ldy)), e0);
                e1 = TOps.MultiplyAdd(x, TOps.Load(d + (2 * ldy) + w), e1);
                x = TOps.Broadcast(a[3 * xStep]);
                f0 = TOps.MultiplyAdd(x, TOps.Load(d + (3 * ldy)), f0);
                f1 = TOps.MultiplyAdd(x, TOps.Load(d + (3 * ldy) + w), f1);
                a += 4 * xStep;
                d += 4 * ldy;
            }

            for (; i < positions; i++)
            {
                TV x = TOps.Broadcast(a[0]);
                c0 = TOps.MultiplyAdd(x, TOps.Load(d), c0);
                c1 = TOps.MultiplyAdd(x, TOps.Load(d + w), c1);
                a += xStep;
                d += ldy;
            }
        }

        Add(dk, TOps.Add(TOps.Add(c0, d0), TOps.Add(e0, f0)));
        Add(dk + w, TOps.Add(TOps.Add(c1, d1), TOps.Add(e1, f1)));
    }

    /// <summary>1 patch row × 1 vector, eight positions at a time in separate accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x1(ConvGradRow* rows, int rowCount, int positions, nint xStep, nint ldy, nint co, int* off,
        float* dk)
    {
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int r = 0; r < rowCount; r++)
        {
            float* a = rows[r].X + off[0];
            float* d = rows[r].Dy + co;
            int i = 0;
            for (; i + 7 < positions; i += 8)
            {
                float* a4 = a + (4 * xStep);
                float* d4 = d + (4 * ldy);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(d), c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(a[xStep]), TOps.Load(d + ldy), c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(a[2 * xStep]), TOps.Load(d + (2 * ldy)), c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(a[3 * xStep]), TOps.Load(d + (3 * ldy)), c3);
                c4 = TOps.MultiplyAdd(TOps.Broadcast(a4[0]), TOps.Load(d4), c4);
                c5 = TOps.MultiplyAdd(TOps.Broadcast(a4[xStep]), TOps.Load(d4 + ldy), c5);
                c6 = TOps.MultiplyAdd(TOps.Broadcast(a4[2 * xStep]), TOps.Load(d4 + (2 * ldy)), c6);
                c7 = TOps.MultiplyAdd(TOps.Broadcast(a4[3 * xStep]), TOps.Load(d4 + (3 * ldy)), c7);
                a += 8 * xStep;
                d += 8 * ldy;
            }

            for (; i < positions; i++)
            {
                c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(d), c0);
                a += xStep;
                d += ldy;
            }
        }

        Add(dk, TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* c, TV value) => TOps.Store(c, TOps.Add(value, TOps.Load(c)));
}
