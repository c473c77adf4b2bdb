using System;

namespace Unrolled;

/// <summary>
/// Keras's <c>AdamW</c> (a subclass of its Adam): Adam with Keras's decoupled <see cref="Optimizer.WeightDecay"/>
/// (w −= w · weightDecay · lr before the step), which AdamW sets by default.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="weightDecay">The decoupled weight decay (Keras's default 0.004), ≥ 0.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    public AdamW(float learningRate = 0.001f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f,
        bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon, amsgrad)
        => DecoupledWeightDecay = InRange(weightDecay, 0f, float.MaxValue, nameof(weightDecay));

    /// <inheritdoc/>
    public override string Name => "AdamW";
}

/// <summary>
/// Keras's <c>Adagrad</c>: a ← a + g², w −= lr · g / √(a + ε), the accumulator starting at
/// <c>initialAccumulatorValue</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private float[] _accumulators = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="initialAccumulatorValue">Where the accumulators start (Keras's 0.1), ≥ 0.</param>
    /// <param name="epsilon">Added under the square root.</param>
    public Adagrad(float learningRate = 0.001f, float initialAccumulatorValue = 0.1f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        InitialAccumulatorValue = InRange(initialAccumulatorValue, 0f, float.MaxValue, nameof(initialAccumulatorValue));
        Epsilon = InRange(epsilon, 0f, float.MaxValue, nameof(epsilon));
    }

    /// <summary>Where the accumulators start.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>The stability constant.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public override string Name => "Adagrad";

    private protected override (string Name, double Value)[] OwnHyperparameters => [("initial_accumulator_value", InitialAccumulatorValue), ("epsilon", Epsilon)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers => IsBuilt ? [("accumulator", _accumulators)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _accumulators = new float[parameterCount];
        Array.Fill(_accumulators, InitialAccumulatorValue);
    }

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    /// <summary>A zero gradient adds nothing to the accumulator and moves the weight by lr·0 / √(a + ε), which is 0 while
    /// a + ε is positive (training only adds to the accumulator's initial value).</summary>
    private protected override bool LeavesZeroGradientAlone => InitialAccumulatorValue > 0 || Epsilon > 0;

    /// <summary>The whole update's a += 0·0 for a skipped weight: a + 0, which changes a only from −0 to +0, so once is as
    /// many times.</summary>
    private protected override void CatchUp(int offset, int length, long steps)
    {
        foreach (ref float a in _accumulators.AsSpan(offset, length))
        {
            a += 0f;
        }
    }

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        float lr = LearningRate, eps = Epsilon;
        var a = _accumulators.AsSpan(offset, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            float g = gradients[i];
            a[i] += g * g;
            weights[i] -= lr * g / MathF.Sqrt(a[i] + eps);
        }
    }
}

/// <summary>
/// Keras's <c>Adadelta</c>: E[g²] ← ρE[g²] + (1 − ρ)g², Δ = −√(E[Δ²] + ε) / √(E[g²] + ε) · g,
/// E[Δ²] ← ρE[Δ²] + (1 − ρ)Δ², w += lr · Δ.
/// </summary>
public sealed class Adadelta : Optimizer
{
    private float[] _gradients = [];
    private float[] _deltas = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="rho">The decay of the running averages, in [0, 1).</param>
    /// <param name="epsilon">Added under the square roots.</param>
    public Adadelta(float learningRate = 0.001f, float rho = 0.95f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        Rho = InRange(rho, 0f, 0.9999999f, nameof(rho));
        Epsilon = InRange(epsilon, 0f, float.MaxValue, nameof(epsilon));
    }

    /// <summary>The decay of the running averages.</summary>
    public float Rho { get; }

    /// <summary>The stability constant.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public override string Name => "Adadelta";

    private protected override (string Name, double Value)[] OwnHyperparameters => [("rho", Rho), ("epsilon", Epsilon)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers
        => IsBuilt ? [("accumulated_grad", _gradients), ("accumulated_delta_var", _deltas)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _gradients = new float[parameterCount];
        _deltas = new float[parameterCount];
    }

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        float lr = LearningRate, rho = Rho, eps = Epsilon;
        Span<float> squares = _gradients.AsSpan(offset, weights.Length), deltas = _deltas.AsSpan(offset, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            float g = gradients[i];
            squares[i] = (rho * squares[i]) + ((1 - rho) * g * g);
            float delta = -MathF.Sqrt(deltas[i] + eps) / MathF.Sqrt(squares[i] + eps) * g;
            deltas[i] = (rho * deltas[i]) + ((1 - rho) * delta * delta);
            weights[i] += lr * delta;
        }
    }
}

/// <summary>
/// Keras's <c>Adamax</c>: with t = iterations + 1, m ← m + (g − m)(1 − β₁), u ← max(β₂u, |g|),
/// w −= lr · m / ((1 − β₁ᵗ)(u + ε)).
/// </summary>
public sealed class Adamax : MomentOptimizer
{
    private float[] _momentums = [];
    private float[] _norms = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the infinity norm, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public Adamax(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc/>
    public override string Name => "Adamax";

    private protected override (string Name, float[] Values)[] OwnStateBuffers => IsBuilt ? [("momentum", _momentums), ("norm", _norms)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _momentums = new float[parameterCount];
        _norms = new float[parameterCount];
    }

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        float correction = (float)(1 - Math.Pow(Beta1, iteration + 1)), lr = LearningRate;
        Span<float> m = _momentums.AsSpan(offset, weights.Length), u = _norms.AsSpan(offset, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            float g = gradients[i];
            m[i] += (g - m[i]) * (1 - Beta1);
            u[i] = MathF.Max(Beta2 * u[i], MathF.Abs(g));
            weights[i] -= lr * m[i] / (correction * (u[i] + Epsilon));
        }
    }
}

/// <summary>
/// Keras's <c>Nadam</c> (Adam with Nesterov momentum and Keras's momentum schedule): with t = iterations + 1,
/// μ_t = β₁(1 − ½·0.96ᵗ) (Keras 3's schedule), Π_t = Π_{t−1}·μ_t, m and v as Adam's,
/// m̂ = μ_{t+1}·m / (1 − Π_t·μ_{t+1}) + (1 − μ_t)·g / (1 − Π_t), v̂ = v / (1 − β₂ᵗ), w −= lr · m̂ / (√v̂ + ε).
/// </summary>
public sealed class Nadam : MomentOptimizer
{
    private float[] _momentums = [];
    private float[] _velocities = [];
    private double _product = 1;
    private long _productSteps;

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public Nadam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc/>
    public override string Name => "Nadam";

    private protected override (string Name, float[] Values)[] OwnStateBuffers => IsBuilt ? [("momentum", _momentums), ("velocity", _velocities)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _momentums = new float[parameterCount];
        _velocities = new float[parameterCount];
    }

    /// <summary>Keras 3's momentum schedule, β₁(1 − ½·0.96ᵗ) (PyTorch's NAdam has 0.96^(0.004t) by default).</summary>
    private double Mu(double step) => Beta1 * (1 - (0.5 * Math.Pow(0.96, step)));

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        // The momentum product Π_{t−1} follows the iterations: recomputed when a restored count does not match it.
        double t = iteration + 1, mu = Mu(t), muNext = Mu(t + 1);
        if (_productSteps != iteration)
        {
            _product = 1;
            for (long s = 1; s <= iteration; s++)
            {
                _product *= Mu(s);
            }
        }

        double product = _product * mu, productNext = product * muNext;
        double correction2 = 1 - Math.Pow(Beta2, t), lr = LearningRate;
        Span<float> m = _momentums.AsSpan(offset, weights.Length), v = _velocities.AsSpan(offset, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            double g = gradients[i];
            m[i] += (float)((g - m[i]) * (1 - Beta1));
            v[i] += (float)(((g * g) - v[i]) * (1 - Beta2));
            double mHat = (muNext * m[i] / (1 - productNext)) + ((1 - mu) * g / (1 - product));
            double vHat = v[i] / correction2;
            weights[i] -= (float)(lr * mHat / (Math.Sqrt(vHat) + Epsilon));
        }

        (_product, _productSteps) = (product, iteration + 1);
    }
}

/// <summary>
/// Keras's <c>Lion</c>: w −= lr · sign(β₁m + (1 − β₁)g), then m ← β₂m + (1 − β₂)g.
/// </summary>
public sealed class Lion : Optimizer
{
    private float[] _momentums = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="beta1">The interpolation for the update's sign, in [0, 1].</param>
    /// <param name="beta2">Decay of the momentum, in [0, 1].</param>
    public Lion(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.99f)
        : base(learningRate)
    {
        Beta1 = InRange(beta1, 0f, 1f, nameof(beta1));
        Beta2 = InRange(beta2, 0f, 1f, nameof(beta2));
    }

    /// <summary>The interpolation for the update's sign.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the momentum.</summary>
    public float Beta2 { get; }

    /// <inheritdoc/>
    public override string Name => "Lion";

    private protected override (string Name, double Value)[] OwnHyperparameters => [("beta_1", Beta1), ("beta_2", Beta2)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers => IsBuilt ? [("momentum", _momentums)] : [];

    private protected override void Allocate(int parameterCount) => _momentums = new float[parameterCount];

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        float lr = LearningRate;
        Span<float> momentums = _momentums.AsSpan(offset, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            float g = gradients[i], m = momentums[i];
            weights[i] -= lr * MathF.Sign((Beta1 * m) + ((1 - Beta1) * g));
            momentums[i] = (Beta2 * m) + ((1 - Beta2) * g);
        }
    }
}

/// <summary>
/// Keras's <c>Ftrl</c> (follow the regularised leader): with n the accumulator of squared gradients (starting at
/// <see cref="InitialAccumulatorValue"/>) and z the linear term, ĝ = g + 2·λ₂shrink·w, n' = n + g²,
/// z += ĝ − (n'^−p − n^−p)/lr · w, then w = (clip(z, −λ₁, λ₁) − z) / (n'^−p / lr + 2·(λ₂ + β/(2·lr))), with p the
/// <see cref="LearningRatePower"/>.
/// </summary>
public sealed class Ftrl : Optimizer
{
    private float[] _accumulators = [];
    private float[] _linears = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="learningRatePower">How the rate falls with the accumulated squares, ≤ 0.</param>
    /// <param name="initialAccumulatorValue">The accumulator's start, ≥ 0.</param>
    /// <param name="l1RegularizationStrength">λ₁, ≥ 0.</param>
    /// <param name="l2RegularizationStrength">λ₂, ≥ 0.</param>
    /// <param name="l2ShrinkageRegularizationStrength">The L2 shrinkage on the gradient, ≥ 0.</param>
    /// <param name="beta">β, ≥ 0.</param>
    public Ftrl(float learningRate = 0.001f, float learningRatePower = -0.5f, float initialAccumulatorValue = 0.1f, float l1RegularizationStrength = 0f,
        float l2RegularizationStrength = 0f, float l2ShrinkageRegularizationStrength = 0f, float beta = 0f)
        : base(learningRate)
    {
        LearningRatePower = InRange(learningRatePower, float.MinValue, 0f, nameof(learningRatePower));
        InitialAccumulatorValue = InRange(initialAccumulatorValue, 0f, float.MaxValue, nameof(initialAccumulatorValue));
        L1RegularizationStrength = InRange(l1RegularizationStrength, 0f, float.MaxValue, nameof(l1RegularizationStrength));
        L2RegularizationStrength = InRange(l2RegularizationStrength, 0f, float.MaxValue, nameof(l2RegularizationStrength));
        L2ShrinkageRegularizationStrength = InRange(l2ShrinkageRegularizationStrength, 0f, float.MaxValue, nameof(l2ShrinkageRegularizationStrength));
        Beta = InRange(beta, 0f, float.MaxValue, nameof(beta));
    }

    /// <summary>How the rate falls with the accumulated squares.</summary>
    public float LearningRatePower { get; }

    /// <summary>The accumulator's start.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>λ₁.</summary>
    public float L1RegularizationStrength { get; }

    /// <summary>λ₂.</summary>
    public float L2RegularizationStrength { get; }

    /// <summary>The L2 shrinkage on the gradient.</summary>
    public float L2ShrinkageRegularizationStrength { get; }

    /// <summary>β.</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    public override string Name => "Ftrl";

    private protected override (string Name, double Value)[] OwnHyperparameters =>
    [
        ("learning_rate_power", LearningRatePower), ("initial_accumulator_value", InitialAccumulatorValue),
        ("l1_regularization_strength", L1RegularizationStrength), ("l2_regularization_strength", L2RegularizationStrength),
        ("l2_shrinkage_regularization_strength", L2ShrinkageRegularizationStrength), ("beta", Beta),
    ];

    private protected override (string Name, float[] Values)[] OwnStateBuffers => IsBuilt ? [("accumulator", _accumulators), ("linear", _linears)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _accumulators = new float[parameterCount];
        Array.Fill(_accumulators, InitialAccumulatorValue);
        _linears = new float[parameterCount];
    }

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        double lr = LearningRate, power = -LearningRatePower, l1 = L1RegularizationStrength;
        double l2 = L2RegularizationStrength + (Beta / (2 * lr)), shrink = 2 * L2ShrinkageRegularizationStrength;
        Span<float> n = _accumulators.AsSpan(offset, weights.Length), z = _linears.AsSpan(offset, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            double g = gradients[i], w = weights[i];
            double next = n[i] + (g * g);
            double linear = z[i] + (g + (shrink * w)) - ((Math.Pow(next, power) - Math.Pow(n[i], power)) / lr * w);
            double quadratic = (Math.Pow(next, power) / lr) + (2 * l2);
            z[i] = (float)linear;
            weights[i] = (float)((Math.Clamp(linear, -l1, l1) - linear) / quadratic);
            n[i] = (float)next;
        }
    }
}
