using System;
using System.Numerics;

namespace Unrolled;

/// <summary>
/// Keras's <c>SGD</c>: w −= lr·g; with momentum, m = momentum·m − lr·g then w += m; with Nesterov momentum,
/// w += momentum·m − lr·g (with the updated m).
/// </summary>
public sealed class SGD : Optimizer
{
    private float[] _momentums = [];

    /// <summary>Creates the optimizer with Keras's defaults.</summary>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="momentum">Momentum in [0, 1]; 0 disables it.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    public SGD(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false)
        : base(learningRate)
    {
        Momentum = InRange(momentum, 0f, 1f, nameof(momentum));
        Nesterov = nesterov;
    }

    /// <summary>The momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public override string Name => "SGD";

    private protected override (string Name, double Value)[] OwnHyperparameters => [("momentum", Momentum), ("nesterov", Nesterov ? 1 : 0)];

    private protected override (string Name, float[] Values)[] OwnStateBuffers => Momentum != 0 && IsBuilt ? [("momentum", _momentums)] : [];

    private protected override void Allocate(int parameterCount)
        => _momentums = Momentum != 0 ? new float[parameterCount] : [];

    /// <inheritdoc/>
    private protected override bool ElementWise => true;

    /// <summary>Without momentum, w − lr·0 is w, and there is no state.</summary>
    private protected override bool LeavesZeroGradientAlone => Momentum == 0;

    private protected override void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration)
    {
        float lr = LearningRate, mu = Momentum;
        int i = 0;
        if (mu == 0)
        {
            var vlr = new Vector<float>(lr);
            for (; i <= weights.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (new Vector<float>(weights[i..]) - (vlr * new Vector<float>(gradients[i..]))).CopyTo(weights[i..]);
            }

            for (; i < weights.Length; i++)
            {
                weights[i] -= lr * gradients[i];
            }

            return;
        }

        Span<float> m = _momentums.AsSpan(offset, weights.Length);
        var vmu = new Vector<float>(mu);
        var vlr2 = new Vector<float>(lr);
        for (; i <= weights.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var step = vlr2 * new Vector<float>(gradients[i..]);
            var mv = (vmu * new Vector<float>(m[i..])) - step;
            mv.CopyTo(m[i..]);
            (new Vector<float>(weights[i..]) + (Nesterov ? (vmu * mv) - step : mv)).CopyTo(weights[i..]);
        }

        for (; i < weights.Length; i++)
        {
            float step = lr * gradients[i];
            float mv = (mu * m[i]) - step;
            m[i] = mv;
            weights[i] += Nesterov ? (mu * mv) - step : mv;
        }
    }
}
