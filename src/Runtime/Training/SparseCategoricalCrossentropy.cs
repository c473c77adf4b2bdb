using System;
using System.Globalization;

namespace Unrolled;

/// <summary>
/// Keras's <c>SparseCategoricalCrossentropy</c>: categorical cross-entropy with integer class targets. A target is
/// one float per row of the output (per sample, for a vector output) holding the class index, as Keras's integer
/// labels; it must be a whole number in [0, classes).
/// </summary>
/// <remarks>Probabilities, clipping and the softmax fusion behave as in <see cref="CategoricalCrossentropy"/>.</remarks>
public sealed class SparseCategoricalCrossentropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the output is logits (no softmax) rather than probabilities.</param>
    public SparseCategoricalCrossentropy(bool fromLogits = false) => FromLogits = fromLogits;

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    public override string Name => "sparse_categorical_crossentropy";

    internal override bool IsSparse => true;

    internal override bool FusesWith(Activation activation) => !FromLogits && activation == Activation.Softmax;

    /// <summary>Throws unless every label is a whole number in [0, <paramref name="classes"/>).</summary>
    /// <param name="labels">The labels, <paramref name="labelsPerSample"/> per sample.</param>
    /// <param name="classes">The output's last axis.</param>
    /// <param name="labelsPerSample">Labels per sample (1 for a vector output).</param>
    /// <param name="firstSample">Index of the first sample in <paramref name="labels"/>, for the message.</param>
    /// <param name="outputName">The output's name, for the message.</param>
    /// <param name="parameterName">The argument that held the labels.</param>
    internal static void ValidateLabels(ReadOnlySpan<float> labels, int classes, int labelsPerSample, long firstSample,
        string outputName, string? parameterName)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            float v = labels[i];
            if (!(v >= 0 && v < classes && v == MathF.Floor(v)))
            {
                throw new ArgumentException(
                    $"The target of output '{outputName}' (sparse_categorical_crossentropy) holds " +
                    $"{v.ToString("R", CultureInfo.InvariantCulture)} at sample {firstSample + (i / labelsPerSample)}; " +
                    $"a label must be a whole class index from 0 to {classes - 1}.",
                    parameterName);
            }
        }
    }

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        double factor = (double)scale / rows;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = predictions.Slice(r * cols, cols);
            int label = (int)targets[r];
            Span<float> g = gradient.IsEmpty ? default : gradient.Slice(r * cols, cols);
            sum += FromLogits || fused
                ? CrossEntropy.LogitRow(p, default, label, g, factor, fused)
                : CrossEntropy.ProbabilityRow(p, default, label, g, factor);
        }

        return sum / rows;
    }
}
