using System;

namespace Unrolled;

/// <summary>
/// Keras's <c>BinaryCrossentropy</c>: −(t·log p + (1 − t)·log(1 − p)), averaged over the last axis. On
/// probabilities, p is clipped to [1e-7, 1 − 1e-7] and 1e-7 is added inside each log, as Keras does.
/// </summary>
/// <remarks>
/// When the output layer's activation is sigmoid and <see cref="FromLogits"/> is false, the gradient is taken with
/// respect to the sigmoid's input, σ(z) − t, exactly and without clipping (Keras fuses the same pair through the
/// logits); the reported loss is then the unclipped cross-entropy of σ(z), with the logs kept finite at float's smallest
/// positive value if σ saturates.
/// </remarks>
public sealed class BinaryCrossentropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the output is a logit (no sigmoid) rather than a probability.</param>
    /// <param name="labelSmoothing">Keras's <c>label_smoothing</c>, in [0, 1]: targets squeezed towards 0.5,
    /// t·(1 − s) + s/2.</param>
    public BinaryCrossentropy(bool fromLogits = false, float labelSmoothing = 0f)
    {
        FromLogits = fromLogits;
        LabelSmoothing = CrossEntropy.CheckSmoothing(labelSmoothing);
    }

    /// <summary>The label smoothing.</summary>
    public float LabelSmoothing { get; }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    internal override bool FusesWith(Activation activation) => !FromLogits && activation == Activation.Sigmoid;

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        int count = rows * cols;
        double factor = (double)scale / count;
        bool withGradient = !gradient.IsEmpty;
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            double p = predictions[i], t = (targets[i] * (1 - LabelSmoothing)) + (0.5 * LabelSmoothing);
            double loss, slope;
            if (FromLogits)
            {
                // max(z, 0) − z·t + log(1 + e^−|z|): TensorFlow's overflow-free form.
                loss = Math.Max(p, 0) - (p * t) + Math.Log(1.0 + Math.Exp(-Math.Abs(p)));
                slope = (1.0 / (1.0 + Math.Exp(-p))) - t;
            }
            else if (fused)
            {
                loss = -((t * Math.Log(Math.Max(p, CrossEntropy.Tiny))) + ((1 - t) * Math.Log(Math.Max(1 - p, CrossEntropy.Tiny))));
                slope = p - t;
            }
            else
            {
                double pc = Math.Clamp(p, Epsilon, CrossEntropy.OneMinusEpsilon);
                loss = -((t * Math.Log(pc + Epsilon)) + ((1 - t) * Math.Log(1 - pc + Epsilon)));
                // The clip passes no gradient where it is active.
                slope = p >= Epsilon && p <= CrossEntropy.OneMinusEpsilon
                    ? -((t / (pc + Epsilon)) - ((1 - t) / (1 - pc + Epsilon)))
                    : 0;
            }

            sum += loss;
            if (withGradient)
            {
                gradient[i] = (float)(slope * factor);
            }
        }

        return sum / count;
    }
}
