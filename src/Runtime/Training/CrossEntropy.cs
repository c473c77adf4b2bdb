using System;

namespace Unrolled;

/// <summary>Row-wise cross-entropy arithmetic shared by the categorical losses, in double for accuracy.</summary>
internal static class CrossEntropy
{
    /// <summary>Float32's 1 − 1e-7 (0.99999988), the upper clip bound Keras gets in float32.</summary>
    public const double OneMinusEpsilon = 1f - 1e-7f;

    /// <summary>Smallest positive float: keeps the log of an underflowed probability finite on the fused paths.</summary>
    public const double Tiny = float.Epsilon;

    /// <summary>Checks Keras's <c>label_smoothing</c>, which lies in [0, 1].</summary>
    public static float CheckSmoothing(float smoothing)
        => smoothing >= 0 && smoothing <= 1
            ? smoothing
            : throw new ArgumentOutOfRangeException("labelSmoothing", smoothing, "labelSmoothing must lie in [0, 1].");

    /// <summary>A target smoothed as Keras's categorical losses smooth it: t·(1 − s) + s / classes.</summary>
    private static double Smooth(double t, double smoothing, int classes) => smoothing == 0 ? t : (t * (1 - smoothing)) + (smoothing / classes);

    /// <summary>
    /// One row of categorical cross-entropy on probabilities, as Keras: q = p / Σp, clipped to [ε, 1 − ε],
    /// loss = −Σ t·log q. <paramref name="label"/> ≥ 0 means a one-hot target at that index (sparse), and then
    /// <paramref name="targets"/> is ignored. Writes factor × dL/dp when <paramref name="gradient"/> is not empty.
    /// </summary>
    public static double ProbabilityRow(ReadOnlySpan<float> p, ReadOnlySpan<float> targets, int label, Span<float> gradient, double factor,
        double smoothing = 0)
    {
        double sum = 0;
        foreach (float v in p)
        {
            sum += v;
        }

        double loss = 0, weighted = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double t = Smooth(label >= 0 ? (i == label ? 1 : 0) : targets[i], smoothing, p.Length);
            double q = p[i] / sum;
            loss -= t == 0 ? 0 : t * Math.Log(Math.Clamp(q, Loss.Epsilon, OneMinusEpsilon));
            // dL/dq_i = −t_i / q_i inside the clip range, 0 where the clip is active.
            double g = t != 0 && q >= Loss.Epsilon && q <= OneMinusEpsilon ? -t / q : 0;
            weighted += g * q;
            if (!gradient.IsEmpty)
            {
                gradient[i] = (float)g;
            }
        }

        if (!gradient.IsEmpty)
        {
            // Through the normalisation q = p / s: dL/dp_k = (dL/dq_k − Σ_i dL/dq_i · q_i) / s.
            for (int i = 0; i < p.Length; i++)
            {
                gradient[i] = (float)((gradient[i] - weighted) / sum * factor);
            }
        }

        return loss;
    }

    /// <summary>
    /// One row of categorical cross-entropy on logits z: loss = Σ t·(logsumexp(z) − z), gradient (Σt)·softmax(z) − t.
    /// With <paramref name="fused"/>, <paramref name="values"/> already holds softmax(z) and only the output is known.
    /// </summary>
    public static double LogitRow(ReadOnlySpan<float> values, ReadOnlySpan<float> targets, int label, Span<float> gradient,
        double factor, bool fused, double smoothing = 0)
    {
        double max = double.NegativeInfinity;
        double expSum = 0;
        if (!fused)
        {
            foreach (float v in values)
            {
                max = Math.Max(max, v);
            }

            foreach (float v in values)
            {
                expSum += Math.Exp(v - max);
            }
        }

        double logSumExp = max + Math.Log(expSum);
        double loss = 0, targetSum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double t = Smooth(label >= 0 ? (i == label ? 1 : 0) : targets[i], smoothing, values.Length);
            targetSum += t;
            if (t != 0)
            {
                double logProbability = fused ? Math.Log(Math.Max(values[i], Tiny)) : values[i] - logSumExp;
                loss -= t * logProbability;
            }
        }

        if (!gradient.IsEmpty)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double t = Smooth(label >= 0 ? (i == label ? 1 : 0) : targets[i], smoothing, values.Length);
                double probability = fused ? values[i] : Math.Exp(values[i] - logSumExp);
                gradient[i] = (float)(((targetSum * probability) - t) * factor);
            }
        }

        return loss;
    }
}
