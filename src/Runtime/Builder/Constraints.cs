using System;
using System.Globalization;

namespace Unrolled;

/// <summary>
/// A constraint applied to a weight after every optimizer update, as Keras's <c>keras.constraints</c>. Create one with
/// <see cref="Constraints"/>: <c>Dense(64, kernelConstraint: Constraints.MaxNorm(3))</c>.
/// </summary>
/// <param name="Kind">MaxNorm, MinMaxNorm, UnitNorm or NonNeg.</param>
/// <param name="MinValue">MinMaxNorm's lower bound.</param>
/// <param name="MaxValue">MaxNorm's and MinMaxNorm's upper bound.</param>
/// <param name="Rate">MinMaxNorm's rate.</param>
/// <param name="Axes">The axes the norms run over (Keras's <c>axis</c>), counted from 0.</param>
public sealed record Constraint(string Kind, double MinValue, double MaxValue, double Rate, int[] Axes)
{
    /// <inheritdoc/>
    public override string ToString()
        => $"{Kind}(min={MinValue.ToString(CultureInfo.InvariantCulture)}, max={MaxValue.ToString(CultureInfo.InvariantCulture)}, rate={Rate.ToString(CultureInfo.InvariantCulture)}, axis=[{string.Join(", ", Axes)}])";
}

/// <summary>Keras's weight constraints, for the layers' <c>kernelConstraint</c> and <c>biasConstraint</c>.</summary>
public static class Constraints
{
    /// <summary>Keras's <c>MaxNorm(max_value=2, axis=0)</c>: each slice's L2 norm over <paramref name="axis"/> is scaled
    /// down to at most <paramref name="maxValue"/> (w · min(n, max) / (ε + n)).</summary>
    /// <param name="maxValue">The largest norm.</param>
    /// <param name="axis">The axis the norms run over (for a convolution kernel Keras suggests [0, 1, 2]).</param>
    /// <returns>The constraint.</returns>
    public static Constraint MaxNorm(double maxValue = 2, int axis = 0) => new("MaxNorm", 0, NotNegative(maxValue, nameof(maxValue)), 1, [axis]);

    /// <summary>Keras's <c>MaxNorm</c> over several axes.</summary>
    /// <param name="maxValue">The largest norm.</param>
    /// <param name="axis">The axes the norms run over.</param>
    /// <returns>The constraint.</returns>
    public static Constraint MaxNorm(double maxValue, int[] axis) => new("MaxNorm", 0, NotNegative(maxValue, nameof(maxValue)), 1, axis);

    /// <summary>Keras's <c>MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)</c>: the norms move towards [min, max] by
    /// <paramref name="rate"/> (w · (rate · clip(n, min, max) + (1 − rate) · n) / (ε + n)).</summary>
    /// <param name="minValue">The smallest norm.</param>
    /// <param name="maxValue">The largest norm.</param>
    /// <param name="rate">How far towards the range, in [0, 1].</param>
    /// <param name="axis">The axis the norms run over.</param>
    /// <returns>The constraint.</returns>
    public static Constraint MinMaxNorm(double minValue = 0, double maxValue = 1, double rate = 1, int axis = 0)
        => new("MinMaxNorm", NotNegative(minValue, nameof(minValue)), NotNegative(maxValue, nameof(maxValue)), NotNegative(rate, nameof(rate)), [axis]);

    /// <summary>Keras's <c>UnitNorm(axis=0)</c>: each slice divided by its L2 norm (plus ε).</summary>
    /// <param name="axis">The axis the norms run over.</param>
    /// <returns>The constraint.</returns>
    public static Constraint UnitNorm(int axis = 0) => new("UnitNorm", 0, 0, 1, [axis]);

    /// <summary>Keras's <c>NonNeg()</c>: negative weights become 0.</summary>
    /// <returns>The constraint.</returns>
    public static Constraint NonNeg() => new("NonNeg", 0, 0, 1, []);

    private static double NotNegative(double value, string name)
        => value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and ≥ 0.");
}
