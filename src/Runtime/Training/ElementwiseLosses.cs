using System;

namespace Unrolled;

/// <summary>
/// A Keras loss that is the mean over the last axis of a term of each prediction and its target (then, as every loss
/// here, the mean over the rows): the batch loss is the mean of the terms over every element, and each element's
/// gradient is its term's derivative over the element count.
/// </summary>
public abstract class ElementwiseLoss : Loss
{
    private protected ElementwiseLoss()
    {
    }

    /// <summary>The term of one prediction <paramref name="p"/> and its target <paramref name="y"/>, and its derivative
    /// with respect to <paramref name="p"/>; <paramref name="batch"/> is what <see cref="Inspect"/> found in the batch's
    /// targets.</summary>
    private protected abstract (double Value, double Derivative) Term(double p, double y, bool batch);

    /// <summary>A property of the whole batch's targets the terms depend on (false unless a loss says otherwise).</summary>
    private protected virtual bool Inspect(ReadOnlySpan<float> targets) => false;

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient,
        int rows, int cols, float scale, bool fused)
    {
        int count = rows * cols;
        if (count == 0)
        {
            return 0;
        }

        double sum = 0, factor = (double)scale / count;
        bool withGradient = !gradient.IsEmpty, batch = Inspect(targets[..count]);
        for (int i = 0; i < count; i++)
        {
            var (value, derivative) = Term(predictions[i], targets[i], batch);
            sum += value;
            if (withGradient)
            {
                gradient[i] = (float)(factor * derivative);
            }
        }

        return sum / count;
    }
}

/// <summary>Keras's <c>MeanAbsoluteError</c> (<c>"mae"</c>): the mean of |target − prediction|; the gradient of |x| at 0
/// is 0, as TensorFlow's.</summary>
public sealed class MeanAbsoluteError : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_error";

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch) => (Math.Abs(p - y), Math.Sign(p - y));
}

/// <summary>Keras's <c>MeanAbsolutePercentageError</c> (<c>"mape"</c>): the mean of 100 · |target − prediction| /
/// max(|target|, 1e-7).</summary>
public sealed class MeanAbsolutePercentageError : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_percentage_error";

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch)
    {
        double denominator = Math.Max(Math.Abs(y), Epsilon);
        return (100 * Math.Abs(y - p) / denominator, 100 * Math.Sign(p - y) / denominator);
    }
}

/// <summary>Keras's <c>MeanSquaredLogarithmicError</c> (<c>"msle"</c>): the mean of (log(max(prediction, 1e-7) + 1) −
/// log(max(target, 1e-7) + 1))².</summary>
public sealed class MeanSquaredLogarithmicError : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_logarithmic_error";

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch)
    {
        double clipped = Math.Max(p, Epsilon), d = Math.Log(clipped + 1) - Math.Log(Math.Max(y, Epsilon) + 1);
        return (d * d, p > Epsilon ? 2 * d / (clipped + 1) : 0);
    }
}

/// <summary>Keras's <c>Huber</c> (<c>"huber"</c>): with e = prediction − target, ½e² where |e| ≤ delta and
/// delta·|e| − ½delta² beyond, averaged.</summary>
public sealed class Huber : ElementwiseLoss
{
    /// <summary>A Huber loss.</summary>
    /// <param name="delta">Where the loss turns from quadratic to linear (Keras's default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    public Huber(double delta = 1.0)
    {
        if (!(delta > 0 && double.IsFinite(delta)))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber's delta must be positive and finite.");
        }

        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    public override string Name => "huber_loss";

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch)
    {
        double e = p - y;
        return Math.Abs(e) <= Delta ? (0.5 * e * e, e) : ((Delta * Math.Abs(e)) - (0.5 * Delta * Delta), Delta * Math.Sign(e));
    }
}

/// <summary>Keras's <c>LogCosh</c> (<c>"log_cosh"</c>): the mean of log(cosh(prediction − target)), computed as
/// x + softplus(−2x) − log 2 so that it does not overflow.</summary>
public sealed class LogCosh : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "log_cosh";

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch)
    {
        double x = p - y, softplus = Math.Max(-2 * x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(2 * x)));
        return (x + softplus - Math.Log(2), Math.Tanh(x));
    }
}

/// <summary>Keras's <c>Poisson</c> (<c>"poisson"</c>): the mean of prediction − target · log(prediction + 1e-7).</summary>
public sealed class Poisson : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "poisson";

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch) => (p - (y * Math.Log(p + Epsilon)), 1 - (y / (p + Epsilon)));
}

/// <summary>
/// Keras's <c>Hinge</c> (<c>"hinge"</c>) and <c>SquaredHinge</c> (<c>"squared_hinge"</c>): the mean of
/// max(1 − target · prediction, 0), squared for the second. Targets are −1 or 1; as in Keras, when every target of the
/// batch is 0 or 1 they are read as 2·target − 1.
/// </summary>
public abstract class HingeLoss : ElementwiseLoss
{
    private protected HingeLoss()
    {
    }

    /// <summary>Whether the margin is squared.</summary>
    private protected abstract bool Squared { get; }

    /// <summary>Whether every target of the batch is 0 or 1: Keras then reads them as −1 and 1.</summary>
    private protected override bool Inspect(ReadOnlySpan<float> targets)
    {
        foreach (float t in targets)
        {
            if (t is not (0f or 1f))
            {
                return false;
            }
        }

        return true;
    }

    private protected override (double Value, double Derivative) Term(double p, double y, bool batch)
    {
        double label = batch ? (2 * y) - 1 : y, margin = Math.Max(1 - (label * p), 0);
        return Squared ? (margin * margin, -2 * label * margin) : (margin, margin > 0 ? -label : 0);
    }
}

/// <summary>Keras's <c>Hinge</c> (<c>"hinge"</c>): the mean of max(1 − target · prediction, 0).</summary>
public sealed class Hinge : HingeLoss
{
    /// <inheritdoc/>
    public override string Name => "hinge";

    private protected override bool Squared => false;
}

/// <summary>Keras's <c>SquaredHinge</c> (<c>"squared_hinge"</c>): the mean of max(1 − target · prediction, 0)².</summary>
public sealed class SquaredHinge : HingeLoss
{
    /// <inheritdoc/>
    public override string Name => "squared_hinge";

    private protected override bool Squared => true;
}
