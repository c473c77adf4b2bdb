using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>
/// The element-wise arithmetic of a recurrent cell, fused into one pass over a row's units: the gates' activations,
/// the new state and the output are computed while the row is in registers, instead of one library call (and one
/// pass over memory) per operation. With units as small as recurrent layers often have (32), the calls, not the
/// arithmetic, were most of a step's time.
/// </summary>
/// <remarks>σ(x) = 1 / (1 + e^−x) and tanh(x) = 1 − 2 / (e^2x + 1) (its series to x⁷ below 1/16, where that form
/// cancels), with the same formulas on every lane and in the scalar tail, so a unit's value does not depend on where it
/// falls in a vector.</remarks>
internal static class Gates
{
    /// <summary>
    /// One LSTM row: from z = (z_i, z_f, z_g, z_o) writes s = (i, f, g, o, c, h) with i, f, o = σ(·), g = tanh(z_g),
    /// c = f ⊙ c_prev + i ⊙ g and h = o ⊙ tanh(c).
    /// </summary>
    /// <param name="z">4·units pre-activations.</param>
    /// <param name="cPrevious">The previous cell state (units), or empty for the first step (a zero state).</param>
    /// <param name="s">6·units, written.</param>
    /// <param name="units">Units.</param>
    public static void Lstm(ReadOnlySpan<float> z, ReadOnlySpan<float> cPrevious, Span<float> s, int units)
    {
        if (z.Length < 4 * units || s.Length < 6 * units || (!cPrevious.IsEmpty && cPrevious.Length < units))
        {
            throw new ArgumentException($"An LSTM row of {units} units needs 4·units pre-activations, 6·units of state and no or units floats of previous cell state.");
        }

        nint u = units;
        bool first = cPrevious.IsEmpty;
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float cp = ref MemoryMarshal.GetReference(cPrevious);
        nint j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= u; j += 16)
            {
                var i = Sigmoid(Vector512.LoadUnsafe(ref zr, (nuint)j));
                var f = Sigmoid(Vector512.LoadUnsafe(ref zr, (nuint)(u + j)));
                var g = Tanh(Vector512.LoadUnsafe(ref zr, (nuint)((2 * u) + j)));
                var o = Sigmoid(Vector512.LoadUnsafe(ref zr, (nuint)((3 * u) + j)));
                var c = first ? i * g : Vector512.FusedMultiplyAdd(f, Vector512.LoadUnsafe(ref cp, (nuint)j), i * g);
                i.StoreUnsafe(ref sr, (nuint)j);
                f.StoreUnsafe(ref sr, (nuint)(u + j));
                g.StoreUnsafe(ref sr, (nuint)((2 * u) + j));
                o.StoreUnsafe(ref sr, (nuint)((3 * u) + j));
                c.StoreUnsafe(ref sr, (nuint)((4 * u) + j));
                (o * Tanh(c)).StoreUnsafe(ref sr, (nuint)((5 * u) + j));
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= u; j += 8)
            {
                var i = Sigmoid(Vector256.LoadUnsafe(ref zr, (nuint)j));
                var f = Sigmoid(Vector256.LoadUnsafe(ref zr, (nuint)(u + j)));
                var g = Tanh(Vector256.LoadUnsafe(ref zr, (nuint)((2 * u) + j)));
                var o = Sigmoid(Vector256.LoadUnsafe(ref zr, (nuint)((3 * u) + j)));
                var c = first ? i * g : Vector256.FusedMultiplyAdd(f, Vector256.LoadUnsafe(ref cp, (nuint)j), i * g);
                i.StoreUnsafe(ref sr, (nuint)j);
                f.StoreUnsafe(ref sr, (nuint)(u + j));
                g.StoreUnsafe(ref sr, (nuint)((2 * u) + j));
                o.StoreUnsafe(ref sr, (nuint)((3 * u) + j));
                c.StoreUnsafe(ref sr, (nuint)((4 * u) + j));
                (o * Tanh(c)).StoreUnsafe(ref sr, (nuint)((5 * u) + j));
            }
        }

        for (; j < u; j++)
        {
            float i = Sigmoid(z[(int)j]), f = Sigmoid(z[(int)(u + j)]), g = Tanh(z[(int)((2 * u) + j)]), o = Sigmoid(z[(int)((3 * u) + j)]);
            float c = first ? i * g : MathF.FusedMultiplyAdd(f, cPrevious[(int)j], i * g);
            s[(int)j] = i;
            s[(int)(u + j)] = f;
            s[(int)((2 * u) + j)] = g;
            s[(int)((3 * u) + j)] = o;
            s[(int)((4 * u) + j)] = c;
            s[(int)((5 * u) + j)] = o * Tanh(c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh(Vector512<float> x)
    {
        // 1 − 2 / (e^2x + 1) cancels near 0 (its absolute error, ~6e-8, is a large relative error there), so small
        // inputs take tanh's series to x⁷ instead, exact to rounding for |x| < 1/16.
        var wide = Vector512<float>.One - (Vector512.Create(2f) / (Vector512.Exp(x + x) + Vector512<float>.One));
        var x2 = x * x;
        var series = x * (Vector512<float>.One + (x2 * (Vector512.Create(-1f / 3) + (x2 * (Vector512.Create(2f / 15) + (x2 * Vector512.Create(-17f / 315)))))));
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(SeriesLimit)), series, wide);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tanh(Vector256<float> x)
    {
        var wide = Vector256<float>.One - (Vector256.Create(2f) / (Vector256.Exp(x + x) + Vector256<float>.One));
        var x2 = x * x;
        var series = x * (Vector256<float>.One + (x2 * (Vector256.Create(-1f / 3) + (x2 * (Vector256.Create(2f / 15) + (x2 * Vector256.Create(-17f / 315)))))));
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(SeriesLimit)), series, wide);
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private static float Tanh(float x)
    {
        if (MathF.Abs(x) < SeriesLimit)
        {
            float x2 = x * x;
            return x * (1f + (x2 * ((-1f / 3) + (x2 * ((2f / 15) + (x2 * (-17f / 315)))))));
        }

        return 1f - (2f / (MathF.Exp(x + x) + 1f));
    }

    /// <summary>Below this magnitude tanh is taken from its series (see the vector <c>Tanh</c>).</summary>
    private const float SeriesLimit = 0.0625f;
}
