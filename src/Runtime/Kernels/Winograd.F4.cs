using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>F(4×4, 3×3): 6×6 input tiles, 36 positions, interpolation points 0, ±1, ±2 and ∞:
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].</summary>
public static partial class Winograd
{
    /// <summary>Positions of a 6×6 input tile.</summary>
    private const int Positions4 = 36;

    /// <summary>U = G·g·Gᵀ for F(4×4, 3×3), [36, pairs], from the kernel's [9, pairs]; in double, since G's sixths and
    /// twenty-fourths are not exact in float.</summary>
    private static void TransformKernel4(ReadOnlySpan<float> kernel, Span<float> transformed, int pair)
    {
        Span<double> t = stackalloc double[18];
        Span<double> u = stackalloc double[6];
        for (int p = 0; p < pair; p++)
        {
            // t = G·g (6 × 3), a column of the kernel at a time.
            for (int j = 0; j < 3; j++)
            {
                Interpolate(kernel[(j * pair) + p], kernel[((3 + j) * pair) + p], kernel[((6 + j) * pair) + p], u);
                for (int i = 0; i < 6; i++)
                {
                    t[(3 * i) + j] = u[i];
                }
            }

            // U = t·Gᵀ (6 × 6), a row of t at a time.
            for (int i = 0; i < 6; i++)
            {
                Interpolate(t[3 * i], t[(3 * i) + 1], t[(3 * i) + 2], u);
                for (int j = 0; j < 6; j++)
                {
                    transformed[(((6 * i) + j) * pair) + p] = (float)u[j];
                }
            }
        }

        // G times one line of three taps.
        static void Interpolate(double g0, double g1, double g2, Span<double> u)
        {
            u[0] = g0 / 4;
            u[1] = -(g0 + g1 + g2) / 6;
            u[2] = -(g0 - g1 + g2) / 6;
            u[3] = (g0 / 24) + (g1 / 12) + (g2 / 6);
            u[4] = (g0 / 24) - (g1 / 12) + (g2 / 6);
            u[5] = g2;
        }
    }

    /// <summary>Bᵀ·d·B of the 6×6 input tile whose top-left output is (row, column) of <paramref name="image"/>, into tile
    /// <paramref name="index"/> of the block; <paramref name="tile"/> is 36 vectors of stack.</summary>
    private static unsafe void InputTile4(float* x, float* v, in ConvGeometry g, int image, int row, int column, int index, float* tile)
    {
        int cin = g.InChannels, top = row - g.PadTop, left = column - g.PadLeft;

        // The six rows' and six columns' offsets, or -1 where the tile hangs over the border (zero padding).
        Span<int> rows = stackalloc int[6];
        Span<int> columns = stackalloc int[6];
        for (int i = 0; i < 6; i++)
        {
            int r = top + i, c = left + i;
            rows[i] = r >= 0 && r < g.InHeight ? (((image * g.InHeight) + r) * g.InWidth) * cin : -1;
            columns[i] = c >= 0 && c < g.InWidth ? c * cin : -1;
        }

        float* destination = v + ((nint)index * Positions4 * cin);
        int channel = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            channel = InputChannels4<Avx512Ops, Vector512<float>>(x, rows, columns, destination, cin, channel, tile);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = InputChannels4<Avx2Ops, Vector256<float>>(x, rows, columns, destination, cin, channel, tile);
        }

        InputChannels4<ScalarOps, float>(x, rows, columns, destination, cin, channel, tile);
    }

    private static unsafe int InputChannels4<TOps, TV>(float* x, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, float* v, int channels,
        int channel, float* tile)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        int r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3], r4 = rows[4], r5 = rows[5];
        nint s = channels, w = TOps.Count;
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            // Bᵀ·d down each column into the stack tile ...
            for (int j = 0; j < 6; j++)
            {
                TV d0, d1, d2, d3, d4, d5;
                int c = columns[j];
                if (c < 0)
                {
                    d0 = d1 = d2 = d3 = d4 = d5 = TOps.Zero;
                }
                else
                {
                    float* p = x + c + channel;
                    d0 = Load<TOps, TV>(p, r0);
                    d1 = Load<TOps, TV>(p, r1);
                    d2 = Load<TOps, TV>(p, r2);
                    d3 = Load<TOps, TV>(p, r3);
                    d4 = Load<TOps, TV>(p, r4);
                    d5 = Load<TOps, TV>(p, r5);
                }

                Spread<TOps, TV>(d0, d1, d2, d3, d4, d5, tile + (j * w), 6 * w);
            }

            // ... then ·B along each row of it, each result to its position.
            for (int i = 0; i < 6; i++)
            {
                float* t = tile + (i * 6 * w);
                Spread<TOps, TV>(TOps.Load(t), TOps.Load(t + w), TOps.Load(t + (2 * w)), TOps.Load(t + (3 * w)), TOps.Load(t + (4 * w)),
                    TOps.Load(t + (5 * w)), v + (i * 6 * s) + channel, s);
            }
        }

        return channel;
    }

    /// <summary>Bᵀ times one line of six, stored <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Spread<TOps, TV>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, float* t, nint stride)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV four = TOps.Broadcast(4f), minusFour = TOps.Broadcast(-4f), minusFive = TOps.Broadcast(-5f);
        TV two = TOps.Broadcast(2f), minusTwo = TOps.Broadcast(-2f);
        TV sum34 = TOps.Add(d3, d4), sum12 = TOps.Add(d1, d2), less43 = TOps.Subtract(d4, d3), less12 = TOps.Subtract(d1, d2);
        TV less42 = TOps.Subtract(d4, d2), less31 = TOps.Subtract(d3, d1);
        TOps.Store(t, TOps.MultiplyAdd(four, d0, TOps.MultiplyAdd(minusFive, d2, d4)));
        TOps.Store(t + stride, TOps.MultiplyAdd(minusFour, sum12, sum34));
        TOps.Store(t + (2 * stride), TOps.MultiplyAdd(four, less12, less43));
        TOps.Store(t + (3 * stride), TOps.MultiplyAdd(two, less31, less42));
        TOps.Store(t + (4 * stride), TOps.MultiplyAdd(minusTwo, less31, less42));
        TOps.Store(t + (5 * stride), TOps.MultiplyAdd(four, d1, TOps.MultiplyAdd(minusFive, d3, d5)));
    }

    /// <summary>Aᵀ·m·A of tile <paramref name="index"/> plus the bias into the 4×4 outputs at (row, column) (those inside
    /// the output), and their ReLU into <paramref name="relu"/> unless it is null.</summary>
    private static unsafe void OutputTile4(float* m, float* z, float* relu, float* bias, in ConvGeometry g, int image, int row, int column, int index)
    {
        int cout = g.OutChannels;
        Span<int> at = stackalloc int[16];
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                at[(4 * r) + c] = row + r < g.OutHeight && column + c < g.OutWidth
                    ? (((image * g.OutHeight) + row + r) * g.OutWidth + column + c) * cout
                    : -1;
            }
        }

        float* source = m + ((nint)index * Positions4 * cout);
        int mode = relu == null ? 0 : relu == z ? 2 : 1;
        int channel = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            channel = OutputChannels4<Avx512Ops, Vector512<float>>(source, cout, at, z, relu, mode, bias, channel);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = OutputChannels4<Avx2Ops, Vector256<float>>(source, cout, at, z, relu, mode, bias, channel);
        }

        OutputChannels4<ScalarOps, float>(source, cout, at, z, relu, mode, bias, channel);
    }

    private static unsafe int OutputChannels4<TOps, TV>(float* m, int channels, ReadOnlySpan<int> at, float* z, float* relu, int mode,
        float* bias, int channel)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        nint s = channels;
        TV two = TOps.Broadcast(2f), four = TOps.Broadcast(4f), eight = TOps.Broadcast(8f);
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            // ·A along each row of m, the 24 results kept in registers (AVX-512 has 32) ...
            float* c = m + channel;
            Gather<TOps, TV>(c, s, two, four, eight, out TV q00, out TV q01, out TV q02, out TV q03);
            Gather<TOps, TV>(c + (6 * s), s, two, four, eight, out TV q10, out TV q11, out TV q12, out TV q13);
            Gather<TOps, TV>(c + (12 * s), s, two, four, eight, out TV q20, out TV q21, out TV q22, out TV q23);
            Gather<TOps, TV>(c + (18 * s), s, two, four, eight, out TV q30, out TV q31, out TV q32, out TV q33);
            Gather<TOps, TV>(c + (24 * s), s, two, four, eight, out TV q40, out TV q41, out TV q42, out TV q43);
            Gather<TOps, TV>(c + (30 * s), s, two, four, eight, out TV q50, out TV q51, out TV q52, out TV q53);

            // ... then Aᵀ· down each column, plus the bias.
            TV offset = bias != null ? TOps.Load(bias + channel) : TOps.Zero;
            OutputColumn4<TOps, TV>(q00, q10, q20, q30, q40, q50, two, four, eight, offset, at, 0, channel, z, relu, mode);
            OutputColumn4<TOps, TV>(q01, q11, q21, q31, q41, q51, two, four, eight, offset, at, 1, channel, z, relu, mode);
            OutputColumn4<TOps, TV>(q02, q12, q22, q32, q42, q52, two, four, eight, offset, at, 2, channel, z, relu, mode);
            OutputColumn4<TOps, TV>(q03, q13, q23, q33, q43, q53, two, four, eight, offset, at, 3, channel, z, relu, mode);
        }

        return channel;
    }

    /// <summary>One row of six positions from <paramref name="m"/> (<paramref name="s"/> apart) times A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather<TOps, TV>(float* m, nint s, TV two, TV four, TV eight, out TV y0, out TV y1, out TV y2, out TV y3)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV m0 = TOps.Load(m), m1 = TOps.Load(m + s), m2 = TOps.Load(m + (2 * s));
        TV m3 = TOps.Load(m + (3 * s)), m4 = TOps.Load(m + (4 * s)), m5 = TOps.Load(m + (5 * s));
        TV sum12 = TOps.Add(m1, m2), less12 = TOps.Subtract(m1, m2), sum34 = TOps.Add(m3, m4), less34 = TOps.Subtract(m3, m4);
        y0 = TOps.Add(TOps.Add(m0, sum12), sum34);
        y1 = TOps.MultiplyAdd(two, less34, less12);
        y2 = TOps.MultiplyAdd(four, sum34, sum12);
        y3 = TOps.Add(TOps.MultiplyAdd(eight, less34, less12), m5);
    }

    /// <summary>Aᵀ times one column of six, plus the bias, to output column <paramref name="column"/> of the tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputColumn4<TOps, TV>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, TV two, TV four, TV eight, TV offset,
        ReadOnlySpan<int> at, int column, int channel, float* z, float* relu, int mode)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV sum12 = TOps.Add(m1, m2), less12 = TOps.Subtract(m1, m2), sum34 = TOps.Add(m3, m4), less34 = TOps.Subtract(m3, m4);
        Put<TOps, TV>(TOps.Add(TOps.Add(TOps.Add(m0, sum12), sum34), offset), at[column], channel, z, relu, mode);
        Put<TOps, TV>(TOps.Add(TOps.MultiplyAdd(two, less34, less12), offset), at[4 + column], channel, z, relu, mode);
        Put<TOps, TV>(TOps.Add(TOps.MultiplyAdd(four, sum34, sum12), offset), at[8 + column], channel, z, relu, mode);
        Put<TOps, TV>(TOps.Add(TOps.Add(TOps.MultiplyAdd(eight, less34, less12), m5), offset), at[12 + column], channel, z, relu, mode);
    }
}
