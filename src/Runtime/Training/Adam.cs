using System;
using System.Numerics;

namespace Unrolled;

/// <summary>
/// The optimizers that keep decaying estimates of the gradient's moments (Keras's Adam family: <see cref="Adam"/>,
/// <see cref="AdamW"/>, <see cref="Adamax"/>, <see cref="Nadam"/>): β₁, β₂ and ε with Keras's defaults and checks.
/// </summary>
public abstract class MomentOptimizer : Optimizer
{
    private protected MomentOptimizer(float learningRate, float beta1, float beta2, float epsilon)
        : base(learningRate)
    {
        Beta1 = InRange(beta1, 0f, 0.9999999f, nameof(beta1));
        Beta2 = InRange(beta2, 0f, 0.9999999f, nameof(beta2));
        Epsilon = InRange(epsilon, 0f, float.MaxValue, nameof(epsilon));
    }

    /// <summary>Decay of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second-moment estimate (for <see cref="Adamax"/>, of the infinity norm).</summary>
    public float Beta2 { get; }

    /// <summary>The stability constant added to the denominator.</summary>
    public float Epsilon { get; }

    private protected override (string Name, double Value)[] OwnHyperparameters => [("beta_1", Beta1), ("beta_2", Beta2), ("epsilon", Epsilon)];
}

/// <summary>
/// Keras's <c>Adam</c>: with t = iterations + 1 and α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ),
/// m += (g − m)(1 − β₁), v += (g² − v)(1 − β₂), w −= α·m / (√v + ε); AMSGrad uses v̂ = max(v̂, v) in place of v.
/// </summary>
public class Adam : MomentOptimizer
{
    private float[] _momentums = [];
    private float[] _velocities = [];
    private float[] _velocityHats = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f, bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon)
        => Amsgrad = amsgrad;

    /// <summary>Whether AMSGrad is used.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc/>
    public override string Name => "Adam";

    private protected override (string Name, double Value)[] OwnHyperparameters => [.. base.OwnHyperparameters, ("amsgrad", Amsgrad ? 1 : 0)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers
        => !IsBuilt ? [] : Amsgrad ? [("momentum", _momentums), ("velocity", _velocities), ("velocity_hat", _velocityHats)]
            : [("momentum", _momentums), ("velocity", _velocities)];

    private protected override void Allocate(int parameterCount)
    {
        _momentums = new float[parameterCount];
        _velocities = new float[parameterCount];
        _velocityHats = Amsgrad ? new float[parameterCount] : [];
    }

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        double t = iteration + 1;
        float alpha = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        float oneMinusBeta1 = 1f - Beta1, oneMinusBeta2 = 1f - Beta2, eps = Epsilon;
        Span<float> m = _momentums.AsSpan(offset, weights.Length), v = _velocities.AsSpan(offset, weights.Length);
        Span<float> vHat = amsgradBuffer(_velocityHats, offset, weights.Length);
        bool amsgrad = Amsgrad;
        int width = Vector<float>.Count;
        var vAlpha = new Vector<float>(alpha);
        var vB1 = new Vector<float>(oneMinusBeta1);
        var vB2 = new Vector<float>(oneMinusBeta2);
        var vEps = new Vector<float>(eps);
        int i = 0;
        for (; i <= weights.Length - width; i += width)
        {
            var g = new Vector<float>(gradients[i..]);
            var mv = new Vector<float>(m[i..]);
            mv += (g - mv) * vB1;
            mv.CopyTo(m[i..]);
            var vv = new Vector<float>(v[i..]);
            vv += ((g * g) - vv) * vB2;
            vv.CopyTo(v[i..]);
            if (amsgrad)
            {
                vv = Vector.Max(new Vector<float>(vHat[i..]), vv);
                vv.CopyTo(vHat[i..]);
            }

            (new Vector<float>(weights[i..]) - (mv * vAlpha / (Vector.SquareRoot(vv) + vEps))).CopyTo(weights[i..]);
        }

        for (; i < weights.Length; i++)
        {
            float g = gradients[i];
            float mv = m[i] + ((g - m[i]) * oneMinusBeta1);
            m[i] = mv;
            float vv = v[i] + (((g * g) - v[i]) * oneMinusBeta2);
            v[i] = vv;
            if (amsgrad)
            {
                vv = MathF.Max(vHat[i], vv);
                vHat[i] = vv;
            }

            weights[i] -= mv * alpha / (MathF.Sqrt(vv) + eps);
        }

        static Span<float> amsgradBuffer(float[] buffer, int offset, int length) => buffer.Length == 0 ? default : buffer.AsSpan(offset, length);
    }
}
