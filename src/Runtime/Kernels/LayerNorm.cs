using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unrolled.Kernels;

/// <summary>
/// Keras 3's <c>LayerNormalization</c> over one contiguous run of axes. The input is viewed as [outer, length, inner]
/// (row-major) and every (o, i) pair is normalised over its <c>length</c> values x[o, 0..length−1, i], with the
/// biased variance: y = (x − mean) / sqrt(variance + ε) · γ + β. γ and β hold <c>length</c> floats each, or are
/// empty for <c>scale=False</c> / <c>center=False</c>.
/// <para>
/// With <c>rms</c> (Keras's deprecated <c>rms_scaling=True</c>) the output is what Keras 3 computes, which is not
/// RMS normalisation: the input is divided by its standard deviation but not centred, y = x / sqrt(variance + ε) · γ,
/// the variance still being the centred one; there is no β (Keras does not create it).
/// </para>
/// <para>
/// The statistics buffer holds 2 · outer · inner floats in two planes indexed by g = o · inner + i: the means in
/// [0, outer · inner), then the inverse deviations 1 / sqrt(variance + ε) in [outer · inner, 2 · outer · inner). The
/// mean is stored with <c>rms</c> too, since the variance's gradient needs it. Backward accumulates (+=). Nothing is
/// allocated.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit] // the per-block stack arrays are always written before they are read
public static class LayerNorm
{
    /// <summary>Inner positions processed at a time by the general (inner &gt; 1) backward, whose sums live on the stack.</summary>
    private const int Block = 256;

    /// <summary>Normalises every (o, i) pair over its <paramref name="length"/> values.</summary>
    /// <param name="x">[outer, length, inner].</param>
    /// <param name="gamma">[length], or empty (scale off).</param>
    /// <param name="beta">[length], or empty (center off; always empty with <paramref name="rms"/>).</param>
    /// <param name="y">[outer, length, inner], the output; must not overlap <paramref name="x"/>.</param>
    /// <param name="statistics">2 · outer · inner floats for <see cref="Backward"/>: the means, then the inverse
    /// deviations 1 / sqrt(variance + ε), each plane indexed by o · inner + i.</param>
    /// <param name="outer">The product of the axes before the normalised ones (the batch included).</param>
    /// <param name="length">The product of the normalised axes.</param>
    /// <param name="inner">The product of the axes after the normalised ones (1 when they end the shape).</param>
    /// <param name="epsilon">Keras's <c>epsilon</c> (0.001 by default), added to the variance.</param>
    /// <param name="rms">Keras's <c>rms_scaling</c>: divide by sqrt(variance + ε) without centring, and no β.</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> statistics,
        int outer, int length, int inner, float epsilon, bool rms)
    {
        int groups = Check(x.Length, gamma.Length, beta.Length, y.Length, "y", outer, length, inner, rms);
        Exactly(statistics.Length, 2L * groups, nameof(statistics));
        Span<float> means = statistics[..groups], inverses = statistics.Slice(groups, groups);
        if (length == 0)
        {
            // Nothing to normalise; keep the statistics finite rather than 0 / 0.
            means.Clear();
            inverses.Fill(1f / MathF.Sqrt(epsilon));
            return;
        }

        if (inner == 1 && !rms && length % 16 == 0 && length <= 256 && Vector512.IsHardwareAccelerated)
        {
            int o = 0;
            for (; o + 8 <= outer; o += 8)
            {
                ForwardRows8(x.Slice(o * length, 8 * length), gamma, beta, y.Slice(o * length, 8 * length), means.Slice(o, 8), inverses.Slice(o, 8),
                    length, epsilon);
            }

            for (; o < outer; o++)
            {
                ForwardRow512(x.Slice(o * length, length), gamma, beta, y.Slice(o * length, length), out means[o], out inverses[o], epsilon);
            }
        }
        else if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                ForwardRow(x.Slice(o * length, length), gamma, beta, y.Slice(o * length, length), out means[o], out inverses[o], epsilon, rms);
            }
        }
        else
        {
            int block = length * inner;
            for (int o = 0; o < outer; o++)
            {
                ForwardStrided(x.Slice(o * block, block), gamma, beta, y.Slice(o * block, block), means.Slice(o * inner, inner),
                    inverses.Slice(o * inner, inner), length, inner, epsilon, rms);
            }
        }
    }

    /// <summary>Accumulates the gradients of <see cref="Forward"/>, through the mean and the variance.</summary>
    /// <param name="x">[outer, length, inner], the forward input.</param>
    /// <param name="gamma">[length], or empty (scale off).</param>
    /// <param name="statistics">The statistics <see cref="Forward"/> wrote.</param>
    /// <param name="dy">[outer, length, inner], the output's gradient.</param>
    /// <param name="dx">[outer, length, inner], accumulated into, or empty to skip the input's gradient.</param>
    /// <param name="dGamma">[length], accumulated into, or empty. Given with an empty <paramref name="gamma"/> it
    /// receives the gradient at γ = 1.</param>
    /// <param name="dBeta">[length], accumulated into, or empty; always empty with <paramref name="rms"/>.</param>
    /// <param name="outer">The product of the axes before the normalised ones (the batch included).</param>
    /// <param name="length">The product of the normalised axes.</param>
    /// <param name="inner">The product of the axes after the normalised ones.</param>
    /// <param name="rms">As given to <see cref="Forward"/>.</param>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> statistics, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dGamma, Span<float> dBeta, int outer, int length, int inner, bool rms)
    {
        int groups = Check(x.Length, gamma.Length, dBeta.Length, dy.Length, "dy", outer, length, inner, rms, betaName: nameof(dBeta));
        Exactly(statistics.Length, 2L * groups, nameof(statistics));
        Optional(dx.Length, x.Length, nameof(dx));
        Optional(dGamma.Length, length, nameof(dGamma));
        if (length == 0)
        {
            return;
        }

        ReadOnlySpan<float> means = statistics[..groups], inverses = statistics.Slice(groups, groups);
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                int offset = o * length;
                BackwardRow(x.Slice(offset, length), gamma, dy.Slice(offset, length), dx.IsEmpty ? dx : dx.Slice(offset, length),
                    dGamma, dBeta, means[o], inverses[o], rms);
            }
        }
        else
        {
            int block = length * inner;
            for (int o = 0; o < outer; o++)
            {
                int offset = o * block;
                BackwardStrided(x.Slice(offset, block), gamma, dy.Slice(offset, block), dx.IsEmpty ? dx : dx.Slice(offset, block),
                    dGamma, dBeta, means.Slice(o * inner, inner), inverses.Slice(o * inner, inner), length, inner, rms);
            }
        }
    }

    /// <summary>
    /// <see cref="ForwardRow"/> for a short row of whole 16-float vectors (a transformer's 32 to 256 features), in one
    /// method without library calls: five calls per row were most of the time on rows this short (8.2 µs for 200 rows
    /// of 32). The same operations in the same order per element; the sums add their vectors' lanes in another order
    /// than TensorPrimitives.Sum, so the mean and variance may differ from <see cref="ForwardRow"/>'s in the last bit.
    /// </summary>
    private static void ForwardRow512(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        out float mean, out float inverse, float epsilon)
    {
        int n = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var sum = Vector512<float>.Zero;
        for (int j = 0; j < n; j += 16)
        {
            sum += Vector512.LoadUnsafe(ref xr, (nuint)j);
        }

        mean = Vector512.Sum(sum) / n;
        var m = Vector512.Create(mean);
        var squares = Vector512<float>.Zero;
        for (int j = 0; j < n; j += 16)
        {
            var d = Vector512.LoadUnsafe(ref xr, (nuint)j) - m;
            squares += d * d;
        }

        inverse = 1f / MathF.Sqrt((Vector512.Sum(squares) / n) + epsilon);
        NormaliseRow512(ref xr, ref yr, n, mean, inverse, gamma, beta);
    }

    /// <summary>y = (x − mean)·γ·inverse + β over one row of whole 16-float vectors; γ and β may be empty (Forward checked
    /// that each holds a value per feature otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NormaliseRow512(ref float xr, ref float yr, int n, float mean, float inverse, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta)
    {
        var m = Vector512.Create(mean);
        var scale = Vector512.Create(inverse);
        bool hasGamma = !gamma.IsEmpty, hasBeta = !beta.IsEmpty;
        ref float gr = ref MemoryMarshal.GetReference(gamma);
        ref float br = ref MemoryMarshal.GetReference(beta);
        for (int j = 0; j < n; j += 16)
        {
            var d = Vector512.LoadUnsafe(ref xr, (nuint)j) - m;
            if (hasGamma)
            {
                d *= Vector512.LoadUnsafe(ref gr, (nuint)j);
            }

            d *= scale;
            if (hasBeta)
            {
                d += Vector512.LoadUnsafe(ref br, (nuint)j);
            }

            d.StoreUnsafe(ref yr, (nuint)j);
        }
    }

    /// <summary>
    /// Eight rows of <see cref="ForwardRow512"/>'s kind at once: each row's sum is folded to 8 lanes, and the eight rows'
    /// are reduced together by horizontal adds (9 instructions for 8 sums instead of a 4-level reduction each), so the
    /// means, variances and inverse deviations of the eight rows come out as one vector each. A row at a time, the
    /// reductions' and the square root's latencies ran one after the other: 200 rows of 32 took 3.4 µs.
    /// </summary>
    private static void ForwardRows8(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> means, Span<float> inverses, int n, float epsilon)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var count = Vector256.Create((float)n);
        var mean = Avx.Divide(Sums8(ref xr, n, default), count);
        var variance = Avx.Divide(Sums8(ref xr, n, mean, squares: true), count);
        var inverse = Avx.Divide(Vector256<float>.One, Avx.Sqrt(variance + Vector256.Create(epsilon)));
        mean.StoreUnsafe(ref MemoryMarshal.GetReference(means));
        inverse.StoreUnsafe(ref MemoryMarshal.GetReference(inverses));
        for (int r = 0; r < 8; r++)
        {
            NormaliseRow512(ref Unsafe.Add(ref xr, r * n), ref Unsafe.Add(ref yr, r * n), n, mean.GetElement(r), inverse.GetElement(r), gamma, beta);
        }
    }

    /// <summary>Σ x of each of eight rows of <paramref name="n"/> floats, or with <paramref name="squares"/> Σ (x − centre)²,
    /// as one vector.</summary>
    private static Vector256<float> Sums8(ref float x, int n, Vector256<float> centres, bool squares = false)
    {
        // Pairs of rows, then fours, within each 128-bit half; then the halves: lane r holds row r's sum.
        var h01 = Avx.HorizontalAdd(Fold(ref x, 0, n, centres, squares), Fold(ref x, 1, n, centres, squares));
        var h23 = Avx.HorizontalAdd(Fold(ref x, 2, n, centres, squares), Fold(ref x, 3, n, centres, squares));
        var h45 = Avx.HorizontalAdd(Fold(ref x, 4, n, centres, squares), Fold(ref x, 5, n, centres, squares));
        var h67 = Avx.HorizontalAdd(Fold(ref x, 6, n, centres, squares), Fold(ref x, 7, n, centres, squares));
        var h0123 = Avx.HorizontalAdd(h01, h23);
        var h4567 = Avx.HorizontalAdd(h45, h67);
        return Avx.Permute2x128(h0123, h4567, 0x20) + Avx.Permute2x128(h0123, h4567, 0x31);
    }

    /// <summary>Row <paramref name="r"/>'s sum (or centred squares) folded to 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(ref float x, int r, int n, Vector256<float> centres, bool squares)
    {
        var sum = Vector512<float>.Zero;
        nuint row = (nuint)(r * n);
        if (squares)
        {
            var c = Vector512.Create(centres.GetElement(r));
            for (int j = 0; j < n; j += 16)
            {
                var v = Vector512.LoadUnsafe(ref x, row + (nuint)j) - c;
                sum = Vector512.FusedMultiplyAdd(v, v, sum);
            }
        }
        else
        {
            for (int j = 0; j < n; j += 16)
            {
                sum += Vector512.LoadUnsafe(ref x, row + (nuint)j);
            }
        }

        return sum.GetLower() + sum.GetUpper();
    }

    /// <summary>One contiguous row (inner = 1): mean, then the centred squares (kept in y), then the output.</summary>
    private static void ForwardRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        out float mean, out float inverse, float epsilon, bool rms)
    {
        mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);
        inverse = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(y) / x.Length) + epsilon);
        if (rms)
        {
            TensorPrimitives.Multiply(x, inverse, y);
            if (!gamma.IsEmpty)
            {
                TensorPrimitives.Multiply(y, gamma, y);
            }

            return;
        }

        // y holds x − mean: scale by γ first, then one multiply-add applies the inverse deviation and β.
        if (!gamma.IsEmpty)
        {
            TensorPrimitives.Multiply(y, gamma, y);
        }

        if (beta.IsEmpty)
        {
            TensorPrimitives.Multiply(y, inverse, y);
        }
        else
        {
            TensorPrimitives.MultiplyAdd(y, inverse, beta, y);
        }
    }

    /// <summary>
    /// One outer index with inner &gt; 1: the block is [length, inner] and the statistics run along its rows, so every
    /// step works on whole rows of <c>inner</c> floats, the per-row γ and β being scalars.
    /// </summary>
    private static void ForwardStrided(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> inverse, int length, int inner, float epsilon, bool rms)
    {
        mean.Clear();
        for (int j = 0; j < length; j++)
        {
            TensorPrimitives.Add(mean, x.Slice(j * inner, inner), mean);
        }

        TensorPrimitives.Divide(mean, (float)length, mean);

        // The centred values go to y, the squares' sum to the inverse plane, which becomes 1 / sqrt(variance + ε).
        Span<float> variance = inverse;
        variance.Clear();
        for (int j = 0; j < length; j++)
        {
            Span<float> yj = y.Slice(j * inner, inner);
            TensorPrimitives.Subtract(x.Slice(j * inner, inner), mean, yj);
            TensorPrimitives.MultiplyAdd(yj, yj, variance, variance);
        }

        for (int i = 0; i < inner; i++)
        {
            inverse[i] = 1f / MathF.Sqrt((variance[i] / length) + epsilon);
        }

        for (int j = 0; j < length; j++)
        {
            Span<float> yj = y.Slice(j * inner, inner);
            TensorPrimitives.Multiply(rms ? x.Slice(j * inner, inner) : yj, inverse, yj);
            if (!gamma.IsEmpty)
            {
                TensorPrimitives.Multiply(yj, gamma[j], yj);
            }

            if (!beta.IsEmpty)
            {
                TensorPrimitives.Add(yj, beta[j], yj);
            }
        }
    }

    /// <summary>
    /// One contiguous row. With z = (x − shift)·inv the normalised output (shift = mean, or 0 with rms), x̂ = (x − mean)·inv
    /// and g = dy ⊙ γ: dβ += dy, dγ += dy ⊙ z, and dx += inv·(g − Σg / N − x̂ · Σ(g ⊙ z) / N), the Σg term only
    /// without rms (there the mean does not enter the output except through the variance).
    /// </summary>
    private static void BackwardRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> dy, Span<float> dx,
        Span<float> dGamma, Span<float> dBeta, float mean, float inverse, bool rms)
    {
        int n = x.Length, i = 0;
        bool scaled = !gamma.IsEmpty, wantGamma = !dGamma.IsEmpty;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(gamma);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float dgr = ref MemoryMarshal.GetReference(dGamma);
        float shift = rms ? 0f : mean;

        // The sums, and dγ on the way.
        var shiftV = new Vector<float>(shift);
        var inverseV = new Vector<float>(inverse);
        Vector<float> sumGv = Vector<float>.Zero, sumGzV = Vector<float>.Zero;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            var d = Vector.LoadUnsafe(ref dyr, (nuint)i);
            var z = (Vector.LoadUnsafe(ref xr, (nuint)i) - shiftV) * inverseV;
            var g = scaled ? d * Vector.LoadUnsafe(ref gr, (nuint)i) : d;
            sumGv += g;
            sumGzV += g * z;
            if (wantGamma)
            {
                (Vector.LoadUnsafe(ref dgr, (nuint)i) + (d * z)).StoreUnsafe(ref dgr, (nuint)i);
            }
        }

        float sumG = Vector.Sum(sumGv), sumGz = Vector.Sum(sumGzV);
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref dyr, i), z = (Unsafe.Add(ref xr, i) - shift) * inverse;
            float g = scaled ? d * Unsafe.Add(ref gr, i) : d;
            sumG += g;
            sumGz += g * z;
            if (wantGamma)
            {
                Unsafe.Add(ref dgr, i) += d * z;
            }
        }

        if (!dBeta.IsEmpty)
        {
            TensorPrimitives.Add(dBeta, dy, dBeta);
        }

        if (dx.IsEmpty)
        {
            return;
        }

        ref float dxr = ref MemoryMarshal.GetReference(dx);
        float offset = rms ? 0f : sumG / n, slope = sumGz / n;
        var meanV = new Vector<float>(mean);
        var offsetV = new Vector<float>(offset);
        var slopeV = new Vector<float>(slope);
        for (i = 0; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            var d = Vector.LoadUnsafe(ref dyr, (nuint)i);
            var g = scaled ? d * Vector.LoadUnsafe(ref gr, (nuint)i) : d;
            var xhat = (Vector.LoadUnsafe(ref xr, (nuint)i) - meanV) * inverseV;
            var term = g - offsetV - (xhat * slopeV);
            (Vector.LoadUnsafe(ref dxr, (nuint)i) + (term * inverseV)).StoreUnsafe(ref dxr, (nuint)i);
        }

        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref dyr, i);
            float g = scaled ? d * Unsafe.Add(ref gr, i) : d;
            float xhat = (Unsafe.Add(ref xr, i) - mean) * inverse;
            Unsafe.Add(ref dxr, i) += (g - offset - (xhat * slope)) * inverse;
        }
    }

    /// <summary>
    /// One outer index with inner &gt; 1, the same formulas as <see cref="BackwardRow"/> with the sums taken per inner
    /// position, a block of inner positions at a time; dγ_j and dβ_j sum over the inner positions of row j.
    /// </summary>
    private static void BackwardStrided(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> dy, Span<float> dx,
        Span<float> dGamma, Span<float> dBeta, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverse, int length, int inner, bool rms)
    {
        Span<float> sumG = stackalloc float[Block], sumGz = stackalloc float[Block];
        Span<float> z = stackalloc float[Block], g = stackalloc float[Block];
        float perRow = 1f / length;
        for (int i0 = 0; i0 < inner; i0 += Block)
        {
            int n = Math.Min(Block, inner - i0);
            ReadOnlySpan<float> mn = mean.Slice(i0, n), inv = inverse.Slice(i0, n);
            Span<float> s1 = sumG[..n], s2 = sumGz[..n], zn = z[..n], gn = g[..n];
            s1.Clear();
            s2.Clear();
            for (int j = 0; j < length; j++)
            {
                int offset = (j * inner) + i0;
                ReadOnlySpan<float> xj = x.Slice(offset, n), dyj = dy.Slice(offset, n);
                if (rms)
                {
                    TensorPrimitives.Multiply(xj, inv, zn);
                }
                else
                {
                    TensorPrimitives.Subtract(xj, mn, zn);
                    TensorPrimitives.Multiply(zn, inv, zn);
                }

                if (!dGamma.IsEmpty)
                {
                    dGamma[j] += TensorPrimitives.Dot(dyj, zn);
                }

                if (!dBeta.IsEmpty)
                {
                    dBeta[j] += TensorPrimitives.Sum(dyj);
                }

                if (!gamma.IsEmpty)
                {
                    TensorPrimitives.Multiply(dyj, gamma[j], gn);
                }

                ReadOnlySpan<float> gj = gamma.IsEmpty ? dyj : gn;

                TensorPrimitives.Add(s1, gj, s1);
                TensorPrimitives.MultiplyAdd(gj, zn, s2, s2);
            }

            if (dx.IsEmpty)
            {
                continue;
            }

            TensorPrimitives.Multiply(s1, perRow, s1);
            TensorPrimitives.Multiply(s2, perRow, s2);
            for (int j = 0; j < length; j++)
            {
                int offset = (j * inner) + i0;
                ReadOnlySpan<float> dyj = dy.Slice(offset, n);
                if (gamma.IsEmpty)
                {
                    dyj.CopyTo(gn);
                }
                else
                {
                    TensorPrimitives.Multiply(dyj, gamma[j], gn);
                }

                // zn = x̂ ⊙ mean(g ⊙ z); gn = g − zn (− mean(g)); dx += gn ⊙ inv.
                TensorPrimitives.Subtract(x.Slice(offset, n), mn, zn);
                TensorPrimitives.Multiply(zn, inv, zn);
                TensorPrimitives.Multiply(zn, s2, zn);
                TensorPrimitives.Subtract(gn, zn, gn);
                if (!rms)
                {
                    TensorPrimitives.Subtract(gn, s1, gn);
                }

                Span<float> dxj = dx.Slice(offset, n);
                TensorPrimitives.MultiplyAdd(gn, inv, dxj, dxj);
            }
        }
    }

    /// <summary>Checks the shared sizes and returns outer × inner, the number of normalised groups.</summary>
    private static int Check(int xLength, int gammaLength, int betaLength, int yLength, string yName, int outer, int length, int inner, bool rms,
        string betaName = "beta")
    {
        if (outer < 0 || length < 0 || inner < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outer),
                $"Sizes must not be negative (outer = {outer}, length = {length}, inner = {inner}).");
        }

        int count = checked(outer * length * inner);
        Exactly(xLength, count, "x");
        Exactly(yLength, count, yName);
        Optional(gammaLength, length, "gamma");
        if (rms && betaLength != 0)
        {
            throw new ArgumentException(
                $"'{betaName}' must be empty with rms scaling (Keras creates no beta then) but holds {betaLength} floats.", betaName);
        }

        Optional(betaLength, length, betaName);
        return checked(outer * inner);
    }

    private static void Optional(int length, long required, string name)
    {
        if (length != 0 && length != required)
        {
            throw new ArgumentException($"'{name}' must be empty or hold {required} floats, but holds {length}.", name);
        }
    }

    private static void Exactly(int length, long required, string name)
    {
        if (length != required)
        {
            throw new ArgumentException($"'{name}' must hold {required} floats but holds {length}.", name);
        }
    }
}
