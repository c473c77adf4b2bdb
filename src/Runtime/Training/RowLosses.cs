using System;

namespace Unrolled;

/// <summary>A Keras loss computed per row of the last axis (then the mean over the rows).</summary>
public abstract class RowLoss : Loss
{
    private protected RowLoss()
    {
    }

    /// <summary>One row's loss, and unless <paramref name="gradient"/> is empty its gradient times
    /// <paramref name="factor"/> with respect to the row's predictions.</summary>
    private protected abstract double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> y, Span<float> gradient, double factor);

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        if (rows == 0)
        {
            return 0;
        }

        double sum = 0, factor = (double)scale / rows;
        for (int r = 0; r < rows; r++)
        {
            sum += Row(predictions.Slice(r * cols, cols), targets.Slice(r * cols, cols), gradient.IsEmpty ? default : gradient.Slice(r * cols, cols), factor);
        }

        return sum / rows;
    }
}

/// <summary>Keras's <c>KLDivergence</c> (<c>"kl_divergence"</c>, <c>"kld"</c>): Σ y · log(y / p) over the last axis, both
/// clipped to [1e-7, 1]; a clipped prediction gets no gradient.</summary>
public sealed class KLDivergence : RowLoss
{
    /// <inheritdoc/>
    public override string Name => "kl_divergence";

    private protected override double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> y, Span<float> gradient, double factor)
    {
        double sum = 0;
        for (int j = 0; j < p.Length; j++)
        {
            double t = Math.Clamp(y[j], Epsilon, 1), q = Math.Clamp(p[j], Epsilon, 1);
            sum += t * Math.Log(t / q);
            if (!gradient.IsEmpty)
            {
                gradient[j] = p[j] > Epsilon && p[j] < 1 ? (float)(-factor * t / q) : 0f;
            }
        }

        return sum;
    }
}

/// <summary>Keras's <c>CategoricalHinge</c> (<c>"categorical_hinge"</c>): max(max((1 − y) · p) − Σ y · p + 1, 0) per row.</summary>
public sealed class CategoricalHinge : RowLoss
{
    /// <inheritdoc/>
    public override string Name => "categorical_hinge";

    private protected override double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> y, Span<float> gradient, double factor)
    {
        double positive = 0, negative = double.NegativeInfinity;
        int top = 0;
        for (int j = 0; j < p.Length; j++)
        {
            positive += (double)y[j] * p[j];
            double other = (1 - (double)y[j]) * p[j];
            if (other > negative)
            {
                (negative, top) = (other, j);
            }
        }

        double loss = Math.Max(negative - positive + 1, 0);
        if (!gradient.IsEmpty)
        {
            for (int j = 0; j < p.Length; j++)
            {
                gradient[j] = loss > 0 ? (float)(factor * (-y[j] + (j == top ? 1 - y[j] : 0))) : 0f;
            }
        }

        return p.Length == 0 ? 0 : loss;
    }
}

/// <summary>Keras's <c>CosineSimilarity</c> (<c>"cosine_similarity"</c>): −Σ ŷ · p̂ over the last axis, each normalised
/// as Keras's l2_normalize, x / sqrt(max(Σ x², 1e-12)); 1 for opposite vectors, −1 for aligned ones.</summary>
public sealed class CosineSimilarity : RowLoss
{
    /// <inheritdoc/>
    public override string Name => "cosine_similarity";

    private protected override double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> y, Span<float> gradient, double factor)
    {
        double pp = 0, yy = 0, py = 0;
        for (int j = 0; j < p.Length; j++)
        {
            pp += (double)p[j] * p[j];
            yy += (double)y[j] * y[j];
            py += (double)p[j] * y[j];
        }

        double pn = Math.Sqrt(Math.Max(pp, 1e-12)), yn = Math.Sqrt(Math.Max(yy, 1e-12)), cosine = py / (pn * yn);
        if (!gradient.IsEmpty)
        {
            // d(−p·ŷ / ‖p‖)/dp = −(ŷ − cos · p / ‖p‖) / ‖p‖, where the norm is not at its floor.
            for (int j = 0; j < p.Length; j++)
            {
                double g = pp > 1e-12 ? -((y[j] / yn) - (cosine * p[j] / pn)) / pn : -(y[j] / yn) / pn;
                gradient[j] = (float)(factor * g);
            }
        }

        return -cosine;
    }
}
