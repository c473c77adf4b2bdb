using System;

namespace Unrolled;

/// <summary>
/// Keras's <c>CategoricalCrossentropy</c> over one-hot (or soft) targets: −Σ t·log p over the last axis. On
/// probabilities, p is first divided by its row sum and clipped to [1e-7, 1 − 1e-7], as Keras does.
/// </summary>
/// <remarks>
/// When the output layer's activation is softmax and <see cref="FromLogits"/> is false, the gradient is taken with
/// respect to the softmax's input, (Σt)·softmax(z) − t, exactly and without clipping (Keras fuses the same pair
/// through the logits); the reported loss is the unclipped cross-entropy of softmax(z).
/// </remarks>
public sealed class CategoricalCrossentropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the output is logits (no softmax) rather than probabilities.</param>
    /// <param name="labelSmoothing">Keras's <c>label_smoothing</c>, in [0, 1]: targets t·(1 − s) + s / classes.</param>
    public CategoricalCrossentropy(bool fromLogits = false, float labelSmoothing = 0f)
    {
        FromLogits = fromLogits;
        LabelSmoothing = CrossEntropy.CheckSmoothing(labelSmoothing);
    }

    /// <summary>The label smoothing.</summary>
    public float LabelSmoothing { get; }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    internal override bool FusesWith(Activation activation) => !FromLogits && activation == Activation.Softmax;

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        double factor = (double)scale / rows;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = predictions.Slice(r * cols, cols);
            ReadOnlySpan<float> t = targets.Slice(r * cols, cols);
            Span<float> g = gradient.IsEmpty ? default : gradient.Slice(r * cols, cols);
            sum += FromLogits || fused
                ? CrossEntropy.LogitRow(p, t, -1, g, factor, fused, LabelSmoothing)
                : CrossEntropy.ProbabilityRow(p, t, -1, g, factor, LabelSmoothing);
        }

        return sum / rows;
    }
}
