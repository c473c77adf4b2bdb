using System;

namespace Unrolled;

/// <summary>
/// Keras's <c>BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits, label_smoothing)</c>: the binary
/// cross-entropy of each element times (1 − p_t)^γ, p_t = t·p + (1 − t)·(1 − p), which lets easy examples count less;
/// with class balancing also times α for positives and 1 − α for negatives; averaged over the last axis.
/// </summary>
public sealed class BinaryFocalCrossentropy : Loss
{
    /// <summary>Creates the loss with Keras's defaults.</summary>
    /// <param name="applyClassBalancing">Whether positives weigh α and negatives 1 − α.</param>
    /// <param name="alpha">The positives' weight with class balancing, in [0, 1].</param>
    /// <param name="gamma">The focusing exponent, ≥ 0 (0 is the binary cross-entropy).</param>
    /// <param name="fromLogits">True when the output is a logit rather than a probability.</param>
    /// <param name="labelSmoothing">In [0, 1]: targets squeezed towards 0.5, t·(1 − s) + s/2.</param>
    public BinaryFocalCrossentropy(bool applyClassBalancing = false, float alpha = 0.25f, float gamma = 2f, bool fromLogits = false,
        float labelSmoothing = 0f)
    {
        ApplyClassBalancing = applyClassBalancing;
        Alpha = alpha >= 0 && alpha <= 1 ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in [0, 1].");
        Gamma = gamma >= 0 && float.IsFinite(gamma) ? gamma : throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and ≥ 0.");
        FromLogits = fromLogits;
        LabelSmoothing = CrossEntropy.CheckSmoothing(labelSmoothing);
    }

    /// <summary>Whether positives weigh α and negatives 1 − α.</summary>
    public bool ApplyClassBalancing { get; }

    /// <summary>The positives' weight with class balancing.</summary>
    public float Alpha { get; }

    /// <summary>The focusing exponent.</summary>
    public float Gamma { get; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The label smoothing.</summary>
    public float LabelSmoothing { get; }

    /// <inheritdoc/>
    public override string Name => "binary_focal_crossentropy";

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        int count = rows * cols;
        double factor = (double)scale / count, gamma = Gamma, s = LabelSmoothing;
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            double t = (targets[i] * (1 - s)) + (0.5 * s);
            double z = predictions[i];
            double p = FromLogits ? 1 / (1 + Math.Exp(-z)) : z;

            // Keras's binary_crossentropy on probabilities: p clipped to [ε, 1 − ε] (no gradient where the clip holds).
            double pc = Math.Clamp(p, Epsilon, CrossEntropy.OneMinusEpsilon);
            bool inside = p >= Epsilon && p <= CrossEntropy.OneMinusEpsilon;
            double bce = -((t * Math.Log(pc)) + ((1 - t) * Math.Log(1 - pc)));
            double dBce = inside ? -((t / pc) - ((1 - t) / (1 - pc))) : 0;
            double pt = (t * p) + ((1 - t) * (1 - p));
            double focal = Math.Pow(1 - pt, gamma);
            double dFocal = gamma == 0 ? 0 : -gamma * Math.Pow(1 - pt, gamma - 1) * ((2 * t) - 1);
            double weight = ApplyClassBalancing ? (t * Alpha) + ((1 - t) * (1 - Alpha)) : 1;
            sum += weight * focal * bce;
            if (!gradient.IsEmpty)
            {
                double dp = weight * ((dFocal * bce) + (focal * dBce));
                gradient[i] = (float)((FromLogits ? dp * p * (1 - p) : dp) * factor);
            }
        }

        return sum / count;
    }
}

/// <summary>
/// Keras's <c>CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing)</c>: over the last axis,
/// Σ α·(1 − q)^γ·(−t·log q) with q the row normalised to sum 1 and clipped to [ε, 1 − ε] (softmax of the logits first).
/// </summary>
public sealed class CategoricalFocalCrossentropy : Loss
{
    /// <summary>Creates the loss with Keras's defaults.</summary>
    /// <param name="alpha">The weighting factor, ≥ 0.</param>
    /// <param name="gamma">The focusing exponent, ≥ 0 (0 with α = 1 is the categorical cross-entropy).</param>
    /// <param name="fromLogits">True when the output is logits rather than probabilities.</param>
    /// <param name="labelSmoothing">In [0, 1]: targets t·(1 − s) + s / classes.</param>
    public CategoricalFocalCrossentropy(float alpha = 0.25f, float gamma = 2f, bool fromLogits = false, float labelSmoothing = 0f)
    {
        Alpha = alpha >= 0 && float.IsFinite(alpha) ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite and ≥ 0.");
        Gamma = gamma >= 0 && float.IsFinite(gamma) ? gamma : throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and ≥ 0.");
        FromLogits = fromLogits;
        LabelSmoothing = CrossEntropy.CheckSmoothing(labelSmoothing);
    }

    /// <summary>The weighting factor.</summary>
    public float Alpha { get; }

    /// <summary>The focusing exponent.</summary>
    public float Gamma { get; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The label smoothing.</summary>
    public float LabelSmoothing { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_focal_crossentropy";

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        double factor = (double)scale / rows, gamma = Gamma, alpha = Alpha, s = LabelSmoothing;
        Span<double> p = cols <= 256 ? stackalloc double[cols] : new double[cols];
        Span<double> g = cols <= 256 ? stackalloc double[cols] : new double[cols];
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> z = predictions.Slice(r * cols, cols);
            if (FromLogits)
            {
                double max = double.NegativeInfinity, e = 0;
                foreach (float v in z)
                {
                    max = Math.Max(max, v);
                }

                for (int c = 0; c < cols; c++)
                {
                    p[c] = Math.Exp(z[c] - max);
                    e += p[c];
                }

                for (int c = 0; c < cols; c++)
                {
                    p[c] /= e;
                }
            }
            else
            {
                for (int c = 0; c < cols; c++)
                {
                    p[c] = z[c];
                }
            }

            double sum = 0;
            for (int c = 0; c < cols; c++)
            {
                sum += p[c];
            }

            double weighted = 0;
            for (int c = 0; c < cols; c++)
            {
                double t = (targets[(r * cols) + c] * (1 - s)) + (s / cols);
                double q = p[c] / sum;
                double qc = Math.Clamp(q, Epsilon, CrossEntropy.OneMinusEpsilon);
                double modulating = Math.Pow(1 - qc, gamma);
                total += alpha * modulating * -t * Math.Log(qc);
                // d/dq of α(1 − q)^γ(−t log q), zero where the clip holds.
                double dq = q >= Epsilon && q <= CrossEntropy.OneMinusEpsilon
                    ? alpha * t * ((gamma == 0 ? 0 : gamma * Math.Pow(1 - qc, gamma - 1) * Math.Log(qc)) - (modulating / qc))
                    : 0;
                g[c] = dq;
                weighted += dq * q;
            }

            if (gradient.IsEmpty)
            {
                continue;
            }

            // Through q = p / Σp: dL/dp_k = (dL/dq_k − Σ dL/dq·q) / Σp; then through the softmax for logits.
            double through = 0;
            for (int c = 0; c < cols; c++)
            {
                g[c] = (g[c] - weighted) / sum;
                through += g[c] * p[c];
            }

            for (int c = 0; c < cols; c++)
            {
                double d = FromLogits ? p[c] * (g[c] - through) : g[c];
                gradient[(r * cols) + c] = (float)(d * factor);
            }
        }

        return total / rows;
    }
}
