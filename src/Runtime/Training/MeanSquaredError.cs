using System;

namespace Unrolled;

/// <summary>Keras's <c>MeanSquaredError</c> (<c>"mse"</c>): the mean over the last axis of (target − prediction)².</summary>
public sealed class MeanSquaredError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_error";

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        int count = rows * cols;
        double sum = 0;
        double factor = 2.0 * scale / count;
        bool withGradient = !gradient.IsEmpty;
        for (int i = 0; i < count; i++)
        {
            double d = (double)predictions[i] - targets[i];
            sum += d * d;
            if (withGradient)
            {
                gradient[i] = (float)(factor * d);
            }
        }

        return sum / count;
    }
}
