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
    /// <paramref name="index"/> of the block.</summary>
    private static unsafe void InputTile4(float* x, float* v, in ConvGeometry g, int image, int row, int column, int index)
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
            channel = InputChannels4<Avx512Ops, Vector512<float>>(x, rows, columns, destination, cin, channel);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = InputChannels4<Avx2Ops, Vector256<float>>(x, rows, columns, destination, cin, channel);
        }

        InputChannels4<ScalarOps, float>(x, rows, columns, destination, cin, channel);
    }

    /// <summary>
    /// The tile's channels from <paramref name="channel"/> on, a vector at a time. d·B along the rows first, in two halves
    /// of three columns each (the left half reads columns 0–4, the right 1–5), so that a half's 18 products stay in
    /// registers for Bᵀ· down its columns: the input is read twice from L1 instead of the whole tile going through a
    /// stack tile and back (36 more stores), which measured 4–7 % faster on the conv encoder's 26×26×16 → 32.
    /// </summary>
    private static unsafe int InputChannels4<TOps, TV>(float* x, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, float* v, int channels,
        int channel)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        int c0 = columns[0], c1 = columns[1], c2 = columns[2], c3 = columns[3], c4 = columns[4], c5 = columns[5];
        nint s = channels, down = 6 * s;
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            float* d0 = Row(x, rows[0], channel), d1 = Row(x, rows[1], channel), d2 = Row(x, rows[2], channel);
            float* d3 = Row(x, rows[3], channel), d4 = Row(x, rows[4], channel), d5 = Row(x, rows[5], channel);
            float* o = v + channel;
            Left<TOps, TV>(d0, c0, c1, c2, c3, c4, out TV p00, out TV p01, out TV p02);
            Left<TOps, TV>(d1, c0, c1, c2, c3, c4, out TV p10, out TV p11, out TV p12);
            Left<TOps, TV>(d2, c0, c1, c2, c3, c4, out TV p20, out TV p21, out TV p22);
            Left<TOps, TV>(d3, c0, c1, c2, c3, c4, out TV p30, out TV p31, out TV p32);
            Left<TOps, TV>(d4, c0, c1, c2, c3, c4, out TV p40, out TV p41, out TV p42);
            Left<TOps, TV>(d5, c0, c1, c2, c3, c4, out TV p50, out TV p51, out TV p52);
            Spread<TOps, TV>(p00, p10, p20, p30, p40, p50, o, down);
            Spread<TOps, TV>(p01, p11, p21, p31, p41, p51, o + s, down);
            Spread<TOps, TV>(p02, p12, p22, p32, p42, p52, o + (2 * s), down);
            Right<TOps, TV>(d0, c1, c2, c3, c4, c5, out p00, out p01, out p02);
            Right<TOps, TV>(d1, c1, c2, c3, c4, c5, out p10, out p11, out p12);
            Right<TOps, TV>(d2, c1, c2, c3, c4, c5, out p20, out p21, out p22);
            Right<TOps, TV>(d3, c1, c2, c3, c4, c5, out p30, out p31, out p32);
            Right<TOps, TV>(d4, c1, c2, c3, c4, c5, out p40, out p41, out p42);
            Right<TOps, TV>(d5, c1, c2, c3, c4, c5, out p50, out p51, out p52);
            Spread<TOps, TV>(p00, p10, p20, p30, p40, p50, o + (3 * s), down);
            Spread<TOps, TV>(p01, p11, p21, p31, p41, p51, o + (4 * s), down);
            Spread<TOps, TV>(p02, p12, p22, p32, p42, p52, o + (5 * s), down);
        }

        return channel;
    }

    /// <summary>The channels of an input row from <paramref name="channel"/>, or null for a row outside the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float* Row(float* x, int offset, int channel) => offset < 0 ? null : x + offset + channel;

    /// <summary>The vector at <paramref name="column"/> of <paramref name="row"/>, or zeros outside the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TV At<TOps, TV>(float* row, int column)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
        => row == null || column < 0 ? TOps.Zero : TOps.Load(row + column);

    /// <summary>Columns 0–2 of one input row times B (rows 0–2 of Bᵀ applied along it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Left<TOps, TV>(float* row, int c0, int c1, int c2, int c3, int c4, out TV p0, out TV p1, out TV p2)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV d0 = At<TOps, TV>(row, c0), d1 = At<TOps, TV>(row, c1), d2 = At<TOps, TV>(row, c2), d3 = At<TOps, TV>(row, c3), d4 = At<TOps, TV>(row, c4);
        p0 = TOps.MultiplyAdd(TOps.Broadcast(4f), d0, TOps.MultiplyAdd(TOps.Broadcast(-5f), d2, d4));
        p1 = TOps.MultiplyAdd(TOps.Broadcast(-4f), TOps.Add(d1, d2), TOps.Add(d3, d4));
        p2 = TOps.MultiplyAdd(TOps.Broadcast(4f), TOps.Subtract(d1, d2), TOps.Subtract(d4, d3));
    }

    /// <summary>Columns 3–5 of one input row times B (rows 3–5 of Bᵀ applied along it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Right<TOps, TV>(float* row, int c1, int c2, int c3, int c4, int c5, out TV p3, out TV p4, out TV p5)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV d1 = At<TOps, TV>(row, c1), d2 = At<TOps, TV>(row, c2), d3 = At<TOps, TV>(row, c3), d4 = At<TOps, TV>(row, c4), d5 = At<TOps, TV>(row, c5);
        TV less42 = TOps.Subtract(d4, d2), less31 = TOps.Subtract(d3, d1);
        p3 = TOps.MultiplyAdd(TOps.Broadcast(2f), less31, less42);
        p4 = TOps.MultiplyAdd(TOps.Broadcast(-2f), less31, less42);
        p5 = TOps.MultiplyAdd(TOps.Broadcast(4f), d1, TOps.MultiplyAdd(TOps.Broadcast(-5f), d3, d5));
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

    /// <summary>F(4×4, 3×3) for the shared block loop: 6×6 input tiles, 4×4 output tiles.</summary>
    private readonly unsafe struct Tile4 : ITile
    {
        public static int Size => 4;

        public static void Output<TOutput>(float* m, int channels, float* corner, nint rowStride, nint relu, float* bias)
            where TOutput : IOutput
            => OutputChannels4<TOutput>(m, channels, corner, rowStride, relu, bias);
    }

    private static unsafe void OutputChannels4<TOutput>(float* m, int channels, float* corner, nint rowStride, nint relu, float* bias)
        where TOutput : IOutput
    {
        int channel = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            channel = OutputChannels4<Avx512Ops, Vector512<float>, TOutput>(m, channels, corner, rowStride, relu, bias, channel);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = OutputChannels4<Avx2Ops, Vector256<float>, TOutput>(m, channels, corner, rowStride, relu, bias, channel);
        }

        OutputChannels4<ScalarOps, float, TOutput>(m, channels, corner, rowStride, relu, bias, channel);
    }

    private static unsafe int OutputChannels4<TOps, TV, TOutput>(float* m, int channels, float* corner, nint rowStride, nint relu, float* bias,
        int channel)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
        where TOutput : IOutput
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
            float* o = corner + channel;
            OutputColumn4<TOps, TV, TOutput>(q00, q10, q20, q30, q40, q50, two, four, eight, offset, o, rowStride, relu);
            OutputColumn4<TOps, TV, TOutput>(q01, q11, q21, q31, q41, q51, two, four, eight, offset, o + s, rowStride, relu);
            OutputColumn4<TOps, TV, TOutput>(q02, q12, q22, q32, q42, q52, two, four, eight, offset, o + (2 * s), rowStride, relu);
            OutputColumn4<TOps, TV, TOutput>(q03, q13, q23, q33, q43, q53, two, four, eight, offset, o + (3 * s), rowStride, relu);
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

    /// <summary>Aᵀ times one column of six, plus the bias, down the output column at <paramref name="o"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputColumn4<TOps, TV, TOutput>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, TV two, TV four, TV eight, TV offset,
        float* o, nint rowStride, nint relu)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
        where TOutput : IOutput
    {
        TV sum12 = TOps.Add(m1, m2), less12 = TOps.Subtract(m1, m2), sum34 = TOps.Add(m3, m4), less34 = TOps.Subtract(m3, m4);
        TOutput.Put<TOps, TV>(TOps.Add(TOps.Add(TOps.Add(m0, sum12), sum34), offset), o, relu);
        TOutput.Put<TOps, TV>(TOps.Add(TOps.MultiplyAdd(two, less34, less12), offset), o + rowStride, relu);
        TOutput.Put<TOps, TV>(TOps.Add(TOps.MultiplyAdd(four, sum34, sum12), offset), o + (2 * rowStride), relu);
        TOutput.Put<TOps, TV>(TOps.Add(TOps.Add(TOps.MultiplyAdd(eight, less34, less12), m5), offset), o + (3 * rowStride), relu);
    }
}
