using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// Keras 3's <c>BatchNormalization</c> over the last axis of a [rows, channels] block, rows being the batch times
/// every other axis: y = γ ⊙ (x − mean) / sqrt(variance + ε) + β. Training normalises with the rows' own mean and
/// (biased) variance and moves the moving statistics towards them; inference uses the moving statistics. An empty
/// γ or β stands for <c>scale=False</c> or <c>center=False</c> (γ = 1, β = 0). Backward accumulates (+=). Nothing is
/// allocated.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit] // the per-channel stack blocks are always written before they are read
public static class BatchNorm
{
    /// <summary>Channels processed at a time where per-channel working values live on the stack.</summary>
    private const int Block = 256;

    /// <summary>Training forward: normalises with the batch's statistics and updates the moving ones in place.</summary>
    /// <param name="x">[rows, channels].</param>
    /// <param name="gamma">[channels], or empty (scale off).</param>
    /// <param name="beta">[channels], or empty (center off).</param>
    /// <param name="movingMean">[channels], updated: moving · momentum + mean · (1 − momentum).</param>
    /// <param name="movingVariance">[channels], updated likewise with the batch variance.</param>
    /// <param name="y">[rows, channels], the output; must not overlap <paramref name="x"/>.</param>
    /// <param name="stats">2·channels floats for <see cref="Backward"/>: the batch mean, then 1 / sqrt(variance + ε).</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels (the last axis).</param>
    /// <param name="momentum">Keras's <c>momentum</c> (0.99 by default).</param>
    /// <param name="epsilon">Keras's <c>epsilon</c> (0.001 by default).</param>
    /// <param name="mask">[rows], Keras's mask of a masked sequence (1 kept), or empty: the statistics weigh the kept rows
    /// only, Σ m·x / (Σ m + 1e-7) and Σ m·(x − mean)² / (Σ m + 1e-7) as Keras's masked moments, and every row is
    /// normalised with them.</param>
    public static void ForwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> movingMean,
        Span<float> movingVariance, Span<float> y, Span<float> stats, int rows, int channels, float momentum, float epsilon,
        ReadOnlySpan<float> mask = default)
    {
        int count = Check(x.Length, gamma.Length, beta.Length, y.Length, "y", rows, channels);
        Need(movingMean.Length, channels, nameof(movingMean));
        Need(movingVariance.Length, channels, nameof(movingVariance));
        Need(stats.Length, 2L * channels, nameof(stats));
        gamma = gamma.IsEmpty ? gamma : gamma[..channels];
        beta = beta.IsEmpty ? beta : beta[..channels];
        x = x[..count];
        y = y[..count];
        Span<float> mean = stats[..channels], inverse = stats.Slice(channels, channels);
        movingMean = movingMean[..channels];
        movingVariance = movingVariance[..channels];
        Optional(mask.Length, rows, nameof(mask));

        mean.Clear();
        for (int r = 0; r < rows; r++)
        {
            if (mask.IsEmpty || mask[r] >= 0.5f)
            {
                TensorPrimitives.Add(mean, x.Slice(r * channels, channels), mean);
            }
        }

        // An empty batch has no statistics; Keras would produce NaN. Leave the moving statistics alone instead.
        float scale = rows == 0 ? 0f : mask.IsEmpty ? 1f / rows : 1f / (Kept(mask, rows) + KerasEpsilon);
        TensorPrimitives.Multiply(mean, scale, mean);

        // Two passes (mean first, then the squared deviations, kept in y for the last pass) stay accurate when the
        // mean is large against the spread.
        Span<float> variance = inverse;
        variance.Clear();
        for (int r = 0; r < rows; r++)
        {
            Span<float> yr = y.Slice(r * channels, channels);
            TensorPrimitives.Subtract(x.Slice(r * channels, channels), mean, yr);
            if (mask.IsEmpty || mask[r] >= 0.5f)
            {
                TensorPrimitives.MultiplyAdd(yr, yr, variance, variance);
            }
        }

        TensorPrimitives.Multiply(variance, scale, variance);
        if (rows > 0)
        {
            for (int c = 0; c < channels; c++)
            {
                movingMean[c] = (movingMean[c] * momentum) + (mean[c] * (1f - momentum));
                movingVariance[c] = (movingVariance[c] * momentum) + (variance[c] * (1f - momentum));
            }
        }

        for (int c = 0; c < channels; c++)
        {
            inverse[c] = 1f / MathF.Sqrt(variance[c] + epsilon);
        }

        for (int r = 0; r < rows; r++)
        {
            Span<float> yr = y.Slice(r * channels, channels);
            TensorPrimitives.Multiply(yr, inverse, yr);
            ScaleShift(yr, gamma, beta);
        }
    }

    /// <summary>Inference forward: normalises with the moving statistics.</summary>
    /// <param name="x">[rows, channels].</param>
    /// <param name="gamma">[channels], or empty (scale off).</param>
    /// <param name="beta">[channels], or empty (center off).</param>
    /// <param name="movingMean">[channels].</param>
    /// <param name="movingVariance">[channels].</param>
    /// <param name="y">[rows, channels], the output; may be <paramref name="x"/> itself.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels (the last axis).</param>
    /// <param name="epsilon">Keras's <c>epsilon</c>.</param>
    public static void ForwardInference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> movingMean,
        ReadOnlySpan<float> movingVariance, Span<float> y, int rows, int channels, float epsilon)
    {
        int count = Check(x.Length, gamma.Length, beta.Length, y.Length, "y", rows, channels);
        Need(movingMean.Length, channels, nameof(movingMean));
        Need(movingVariance.Length, channels, nameof(movingVariance));
        x = x[..count];
        y = y[..count];

        // y = x·a + s with a = γ / sqrt(var + ε) and s = β − mean·a, one block of channels at a time.
        Span<float> a = stackalloc float[Block], shift = stackalloc float[Block];
        for (int c0 = 0; c0 < channels; c0 += Block)
        {
            int n = Math.Min(Block, channels - c0);
            Span<float> an = a[..n], sn = shift[..n];
            for (int c = 0; c < n; c++)
            {
                float g = gamma.IsEmpty ? 1f : gamma[c0 + c];
                an[c] = g / MathF.Sqrt(movingVariance[c0 + c] + epsilon);
                sn[c] = (beta.IsEmpty ? 0f : beta[c0 + c]) - (movingMean[c0 + c] * an[c]);
            }

            for (int r = 0; r < rows; r++)
            {
                int offset = (r * channels) + c0;
                TensorPrimitives.FusedMultiplyAdd(x.Slice(offset, n), an, sn, y.Slice(offset, n));
            }
        }
    }

    /// <summary>
    /// Accumulates the input's gradient of <see cref="ForwardInference"/>: dx += dy · γ / √(moving variance + ε). What a
    /// frozen BatchNormalization (Keras 3: <c>trainable=False</c> runs in inference mode) passes back in a training step.
    /// </summary>
    /// <param name="gamma">[channels], or empty (scale off).</param>
    /// <param name="movingVariance">[channels].</param>
    /// <param name="dy">[rows, channels], the output's gradient.</param>
    /// <param name="dx">[rows, channels], accumulated into.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels (the last axis).</param>
    /// <param name="epsilon">Keras's <c>epsilon</c>.</param>
    public static void BackwardInference(ReadOnlySpan<float> gamma, ReadOnlySpan<float> movingVariance, ReadOnlySpan<float> dy, Span<float> dx,
        int rows, int channels, float epsilon)
    {
        int count = Check(dy.Length, gamma.Length, 0, dx.Length, "dx", rows, channels);
        Need(movingVariance.Length, channels, nameof(movingVariance));
        Span<float> a = stackalloc float[Block];
        for (int c0 = 0; c0 < channels; c0 += Block)
        {
            int n = Math.Min(Block, channels - c0);
            Span<float> an = a[..n];
            for (int c = 0; c < n; c++)
            {
                an[c] = (gamma.IsEmpty ? 1f : gamma[c0 + c]) / MathF.Sqrt(movingVariance[c0 + c] + epsilon);
            }

            for (int r = 0; r < rows && count > 0; r++)
            {
                int offset = (r * channels) + c0;
                Span<float> d = dx.Slice(offset, n);
                TensorPrimitives.MultiplyAdd(dy.Slice(offset, n), an, d, d);
            }
        }
    }

    /// <summary>Accumulates the gradients of <see cref="ForwardTraining"/>, through the batch statistics.</summary>
    /// <param name="x">[rows, channels], the forward input.</param>
    /// <param name="gamma">[channels], or empty (scale off).</param>
    /// <param name="stats">The statistics <see cref="ForwardTraining"/> wrote.</param>
    /// <param name="dy">[rows, channels], the output's gradient.</param>
    /// <param name="dx">[rows, channels], accumulated into, or empty to skip.</param>
    /// <param name="dGamma">[channels], accumulated into, or empty.</param>
    /// <param name="dBeta">[channels], accumulated into, or empty.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels (the last axis).</param>
    /// <param name="mask">The forward's mask, or empty.</param>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> stats, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dGamma, Span<float> dBeta, int rows, int channels, ReadOnlySpan<float> mask = default)
    {
        int count = Check(x.Length, gamma.Length, 0, dy.Length, "dy", rows, channels);
        Need(stats.Length, 2L * channels, nameof(stats));
        Optional(dx.Length, count, nameof(dx));
        Optional(dGamma.Length, channels, nameof(dGamma));
        Optional(dBeta.Length, channels, nameof(dBeta));
        if (rows == 0)
        {
            return;
        }

        // With x̂ = (x − mean)·inv: dβ = Σ dy, dγ = Σ dy ⊙ x̂, and
        // dx = γ·inv·(dy − Σ dy / N − x̂ · Σ(dy ⊙ x̂) / N), one block of channels at a time. With a mask the statistics
        // weigh row r by w_r = m_r / D (D = Σ m + 1e-7, W = Σ w): dx_r = γ·inv·(dy_r − w_r·Σ dy − w_r·Σ(dy ⊙ x̂)·(x̂_r − inv·mean·(1 − W))),
        // the last term from Σ w·(x − mean) = mean·(1 − W).
        Optional(mask.Length, rows, nameof(mask));
        Span<float> sumDy = stackalloc float[Block], sumDyXhat = stackalloc float[Block];
        Span<float> xhat = stackalloc float[Block], term = stackalloc float[Block], a = stackalloc float[Block], offsetTerm = stackalloc float[Block];
        float divisor = mask.IsEmpty ? rows : Kept(mask, rows) + KerasEpsilon, perRow = 1f / divisor;
        float outside = mask.IsEmpty ? 0f : 1f - (Kept(mask, rows) / divisor); // 1 − W
        for (int c0 = 0; c0 < channels; c0 += Block)
        {
            int n = Math.Min(Block, channels - c0);
            ReadOnlySpan<float> mean = stats.Slice(c0, n), inverse = stats.Slice(channels + c0, n);
            Span<float> s1 = sumDy[..n], s2 = sumDyXhat[..n], xh = xhat[..n], tm = term[..n], an = a[..n];
            s1.Clear();
            s2.Clear();
            for (int r = 0; r < rows; r++)
            {
                int offset = (r * channels) + c0;
                ReadOnlySpan<float> g = dy.Slice(offset, n);
                TensorPrimitives.Subtract(x.Slice(offset, n), mean, xh);
                TensorPrimitives.Multiply(xh, inverse, xh);
                TensorPrimitives.Add(s1, g, s1);
                TensorPrimitives.MultiplyAdd(g, xh, s2, s2);
            }

            if (!dBeta.IsEmpty)
            {
                TensorPrimitives.Add(dBeta.Slice(c0, n), s1, dBeta.Slice(c0, n));
            }

            if (!dGamma.IsEmpty)
            {
                TensorPrimitives.Add(dGamma.Slice(c0, n), s2, dGamma.Slice(c0, n));
            }

            if (dx.IsEmpty)
            {
                continue;
            }

            TensorPrimitives.Multiply(s1, perRow, s1);
            TensorPrimitives.Multiply(s2, perRow, s2);
            if (gamma.IsEmpty)
            {
                inverse.CopyTo(an);
            }
            else
            {
                TensorPrimitives.Multiply(gamma.Slice(c0, n), inverse, an);
            }

            if (!mask.IsEmpty)
            {
                // x̂ − inv·mean·(1 − W), the deviation the variance's gradient weighs with a mask.
                TensorPrimitives.Multiply(inverse, mean, offsetTerm[..n]);
                TensorPrimitives.Multiply(offsetTerm[..n], outside, offsetTerm[..n]);
            }

            for (int r = 0; r < rows; r++)
            {
                int offset = (r * channels) + c0;
                Span<float> d = dx.Slice(offset, n);
                if (!mask.IsEmpty && mask[r] < 0.5f)
                {
                    // A masked row is normalised but weighs nothing in the statistics: its gradient is γ·inv·dy.
                    TensorPrimitives.MultiplyAdd(dy.Slice(offset, n), an, d, d);
                    continue;
                }

                TensorPrimitives.Subtract(x.Slice(offset, n), mean, xh);
                TensorPrimitives.Multiply(xh, inverse, xh);
                if (!mask.IsEmpty)
                {
                    TensorPrimitives.Subtract(xh, offsetTerm[..n], xh);
                }

                TensorPrimitives.Multiply(xh, s2, tm);
                TensorPrimitives.Subtract(dy.Slice(offset, n), tm, tm);
                TensorPrimitives.Subtract(tm, s1, tm);
                TensorPrimitives.MultiplyAdd(tm, an, d, d);
            }
        }
    }

    /// <summary>Keras's <c>backend.epsilon()</c>, which its masked moments add to the kept count.</summary>
    private const float KerasEpsilon = 1e-7f;

    /// <summary>How many of the rows a mask keeps.</summary>
    private static float Kept(ReadOnlySpan<float> mask, int rows)
    {
        int kept = 0;
        for (int r = 0; r < rows; r++)
        {
            kept += mask[r] >= 0.5f ? 1 : 0;
        }

        return kept;
    }

    /// <summary>row = row ⊙ γ + β, each skipped when empty.</summary>
    private static void ScaleShift(Span<float> row, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta)
    {
        if (!gamma.IsEmpty && !beta.IsEmpty)
        {
            TensorPrimitives.FusedMultiplyAdd(row, gamma, beta, row);
        }
        else if (!gamma.IsEmpty)
        {
            TensorPrimitives.Multiply(row, gamma, row);
        }
        else if (!beta.IsEmpty)
        {
            TensorPrimitives.Add(row, beta, row);
        }
    }

    /// <summary>Checks the shared sizes and returns rows × channels.</summary>
    private static int Check(int xLength, int gammaLength, int betaLength, int yLength, string yName, int rows, int channels)
    {
        if (rows < 0 || channels < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"Sizes must not be negative (rows = {rows}, channels = {channels}).");
        }

        int count = checked(rows * channels);
        Need(xLength, count, "x");
        Need(yLength, count, yName);
        Optional(gammaLength, channels, "gamma");
        Optional(betaLength, channels, "beta");
        return count;
    }

    private static void Optional(int length, long required, string name)
    {
        if (length != 0)
        {
            Need(length, required, name);
        }
    }

    private static void Need(int length, long required, string name)
    {
        if (length < required)
        {
            throw new ArgumentException($"'{name}' needs {required} floats but holds {length}.", name);
        }
    }
}
