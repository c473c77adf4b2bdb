using System;
using System.Globalization;

namespace Unrolled;

/// <summary>
/// A weight penalty added to the loss, as Keras's <c>keras.regularizers</c>: l1·Σ|w| + l2·Σw². Create one with
/// <see cref="Regularizers"/> and give it to a layer: <c>Dense(64, kernelRegularizer: Regularizers.L2(1e-4))</c>.
/// </summary>
/// <param name="L1">The L1 factor.</param>
/// <param name="L2">The L2 factor.</param>
public sealed record Regularizer(double L1, double L2)
{
    /// <inheritdoc/>
    public override string ToString() => $"L1L2(l1={L1.ToString(CultureInfo.InvariantCulture)}, l2={L2.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>Keras's weight regularizers, for the layers' <c>kernelRegularizer</c> and <c>biasRegularizer</c> (and
/// <c>embeddingsRegularizer</c>, <c>recurrentRegularizer</c>).</summary>
public static class Regularizers
{
    /// <summary>Keras's <c>L1(l1=0.01)</c>: l1·Σ|w|.</summary>
    /// <param name="l1">The factor, finite and ≥ 0.</param>
    /// <returns>The regularizer.</returns>
    public static Regularizer L1(double l1 = 0.01) => new(Check(l1, nameof(l1)), 0);

    /// <summary>Keras's <c>L2(l2=0.01)</c>: l2·Σw².</summary>
    /// <param name="l2">The factor, finite and ≥ 0.</param>
    /// <returns>The regularizer.</returns>
    public static Regularizer L2(double l2 = 0.01) => new(0, Check(l2, nameof(l2)));

    /// <summary>Keras's <c>L1L2(l1=0.0, l2=0.0)</c>: l1·Σ|w| + l2·Σw².</summary>
    /// <param name="l1">The L1 factor.</param>
    /// <param name="l2">The L2 factor.</param>
    /// <returns>The regularizer.</returns>
    public static Regularizer L1L2(double l1 = 0, double l2 = 0) => new(Check(l1, nameof(l1)), Check(l2, nameof(l2)));

    private static double Check(double value, string name)
        => value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and ≥ 0.");
}
