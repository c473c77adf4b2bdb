using System;
using System.Numerics;

namespace Unrolled;

/// <summary>
/// Keras's <c>RMSprop</c>: v = ρ·v + (1 − ρ)·g²; centered: a = ρ·a + (1 − ρ)·g and the denominator is v − a² + ε,
/// else v + ε; increment = lr·g / √denominator; with momentum, m = momentum·m + increment and w −= m, else
/// w −= increment.
/// </summary>
public sealed class RMSprop : Optimizer
{
    private float[] _velocities = [];
    private float[] _averageGradients = [];
    private float[] _momentums = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="rho">Discount of the squared-gradient average, in [0, 1].</param>
    /// <param name="momentum">Momentum in [0, 1]; 0 disables it.</param>
    /// <param name="epsilon">Added to the denominator for numerical stability.</param>
    /// <param name="centered">Whether to normalise by the gradient's estimated variance instead of its second moment.</param>
    public RMSprop(float learningRate = 0.001f, float rho = 0.9f, float momentum = 0f, float epsilon = 1e-7f, bool centered = false)
        : base(learningRate)
    {
        Rho = InRange(rho, 0f, 1f, nameof(rho));
        Momentum = InRange(momentum, 0f, 1f, nameof(momentum));
        Epsilon = InRange(epsilon, 0f, float.MaxValue, nameof(epsilon));
        Centered = centered;
    }

    /// <summary>Discount of the squared-gradient average.</summary>
    public float Rho { get; }

    /// <summary>The momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>The stability constant.</summary>
    public float Epsilon { get; }

    /// <summary>Whether the centered variant is used.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    public override string Name => "RMSprop";

    private protected override (string Name, double Value)[] OwnHyperparameters
        => [("rho", Rho), ("momentum", Momentum), ("epsilon", Epsilon), ("centered", Centered ? 1 : 0)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers
    {
        get
        {
            if (!IsBuilt)
            {
                return [];
            }

            var buffers = new System.Collections.Generic.List<(string, float[])> { ("velocity", _velocities) };
            if (Centered)
            {
                buffers.Add(("average_gradient", _averageGradients));
            }

            if (Momentum > 0)
            {
                buffers.Add(("momentum", _momentums));
            }

            return buffers.ToArray();
        }
    }

    private protected override void Allocate(int parameterCount)
    {
        _velocities = new float[parameterCount];
        _averageGradients = Centered ? new float[parameterCount] : [];
        _momentums = Momentum > 0 ? new float[parameterCount] : [];
    }

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    /// <summary>Without momentum or centering, a zero gradient leaves the weight (lr·0 / √(v + ε) is 0 when ε &gt; 0) and
    /// only decays v. ρ &gt; 0 too: with ρ = 0 an infinite v (from a finite gradient above 1.8e19) becomes 0·∞ = NaN in the
    /// next update, which would turn an unused row's weights into NaN at once in the whole update but only when the row is
    /// next used here.</summary>
    private protected override bool LeavesZeroGradientAlone => Momentum == 0 && !Centered && Epsilon > 0 && Rho > 0;

    /// <summary>
    /// What <paramref name="steps"/> whole updates with a zero gradient do to v: v ← ρ·v + (1 − ρ)·0·0, that is ρ·v + 0
    /// (the + 0 turns −0 into +0, as there), as the same rounded operations, stopping once a pass changes no bit (all
    /// zero, or ρ = 1), after which every further pass would change none either.
    /// </summary>
    private protected override void CatchUp(int offset, int length, long steps)
    {
        Span<float> v = _velocities.AsSpan(offset, length);
        var rho = new Vector<float>(Rho);
        for (long s = 0; s < steps; s++)
        {
            var changed = Vector<int>.Zero;
            int i = 0;
            for (; i <= v.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var old = new Vector<float>(v[i..]);
                var decayed = (rho * old) + Vector<float>.Zero;
                decayed.CopyTo(v[i..]);
                changed |= Vector.AsVectorInt32(old) ^ Vector.AsVectorInt32(decayed);
            }

            int rest = 0;
            for (; i < v.Length; i++)
            {
                float decayed = (Rho * v[i]) + 0f;
                rest |= BitConverter.SingleToInt32Bits(v[i]) ^ BitConverter.SingleToInt32Bits(decayed);
                v[i] = decayed;
            }

            if (rest == 0 && changed == Vector<int>.Zero)
            {
                break;
            }
        }
    }

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        float lr = LearningRate, rho = Rho, oneMinusRho = 1f - Rho, mu = Momentum, eps = Epsilon;
        bool centered = Centered, useMomentum = mu > 0;
        Span<float> v = _velocities.AsSpan(offset, weights.Length);
        Span<float> a = centered ? _averageGradients.AsSpan(offset, weights.Length) : default;
        Span<float> m = useMomentum ? _momentums.AsSpan(offset, weights.Length) : default;
        int i = 0;
        int width = Vector<float>.Count;
        var vRho = new Vector<float>(rho);
        var vOneMinusRho = new Vector<float>(oneMinusRho);
        var vLr = new Vector<float>(lr);
        var vEps = new Vector<float>(eps);
        var vMu = new Vector<float>(mu);
        for (; i <= weights.Length - width; i += width)
        {
            var g = new Vector<float>(gradients[i..]);
            var vel = (vRho * new Vector<float>(v[i..])) + (vOneMinusRho * g * g);
            vel.CopyTo(v[i..]);
            Vector<float> denominator;
            if (centered)
            {
                var avg = (vRho * new Vector<float>(a[i..])) + (vOneMinusRho * g);
                avg.CopyTo(a[i..]);
                denominator = vel - (avg * avg) + vEps;
            }
            else
            {
                denominator = vel + vEps;
            }

            var increment = vLr * g / Vector.SquareRoot(denominator);
            if (useMomentum)
            {
                increment = (vMu * new Vector<float>(m[i..])) + increment;
                increment.CopyTo(m[i..]);
            }

            (new Vector<float>(weights[i..]) - increment).CopyTo(weights[i..]);
        }

        for (; i < weights.Length; i++)
        {
            float g = gradients[i];
            float vel = (rho * v[i]) + (oneMinusRho * g * g);
            v[i] = vel;
            float denominator;
            if (centered)
            {
                float avg = (rho * a[i]) + (oneMinusRho * g);
                a[i] = avg;
                denominator = vel - (avg * avg) + eps;
            }
            else
            {
                denominator = vel + eps;
            }

            float increment = lr * g / MathF.Sqrt(denominator);
            if (useMomentum)
            {
                increment = (mu * m[i]) + increment;
                m[i] = increment;
            }

            weights[i] -= increment;
        }
    }
}
