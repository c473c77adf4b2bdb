using System;

namespace Unrolled;

/// <summary>
/// Keras's <c>Adafactor</c> (Shazeer and Stern, 2018), with Keras 3's update: with t the step from 1,
/// ρ = min(lr, 1/√t), α = max(ε₂, rms(w))·ρ, β = 1 − t^<see cref="Beta2Decay"/> and G = g² + ε₁, a weight of two or more
/// axes keeps row means r ← βr + (1 − β)·mean(G over the last axis) and column means c ← βc + (1 − β)·mean(G over the
/// axis before it), and v = (r / mean(r)) ⊗ c; a weight of fewer axes keeps v ← βv + (1 − β)G. Then u = g / √v is
/// scaled down to rms(u) ≤ <see cref="ClipThreshold"/> and w −= α·u.
/// </summary>
/// <remarks>
/// The state is stored as Keras names it (<c>velocity</c>, and the factored <c>row</c> and <c>column</c> means), each
/// laid out as the weights so that weights files keep one layout: the row and column means of a weight lie at the start
/// of its range. So the state takes three times the weights, not the paper's saving; Keras keeps the full
/// <c>velocity</c> too.
/// </remarks>
public sealed class Adafactor : Optimizer
{
    private float[] _velocities = [];
    private float[] _rows = [];
    private float[] _columns = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate (capped by 1/√t while <paramref name="relativeStep"/>).</param>
    /// <param name="beta2Decay">The exponent of the second-moment decay, 1 − t^beta2Decay; below 0.</param>
    /// <param name="epsilon1">Added to the squared gradients, ≥ 0.</param>
    /// <param name="epsilon2">The least step scale, ≥ 0.</param>
    /// <param name="clipThreshold">The most root-mean-square of an update, &gt; 0.</param>
    /// <param name="relativeStep">Keras's <c>relative_step</c>, recorded with the state. Keras 3's update caps the rate by
    /// 1/√t whatever it says (ρ = min(lr, 1/√t) in both cases), and so does this one.</param>
    public Adafactor(float learningRate = 0.001f, float beta2Decay = -0.8f, float epsilon1 = 1e-30f, float epsilon2 = 1e-3f,
        float clipThreshold = 1f, bool relativeStep = true)
        : base(learningRate)
    {
        Beta2Decay = beta2Decay < 0 && float.IsFinite(beta2Decay)
            ? beta2Decay
            : throw new ArgumentOutOfRangeException(nameof(beta2Decay), beta2Decay, "beta2Decay must be finite and below 0.");
        Epsilon1 = InRange(epsilon1, 0f, float.MaxValue, nameof(epsilon1));
        Epsilon2 = InRange(epsilon2, 0f, float.MaxValue, nameof(epsilon2));
        ClipThreshold = clipThreshold > 0 && float.IsFinite(clipThreshold)
            ? clipThreshold
            : throw new ArgumentOutOfRangeException(nameof(clipThreshold), clipThreshold, "clipThreshold must be finite and above 0.");
        RelativeStep = relativeStep;
    }

    /// <summary>The exponent of the second-moment decay.</summary>
    public float Beta2Decay { get; }

    /// <summary>Added to the squared gradients.</summary>
    public float Epsilon1 { get; }

    /// <summary>The least step scale.</summary>
    public float Epsilon2 { get; }

    /// <summary>The most root-mean-square of an update.</summary>
    public float ClipThreshold { get; }

    /// <summary>Keras's <c>relative_step</c> (the step is capped by 1/√t either way, as in Keras 3).</summary>
    public bool RelativeStep { get; }

    /// <inheritdoc/>
    public override string Name => "Adafactor";

    private protected override (string Name, double Value)[] OwnHyperparameters =>
        [("beta_2_decay", Beta2Decay), ("epsilon_1", Epsilon1), ("epsilon_2", Epsilon2), ("clip_threshold", ClipThreshold), ("relative_step", RelativeStep ? 1 : 0)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers => IsBuilt ? [("velocity", _velocities), ("row", _rows), ("column", _columns)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _velocities = new float[parameterCount];
        _rows = new float[parameterCount];
        _columns = new float[parameterCount];
    }

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        // A run holds whole weight tensors; each is updated on its own (its RMS, its rows and columns).
        var variables = Variables;
        for (int v = 0; v < variables.Length; v++)
        {
            var (start, size) = variables[v];
            if (start >= offset && start + size <= offset + weights.Length && size > 0)
            {
                UpdateVariable(weights.Slice(start - offset, size), gradients.Slice(start - offset, size), start, VariableShapes[v], iteration);
            }
        }
    }

    private void UpdateVariable(Span<float> w, ReadOnlySpan<float> g, int start, int[] shape, long iteration)
    {
        double t = iteration + 1;
        double rho = Math.Min(LearningRate, 1 / Math.Sqrt(t)); // relative_step caps a constant rate the same way
        double alpha = Math.Max(Epsilon2, Rms(w)) * rho;
        double beta = 1 - Math.Pow(t, Beta2Decay);
        Span<float> velocity = _velocities.AsSpan(start, w.Length);
        if (shape.Length >= 2)
        {
            int n = shape[^1], m = shape[^2], blocks = w.Length / (m * n);
            Span<float> rows = _rows.AsSpan(start, blocks * m), columns = _columns.AsSpan(start, blocks * n);
            for (int b = 0; b < blocks; b++)
            {
                int at = b * m * n;
                for (int i = 0; i < m; i++)
                {
                    double mean = 0;
                    for (int j = 0; j < n; j++)
                    {
                        double x = g[at + (i * n) + j];
                        mean += (x * x) + Epsilon1;
                    }

                    rows[(b * m) + i] = (float)((beta * rows[(b * m) + i]) + ((1 - beta) * mean / n));
                }

                for (int j = 0; j < n; j++)
                {
                    double mean = 0;
                    for (int i = 0; i < m; i++)
                    {
                        double x = g[at + (i * n) + j];
                        mean += (x * x) + Epsilon1;
                    }

                    columns[(b * n) + j] = (float)((beta * columns[(b * n) + j]) + ((1 - beta) * mean / m));
                }

                double rowMean = 0;
                for (int i = 0; i < m; i++)
                {
                    rowMean += rows[(b * m) + i];
                }

                rowMean /= m;
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        velocity[at + (i * n) + j] = (float)(rows[(b * m) + i] / rowMean * columns[(b * n) + j]);
                    }
                }
            }
        }
        else
        {
            for (int i = 0; i < w.Length; i++)
            {
                double x = g[i];
                velocity[i] = (float)((beta * velocity[i]) + ((1 - beta) * ((x * x) + Epsilon1)));
            }
        }

        // u = g / √v, scaled so that its RMS is at most the threshold.
        double squares = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double u = g[i] / Math.Sqrt(velocity[i]);
            squares += u * u;
        }

        double scale = alpha / Math.Max(1, Math.Sqrt(squares / w.Length) / ClipThreshold);
        for (int i = 0; i < w.Length; i++)
        {
            w[i] -= (float)(scale * g[i] / Math.Sqrt(velocity[i]));
        }
    }

    private static double Rms(ReadOnlySpan<float> x)
    {
        double squares = 0;
        foreach (float v in x)
        {
            squares += (double)v * v;
        }

        return Math.Sqrt(squares / x.Length);
    }
}
