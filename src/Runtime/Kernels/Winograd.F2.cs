using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>F(2×2, 3×3): 4×4 input tiles, 16 positions, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
/// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1].</summary>
public static partial class Winograd
{
    /// <summary>Positions of a 4×4 input tile.</summary>
    private const int Positions2 = 16;

    /// <summary>U = G·g·Gᵀ for F(2×2, 3×3), [16, pairs], from the kernel's [9, pairs].</summary>
    private static void TransformKernel2(ReadOnlySpan<float> kernel, Span<float> transformed, int pair)
    {
        Span<float> g = stackalloc float[9];
        Span<float> t = stackalloc float[12];
        for (int p = 0; p < pair; p++)
        {
            for (int k = 0; k < 9; k++)
            {
                g[k] = kernel[(k * pair) + p];
            }

            // t = G·g (4 × 3), with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
            for (int j = 0; j < 3; j++)
            {
                float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                t[j] = g0;
                t[3 + j] = 0.5f * (g0 + g1 + g2);
                t[6 + j] = 0.5f * (g0 - g1 + g2);
                t[9 + j] = g2;
            }

            // U = t·Gᵀ (4 × 4).
            for (int i = 0; i < 4; i++)
            {
                float t0 = t[3 * i], t1 = t[(3 * i) + 1], t2 = t[(3 * i) + 2];
                transformed[(((4 * i) + 0) * pair) + p] = t0;
                transformed[(((4 * i) + 1) * pair) + p] = 0.5f * (t0 + t1 + t2);
                transformed[(((4 * i) + 2) * pair) + p] = 0.5f * (t0 - t1 + t2);
                transformed[(((4 * i) + 3) * pair) + p] = t2;
            }
        }
    }

    /// <summary>Bᵀ·d·B of the 4×4 input tile whose top-left output is (row, column) of <paramref name="image"/>, into tile
    /// <paramref name="index"/> of the block.</summary>
    private static unsafe void InputTile2(float* x, float* v, in ConvGeometry g, int image, int row, int column, int index)
    {
        int cin = g.InChannels, top = row - g.PadTop, left = column - g.PadLeft;
        float* destination = v + ((nint)index * Positions2 * cin);

        // The 16 input pixels' offsets, or -1 where the tile hangs over the border (zero padding).
        Span<int> at = stackalloc int[Positions2];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                int r = top + i, c = left + j;
                at[(4 * i) + j] = r >= 0 && r < g.InHeight && c >= 0 && c < g.InWidth
                    ? (((image * g.InHeight) + r) * g.InWidth + c) * cin
                    : -1;
            }
        }

        int channel = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            channel = InputChannels2<Avx512Ops, Vector512<float>>(x, at, destination, cin, channel, cin);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = InputChannels2<Avx2Ops, Vector256<float>>(x, at, destination, cin, channel, cin);
        }

        InputChannels2<ScalarOps, float>(x, at, destination, cin, channel, cin);
    }

    private static unsafe int InputChannels2<TOps, TV>(float* x, ReadOnlySpan<int> at, float* v, int stride, int channel, int channels)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        int a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5], a6 = at[6], a7 = at[7];
        int a8 = at[8], a9 = at[9], a10 = at[10], a11 = at[11], a12 = at[12], a13 = at[13], a14 = at[14], a15 = at[15];
        nint s = stride;
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            // Bᵀ·d down the columns, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1] ...
            float* c = x + channel;
            TV d0 = Load<TOps, TV>(c, a0), d1 = Load<TOps, TV>(c, a1), d2 = Load<TOps, TV>(c, a2), d3 = Load<TOps, TV>(c, a3);
            TV d4 = Load<TOps, TV>(c, a4), d5 = Load<TOps, TV>(c, a5), d6 = Load<TOps, TV>(c, a6), d7 = Load<TOps, TV>(c, a7);
            TV d8 = Load<TOps, TV>(c, a8), d9 = Load<TOps, TV>(c, a9), d10 = Load<TOps, TV>(c, a10), d11 = Load<TOps, TV>(c, a11);
            TV d12 = Load<TOps, TV>(c, a12), d13 = Load<TOps, TV>(c, a13), d14 = Load<TOps, TV>(c, a14), d15 = Load<TOps, TV>(c, a15);
            TV r00 = TOps.Subtract(d0, d8), r01 = TOps.Subtract(d1, d9), r02 = TOps.Subtract(d2, d10), r03 = TOps.Subtract(d3, d11);
            TV r10 = TOps.Add(d4, d8), r11 = TOps.Add(d5, d9), r12 = TOps.Add(d6, d10), r13 = TOps.Add(d7, d11);
            TV r20 = TOps.Subtract(d8, d4), r21 = TOps.Subtract(d9, d5), r22 = TOps.Subtract(d10, d6), r23 = TOps.Subtract(d11, d7);
            TV r30 = TOps.Subtract(d4, d12), r31 = TOps.Subtract(d5, d13), r32 = TOps.Subtract(d6, d14), r33 = TOps.Subtract(d7, d15);

            // ... then ·B along the rows, each result to its position.
            float* destination = v + channel;
            Row2<TOps, TV>(r00, r01, r02, r03, destination, s);
            Row2<TOps, TV>(r10, r11, r12, r13, destination + (4 * s), s);
            Row2<TOps, TV>(r20, r21, r22, r23, destination + (8 * s), s);
            Row2<TOps, TV>(r30, r31, r32, r33, destination + (12 * s), s);
        }

        return channel;
    }

    /// <summary>One row of Bᵀ·d times B: four positions, <paramref name="v"/> onwards, <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row2<TOps, TV>(TV c0, TV c1, TV c2, TV c3, float* v, nint stride)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TOps.Store(v, TOps.Subtract(c0, c2));
        TOps.Store(v + stride, TOps.Add(c1, c2));
        TOps.Store(v + (2 * stride), TOps.Subtract(c2, c1));
        TOps.Store(v + (3 * stride), TOps.Subtract(c1, c3));
    }

    /// <summary>F(2×2, 3×3) for the shared block loop: 4×4 input tiles, 2×2 output tiles.</summary>
    private readonly unsafe struct Tile2 : ITile
    {
        public static int Size => 2;

        public static void Output<TOutput>(float* m, int channels, float* corner, nint rowStride, nint relu, float* bias)
            where TOutput : IOutput
        {
            int channel = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                channel = OutputChannels2<Avx512Ops, Vector512<float>, TOutput>(m, channels, corner, rowStride, relu, bias, channel);
            }

            if (Vector256.IsHardwareAccelerated)
            {
                channel = OutputChannels2<Avx2Ops, Vector256<float>, TOutput>(m, channels, corner, rowStride, relu, bias, channel);
            }

            OutputChannels2<ScalarOps, float, TOutput>(m, channels, corner, rowStride, relu, bias, channel);
        }
    }

    private static unsafe int OutputChannels2<TOps, TV, TOutput>(float* m, int channels, float* corner, nint rowStride, nint relu, float* bias,
        int channel)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
        where TOutput : IOutput
    {
        nint s = channels;
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            // Aᵀ·m down the columns, Aᵀ = [1 1 1 0; 0 1 −1 −1] ...
            float* c = m + channel;
            var (u0, w0) = Column2<TOps, TV>(c, s);
            var (u1, w1) = Column2<TOps, TV>(c + s, s);
            var (u2, w2) = Column2<TOps, TV>(c + (2 * s), s);
            var (u3, w3) = Column2<TOps, TV>(c + (3 * s), s);

            // ... then ·A along the rows, plus the bias.
            TV offset = bias != null ? TOps.Load(bias + channel) : TOps.Zero;
            float* o = corner + channel;
            TOutput.Put<TOps, TV>(TOps.Add(TOps.Add(TOps.Add(u0, u1), u2), offset), o, relu);
            TOutput.Put<TOps, TV>(TOps.Add(TOps.Subtract(TOps.Subtract(u1, u2), u3), offset), o + s, relu);
            TOutput.Put<TOps, TV>(TOps.Add(TOps.Add(TOps.Add(w0, w1), w2), offset), o + rowStride, relu);
            TOutput.Put<TOps, TV>(TOps.Add(TOps.Subtract(TOps.Subtract(w1, w2), w3), offset), o + rowStride + s, relu);
        }

        return channel;
    }

    /// <summary>A column of Aᵀ·m, from its first position <paramref name="m"/>: (m0j + m1j + m2j, m1j − m2j − m3j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (TV Top, TV Bottom) Column2<TOps, TV>(float* m, nint stride)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV m0 = TOps.Load(m), m1 = TOps.Load(m + (4 * stride)), m2 = TOps.Load(m + (8 * stride)), m3 = TOps.Load(m + (12 * stride));
        return (TOps.Add(TOps.Add(m0, m1), m2), TOps.Subtract(TOps.Subtract(m1, m2), m3));
    }
}
