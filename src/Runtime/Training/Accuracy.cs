using System;

namespace Unrolled;

/// <summary>The accuracy variants Keras resolves <c>"accuracy"</c> to.</summary>
internal enum AccuracyKind
{
    /// <summary>Keras's <c>binary_accuracy</c>: thresholded prediction equals the target.</summary>
    Binary,

    /// <summary>Keras's <c>categorical_accuracy</c>: argmax of prediction equals argmax of target.</summary>
    Categorical,

    /// <summary>Keras's <c>sparse_categorical_accuracy</c>: argmax of prediction equals the class index.</summary>
    SparseCategorical,
}

/// <summary>One accuracy metric of one output.</summary>
/// <param name="Name">The name the user gave (<c>accuracy</c> or <c>acc</c>), used for the logged key.</param>
/// <param name="Kind">Which accuracy.</param>
/// <param name="Threshold">For binary accuracy: predictions above it count as 1.</param>
internal sealed record AccuracyMetric(string Name, AccuracyKind Kind, float Threshold)
{
    /// <summary>The metric names <c>Compile</c> accepts.</summary>
    public static readonly string[] KnownNames = ["accuracy", "acc"];

    /// <summary>
    /// Resolves <c>"accuracy"</c> for an output as Keras does: binary for binary cross-entropy or a last axis of 1,
    /// sparse categorical for sparse categorical cross-entropy, categorical otherwise. For
    /// <c>BinaryCrossentropy(fromLogits: true)</c> the threshold is 0 on the logit (σ(z) &gt; 0.5 ⇔ z &gt; 0), a
    /// deliberate departure from Keras, whose 0.5 threshold on a logit measures nothing meaningful.
    /// </summary>
    public static AccuracyMetric Resolve(string name, Loss loss, int lastAxis) => loss switch
    {
        BinaryCrossentropy bce => new(name, AccuracyKind.Binary, bce.FromLogits ? 0f : 0.5f),
        _ when lastAxis == 1 => new(name, AccuracyKind.Binary, 0.5f),
        SparseCategoricalCrossentropy => new(name, AccuracyKind.SparseCategorical, 0f),
        _ => new(name, AccuracyKind.Categorical, 0f),
    };

    /// <summary>The sum over rows of each row's accuracy (a row's is the mean over its last axis for binary).</summary>
    public double Sum(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols)
    {
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = predictions.Slice(r * cols, cols);
            switch (Kind)
            {
                case AccuracyKind.Binary:
                    ReadOnlySpan<float> t = targets.Slice(r * cols, cols);
                    int hits = 0;
                    for (int i = 0; i < cols; i++)
                    {
                        hits += (p[i] > Threshold ? 1f : 0f) == t[i] ? 1 : 0;
                    }

                    sum += (double)hits / cols;
                    break;
                case AccuracyKind.Categorical:
                    sum += ArgMax(p) == ArgMax(targets.Slice(r * cols, cols)) ? 1 : 0;
                    break;
                default:
                    sum += ArgMax(p) == targets[r] ? 1 : 0;
                    break;
            }
        }

        return sum;
    }

    /// <summary>Index of the first maximum, as <c>argmax</c>.</summary>
    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
