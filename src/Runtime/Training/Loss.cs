using System;

namespace Unrolled;

/// <summary>
/// A loss function for <c>CompiledModel.Compile</c>, as Keras's
/// <c>keras.losses</c>. Each loss reduces as Keras's default <c>"sum_over_batch_size"</c>: the per-element terms are
/// averaged (MSE, binary cross-entropy) or summed (categorical cross-entropies) over the last axis, then averaged over
/// every other axis, batch included. Instances are immutable and may be shared by several outputs and models.
/// </summary>
/// <remarks>A string converts to a loss by its Keras name: <c>model.Compile("adam", "categorical_crossentropy")</c>.</remarks>
public abstract class Loss
{
    /// <summary>Float32's 1e-7, Keras's <c>backend.epsilon()</c>, used to clip probabilities.</summary>
    internal const double Epsilon = 1e-7f;

    /// <summary>The names implicit conversion from a string accepts.</summary>
    internal static readonly string[] KnownNames =
    [
        "mse", "mean_squared_error", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
        "mae", "mean_absolute_error", "mape", "mean_absolute_percentage_error", "msle", "mean_squared_logarithmic_error", "huber",
        "huber_loss", "log_cosh", "logcosh", "kl_divergence", "kld", "poisson", "hinge", "squared_hinge", "categorical_hinge",
        "cosine_similarity", "binary_focal_crossentropy", "categorical_focal_crossentropy",
    ];

    private protected Loss()
    {
    }

    /// <summary>Keras's name of the loss function (<c>mean_squared_error</c>, <c>categorical_crossentropy</c>, …).</summary>
    public abstract string Name { get; }

    /// <summary>Whether targets are class indices (one float per row) rather than values shaped as the output.</summary>
    internal virtual bool IsSparse => false;

    /// <summary>Converts a Keras loss name to a loss with default arguments.</summary>
    /// <param name="name">A Keras name: <c>"mse"</c> (<c>"mean_squared_error"</c>), <c>"mae"</c>, <c>"mape"</c>,
    /// <c>"msle"</c> (and their long names), <c>"huber"</c>, <c>"log_cosh"</c>, <c>"binary_crossentropy"</c>,
    /// <c>"categorical_crossentropy"</c>, <c>"sparse_categorical_crossentropy"</c>, <c>"kl_divergence"</c> (<c>"kld"</c>),
    /// <c>"poisson"</c>, <c>"hinge"</c>, <c>"squared_hinge"</c>, <c>"categorical_hinge"</c>,
    /// <c>"cosine_similarity"</c>, <c>"binary_focal_crossentropy"</c> or <c>"categorical_focal_crossentropy"</c>.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">The name is not one of those.</exception>
    public static implicit operator Loss(string name) => name switch
    {
        null => throw new ArgumentNullException(nameof(name)),
        "mse" or "mean_squared_error" => new MeanSquaredError(),
        "binary_crossentropy" => new BinaryCrossentropy(),
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "mae" or "mean_absolute_error" => new MeanAbsoluteError(),
        "mape" or "mean_absolute_percentage_error" => new MeanAbsolutePercentageError(),
        "msle" or "mean_squared_logarithmic_error" => new MeanSquaredLogarithmicError(),
        "huber" or "huber_loss" => new Huber(),
        "log_cosh" or "logcosh" => new LogCosh(),
        "kl_divergence" or "kld" => new KLDivergence(),
        "poisson" => new Poisson(),
        "hinge" => new Hinge(),
        "squared_hinge" => new SquaredHinge(),
        "categorical_hinge" => new CategoricalHinge(),
        "cosine_similarity" => new CosineSimilarity(),
        "binary_focal_crossentropy" => new BinaryFocalCrossentropy(),
        "categorical_focal_crossentropy" => new CategoricalFocalCrossentropy(),
        _ => throw new ArgumentException(
            $"Unknown loss '{name}'. Known losses: {string.Join(", ", Array.ConvertAll(KnownNames, n => $"'{n}'"))}.", nameof(name)),
    };

    /// <summary>Converts a Keras loss name to a loss; the same as the implicit conversion.</summary>
    /// <param name="name">The Keras name.</param>
    /// <returns>The loss.</returns>
    public static Loss FromName(string name) => name;

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>
    /// Whether the loss is computed from the pre-activation of an output with this activation, as Keras does for
    /// softmax + categorical cross-entropy and sigmoid + binary cross-entropy on probabilities.
    /// </summary>
    internal virtual bool FusesWith(Activation activation) => false;

    /// <summary>
    /// <see cref="Compute"/> for an output that carries a Keras mask, as Keras weighs it: the masked rows count for
    /// nothing, and the loss is the sum over the kept rows divided by their number (plus Keras's epsilon), so
    /// <c>Σ mask·loss / (Σ mask + 1e-7)</c>; the masked rows' gradient is zero.
    /// </summary>
    /// <param name="predictions">The output, [rows, cols].</param>
    /// <param name="targets">The targets, [rows, cols] or [rows] class indices.</param>
    /// <param name="gradient">Receives the scaled gradient, or empty.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="scale">The loss weight.</param>
    /// <param name="fused">As <see cref="Compute"/>'s.</param>
    /// <param name="mask">[rows], 1 kept and 0 masked.</param>
    /// <returns>The batch loss.</returns>
    internal double ComputeMasked(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows, int cols,
        float scale, bool fused, ReadOnlySpan<float> mask)
    {
        double valid = 0;
        for (int r = 0; r < rows; r++)
        {
            valid += mask[r] >= 0.5f ? 1 : 0;
        }

        return ComputeWeighted(predictions, targets, gradient, rows, cols, scale, fused, mask, valid + Epsilon, binary: true);
    }

    /// <summary>
    /// The loss with a weight per row, as Keras reduces <c>sample_weight</c> (and a mask, folded into the weights by the
    /// caller): <c>Σ weight·loss / denominator</c>, each row's gradient scaled by its weight over the denominator. Keras
    /// divides by the rows (<c>sum_over_batch_size</c>), or with a mask by the kept rows plus 1e-7.
    /// </summary>
    /// <param name="predictions">The output, [rows, cols].</param>
    /// <param name="targets">The targets, [rows, cols] or [rows] class indices.</param>
    /// <param name="gradient">Receives the scaled gradient, or empty.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="scale">The loss weight.</param>
    /// <param name="fused">As <see cref="Compute"/>'s.</param>
    /// <param name="weights">[rows], each row's weight (≥ 0).</param>
    /// <param name="denominator">What the weighted sum is divided by.</param>
    /// <param name="binary">Weights are a mask: below 0.5 is 0 and the rest 1.</param>
    /// <returns>The batch loss.</returns>
    internal virtual double ComputeWeighted(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows, int cols,
        float scale, bool fused, ReadOnlySpan<float> weights, double denominator, bool binary = false)
    {
        int targetWidth = rows == 0 ? 0 : targets.Length / rows;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            Span<float> g = gradient.IsEmpty ? default : gradient.Slice(r * cols, cols);
            double weight = RowWeight(weights, r, binary);
            if (weight == 0)
            {
                g.Clear();
                continue;
            }

            sum += weight * Compute(predictions.Slice(r * cols, cols), targets.Slice(r * targetWidth, targetWidth), g, 1, cols,
                (float)(scale * weight / denominator), fused);
        }

        return sum / denominator;
    }

    /// <summary>Row <paramref name="r"/>'s weight: 1 without weights; as a mask (below 0.5 is 0) when <paramref name="binary"/>.</summary>
    private protected static double RowWeight(ReadOnlySpan<float> weights, int r, bool binary)
        => weights.IsEmpty ? 1 : binary ? (weights[r] >= 0.5f ? 1 : 0) : weights[r];

    /// <summary>
    /// Computes the batch loss (mean over the <paramref name="rows"/> rows of each row's loss) and, unless
    /// <paramref name="gradient"/> is empty, writes <paramref name="scale"/> times its gradient with respect to the
    /// predictions, or with respect to the output layer's pre-activation when <paramref name="fused"/>.
    /// </summary>
    /// <param name="predictions">The output, [rows, cols].</param>
    /// <param name="targets">The targets: [rows, cols], or [rows] class indices for a sparse loss (already validated).</param>
    /// <param name="gradient">Receives the scaled gradient, [rows, cols]; empty to skip it.</param>
    /// <param name="rows">Batch size times the output's axes other than the last.</param>
    /// <param name="cols">The output's last axis.</param>
    /// <param name="scale">The loss weight.</param>
    /// <param name="fused">Predictions are softmax / sigmoid outputs and the gradient is for their input.</param>
    /// <returns>The batch loss.</returns>
    internal abstract double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused);
}
