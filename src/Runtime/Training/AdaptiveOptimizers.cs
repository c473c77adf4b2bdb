using System;

namespace Unrolled;

/// <summary>
/// Keras's <c>AdamW</c> (a subclass of its Adam): Keras's decoupled weight decay, w −= w · weightDecay · lr, applied to
/// every weight before <see cref="Adam"/>'s step, as Keras 3's optimizer applies <c>weight_decay</c>.
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
        => WeightDecay = InRange(weightDecay, 0f, float.MaxValue, nameof(weightDecay));

    /// <summary>The decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override string Name => "AdamW";

    internal override (string Name, double Value)[] Hyperparameters => [("weight_decay", WeightDecay), .. base.Hyperparameters];

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(weights, 1f - (WeightDecay * LearningRate), weights); // Keras: w − w · wd · lr
        base.Update(weights, gradients, offset, iteration);
    }
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

    internal override (string Name, double Value)[] Hyperparameters => [("initial_accumulator_value", InitialAccumulatorValue), ("epsilon", Epsilon)];

    internal override (string Name, float[] Values)[] StateBuffers => IsBuilt ? [("accumulator", _accumulators)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _accumulators = new float[parameterCount];
        Array.Fill(_accumulators, InitialAccumulatorValue);
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

    internal override (string Name, double Value)[] Hyperparameters => [("rho", Rho), ("epsilon", Epsilon)];

    internal override (string Name, float[] Values)[] StateBuffers
        => IsBuilt ? [("accumulated_grad", _gradients), ("accumulated_delta_var", _deltas)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _gradients = new float[parameterCount];
        _deltas = new float[parameterCount];
    }

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

    internal override (string Name, float[] Values)[] StateBuffers => IsBuilt ? [("momentum", _momentums), ("norm", _norms)] : [];

    private protected override void Allocate(int parameterCount)
    {
        _momentums = new float[parameterCount];
        _norms = new float[parameterCount];
    }

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

    internal override (string Name, float[] Values)[] StateBuffers => IsBuilt ? [("momentum", _momentums), ("velocity", _velocities)] : [];

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

    internal override (string Name, double Value)[] Hyperparameters => [("beta_1", Beta1), ("beta_2", Beta2)];

    internal override (string Name, float[] Values)[] StateBuffers => IsBuilt ? [("momentum", _momentums)] : [];

    private protected override void Allocate(int parameterCount) => _momentums = new float[parameterCount];

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
