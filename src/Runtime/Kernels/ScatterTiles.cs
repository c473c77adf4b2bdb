using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// Micro-kernels for a convolution's input gradient in scatter form (im2col's adjoint fused into the product): a tile
/// of output positions × a few vectors of one kernel row's (tap, input channel) columns sums over the filters in
/// registers, dcolumns[position, v] = Σ_o dy[position, o] · Kᵀ[o, v], then adds each vector onto the input pixel it
/// came from. Position i's output gradient is at <c>dy + i · ldy</c> (broadcast), the transposed kernel's columns at
/// <c>kt + j · width</c> with rows <c>ldk</c> apart, and vector j of position i goes to <c>dx[i] + shift + offset j</c> (offset 0 = 0, then o1, o2), so a tile's positions
/// may span output rows.
/// </summary>
/// <typeparam name="TOps">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
internal static unsafe class ScatterTiles<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    /// <summary>8 positions × 3 vectors (32 registers): 24 accumulators, 11 loads per 24 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x3(float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift, nint o1, nint o2)
    {
        nint w = TOps.Count, l2 = 2 * ldy, l3 = 3 * ldy;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c62 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c72 = TOps.Zero;
        float* d = dy, d4 = dy + (4 * ldy);
        for (int o = 0; o < filters; o++)
        {
            TV b0 = TOps.Load(kt), b1 = TOps.Load(kt + w), b2 = TOps.Load(kt + (2 * w));
            TV x = TOps.Broadcast(d[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01); c02 = TOps.MultiplyAdd(x, b2, c02);
            x = TOps.Broadcast(d[ldy]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11); c12 = TOps.MultiplyAdd(x, b2, c12);
            x = TOps.Broadcast(d[l2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21); c22 = TOps.MultiplyAdd(x, b2, c22);
            x = TOps.Broadcast(d[l3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31); c32 = TOps.MultiplyAdd(x, b2, c32);
            x = TOps.Broadcast(d4[0]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41); c42 = TOps.MultiplyAdd(x, b2, c42);
            x = TOps.Broadcast(d4[ldy]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51); c52 = TOps.MultiplyAdd(x, b2, c52);
            x = TOps.Broadcast(d4[l2]);
            c60 = TOps.MultiplyAdd(x, b0, c60); c61 = TOps.MultiplyAdd(x, b1, c61); c62 = TOps.MultiplyAdd(x, b2, c62);
            x = TOps.Broadcast(d4[l3]);
            c70 = TOps.MultiplyAdd(x, b0, c70); c71 = TOps.MultiplyAdd(x, b1, c71); c72 = TOps.MultiplyAdd(x, b2, c72);
            kt += ldk;
            d++;
            d4++;
        }

        Add(dx[0] + shift, c00); Add(dx[0] + shift + o1, c01); Add(dx[0] + shift + o2, c02);
        Add(dx[1] + shift, c10); Add(dx[1] + shift + o1, c11); Add(dx[1] + shift + o2, c12);
        Add(dx[2] + shift, c20); Add(dx[2] + shift + o1, c21); Add(dx[2] + shift + o2, c22);
        Add(dx[3] + shift, c30); Add(dx[3] + shift + o1, c31); Add(dx[3] + shift + o2, c32);
        Add(dx[4] + shift, c40); Add(dx[4] + shift + o1, c41); Add(dx[4] + shift + o2, c42);
        Add(dx[5] + shift, c50); Add(dx[5] + shift + o1, c51); Add(dx[5] + shift + o2, c52);
        Add(dx[6] + shift, c60); Add(dx[6] + shift + o1, c61); Add(dx[6] + shift + o2, c62);
        Add(dx[7] + shift, c70); Add(dx[7] + shift + o1, c71); Add(dx[7] + shift + o2, c72);
    }

    /// <summary>8 positions × 2 vectors: 16 accumulators, 10 loads per 16 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x2(float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift, nint o1)
    {
        nint w = TOps.Count, l2 = 2 * ldy, l3 = 3 * ldy;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        float* d = dy, d4 = dy + (4 * ldy);
        for (int o = 0; o < filters; o++)
        {
            TV b0 = TOps.Load(kt), b1 = TOps.Load(kt + w);
            TV x = TOps.Broadcast(d[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(d[ldy]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(d[l2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(d[l3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(d4[0]);
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(d4[ldy]);
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            x = TOps.Broadcast(d4[l2]);
            c60 = TOps.MultiplyAdd(x, b0, c60); c61 = TOps.MultiplyAdd(x, b1, c61);
            x = TOps.Broadcast(d4[l3]);
            c70 = TOps.MultiplyAdd(x, b0, c70); c71 = TOps.MultiplyAdd(x, b1, c71);
            kt += ldk;
            d++;
            d4++;
        }

        Add(dx[0] + shift, c00); Add(dx[0] + shift + o1, c01);
        Add(dx[1] + shift, c10); Add(dx[1] + shift + o1, c11);
        Add(dx[2] + shift, c20); Add(dx[2] + shift + o1, c21);
        Add(dx[3] + shift, c30); Add(dx[3] + shift + o1, c31);
        Add(dx[4] + shift, c40); Add(dx[4] + shift + o1, c41);
        Add(dx[5] + shift, c50); Add(dx[5] + shift + o1, c51);
        Add(dx[6] + shift, c60); Add(dx[6] + shift + o1, c61);
        Add(dx[7] + shift, c70); Add(dx[7] + shift + o1, c71);
    }

    /// <summary>8 positions × 1 vector: 8 chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x1(float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift)
    {
        nint l2 = 2 * ldy, l3 = 3 * ldy;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        float* d = dy, d4 = dy + (4 * ldy);
        for (int o = 0; o < filters; o++)
        {
            TV b = TOps.Load(kt);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(d[0]), b, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(d[ldy]), b, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(d[l2]), b, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(d[l3]), b, c3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(d4[0]), b, c4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(d4[ldy]), b, c5);
            c6 = TOps.MultiplyAdd(TOps.Broadcast(d4[l2]), b, c6);
            c7 = TOps.MultiplyAdd(TOps.Broadcast(d4[l3]), b, c7);
            kt += ldk;
            d++;
            d4++;
        }

        Add(dx[0] + shift, c0);
        Add(dx[1] + shift, c1);
        Add(dx[2] + shift, c2);
        Add(dx[3] + shift, c3);
        Add(dx[4] + shift, c4);
        Add(dx[5] + shift, c5);
        Add(dx[6] + shift, c6);
        Add(dx[7] + shift, c7);
    }

    /// <summary>4 positions × 3 vectors: 12 accumulators (what 16 registers hold with the operands).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x3(float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift, nint o1, nint o2)
    {
        nint w = TOps.Count, l2 = 2 * ldy, l3 = 3 * ldy;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        float* d = dy;
        for (int o = 0; o < filters; o++)
        {
            TV b0 = TOps.Load(kt), b1 = TOps.Load(kt + w), b2 = TOps.Load(kt + (2 * w));
            TV x = TOps.Broadcast(d[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01); c02 = TOps.MultiplyAdd(x, b2, c02);
            x = TOps.Broadcast(d[ldy]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11); c12 = TOps.MultiplyAdd(x, b2, c12);
            x = TOps.Broadcast(d[l2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21); c22 = TOps.MultiplyAdd(x, b2, c22);
            x = TOps.Broadcast(d[l3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31); c32 = TOps.MultiplyAdd(x, b2, c32);
            kt += ldk;
            d++;
        }

        Add(dx[0] + shift, c00); Add(dx[0] + shift + o1, c01); Add(dx[0] + shift + o2, c02);
        Add(dx[1] + shift, c10); Add(dx[1] + shift + o1, c11); Add(dx[1] + shift + o2, c12);
        Add(dx[2] + shift, c20); Add(dx[2] + shift + o1, c21); Add(dx[2] + shift + o2, c22);
        Add(dx[3] + shift, c30); Add(dx[3] + shift + o1, c31); Add(dx[3] + shift + o2, c32);
    }

    /// <summary>4 positions × 2 vectors: 8 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x2(float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift, nint o1)
    {
        nint w = TOps.Count, l2 = 2 * ldy, l3 = 3 * ldy;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        float* d = dy;
        for (int o = 0; o < filters; o++)
        {
            TV b0 = TOps.Load(kt), b1 = TOps.Load(kt + w);
            TV x = TOps.Broadcast(d[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(d[ldy]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(d[l2]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(d[l3]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            kt += ldk;
            d++;
        }

        Add(dx[0] + shift, c00); Add(dx[0] + shift + o1, c01);
        Add(dx[1] + shift, c10); Add(dx[1] + shift + o1, c11);
        Add(dx[2] + shift, c20); Add(dx[2] + shift + o1, c21);
        Add(dx[3] + shift, c30); Add(dx[3] + shift + o1, c31);
    }

    /// <summary>4 positions × 1 vector, even and odd filters in separate accumulators (8 chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x1(float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift)
    {
        nint l2 = 2 * ldy, l3 = 3 * ldy;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        TV e0 = TOps.Zero, e1 = TOps.Zero, e2 = TOps.Zero, e3 = TOps.Zero;
        float* d = dy;
        int o = 0;
        for (; o + 1 < filters; o += 2)
        {
            TV b = TOps.Load(kt);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(d[0]), b, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(d[ldy]), b, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(d[l2]), b, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(d[l3]), b, c3);
            b = TOps.Load(kt + ldk);
            e0 = TOps.MultiplyAdd(TOps.Broadcast(d[1]), b, e0);
            e1 = TOps.MultiplyAdd(TOps.Broadcast(d[ldy + 1]), b, e1);
            e2 = TOps.MultiplyAdd(TOps.Broadcast(d[l2 + 1]), b, e2);
            e3 = TOps.MultiplyAdd(TOps.Broadcast(d[l3 + 1]), b, e3);
            kt += 2 * ldk;
            d += 2;
        }

        if (o < filters)
        {
            TV b = TOps.Load(kt);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(d[0]), b, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(d[ldy]), b, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(d[l2]), b, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(d[l3]), b, c3);
        }

        Add(dx[0] + shift, TOps.Add(c0, e0));
        Add(dx[1] + shift, TOps.Add(c1, e1));
        Add(dx[2] + shift, TOps.Add(c2, e2));
        Add(dx[3] + shift, TOps.Add(c3, e3));
    }

    /// <summary>1 position × 2 vectors, even and odd filters in separate accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x2(float* kt, nint ldk, int filters, float* dy, float* dx, nint o1)
    {
        nint w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero, e0 = TOps.Zero, e1 = TOps.Zero;
        int o = 0;
        for (; o + 1 < filters; o += 2)
        {
            TV x = TOps.Broadcast(dy[o]);
            c0 = TOps.MultiplyAdd(x, TOps.Load(kt), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(kt + w), c1);
            x = TOps.Broadcast(dy[o + 1]);
            e0 = TOps.MultiplyAdd(x, TOps.Load(kt + ldk), e0);
            e1 = TOps.MultiplyAdd(x, TOps.Load(kt + ldk + w), e1);
            kt += 2 * ldk;
        }

        if (o < filters)
        {
            TV x = TOps.Broadcast(dy[o]);
            c0 = TOps.MultiplyAdd(x, TOps.Load(kt), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(kt + w), c1);
        }

        Add(dx, TOps.Add(c0, e0));
        Add(dx + o1, TOps.Add(c1, e1));
    }

    /// <summary>1 position × 1 vector, four filters at a time in separate accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x1(float* kt, nint ldk, int filters, float* dy, float* dx)
    {
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        int o = 0;
        for (; o + 3 < filters; o += 4)
        {
            c0 = TOps.MultiplyAdd(TOps.Broadcast(dy[o]), TOps.Load(kt), c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(dy[o + 1]), TOps.Load(kt + ldk), c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(dy[o + 2]), TOps.Load(kt + (2 * ldk)), c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(dy[o + 3]), TOps.Load(kt + (3 * ldk)), c3);
            kt += 4 * ldk;
        }

        for (; o < filters; o++)
        {
            c0 = TOps.MultiplyAdd(TOps.Broadcast(dy[o]), TOps.Load(kt), c0);
            kt += ldk;
        }

        Add(dx, TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* c, TV value) => TOps.Store(c, TOps.Add(value, TOps.Load(c)));
}
