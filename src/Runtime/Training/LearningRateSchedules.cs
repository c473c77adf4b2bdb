using System;
using System.Collections.Generic;
using System.Linq;

namespace Unrolled;

/// <summary>
/// A learning rate that changes with the optimizer's step, as Keras's <c>keras.optimizers.schedules</c>: set an
/// optimizer's <see cref="Optimizer.Schedule"/> and each update uses the schedule's rate at the updates applied so far
/// (Keras's <c>optimizer.iterations</c>), which <see cref="Optimizer.LearningRate"/> then reports.
/// </summary>
/// <example><c>new Adam { Schedule = new ExponentialDecay(0.01, decaySteps: 1000, decayRate: 0.96) }</c></example>
/// <remarks>Derive from it for a schedule of your own, as from Keras's <c>LearningRateSchedule</c>: override
/// <see cref="At"/>. A rate that is NaN, infinite or negative stops training with an <see cref="InvalidOperationException"/>
/// naming the schedule and the iteration, before that update.</remarks>
public abstract class LearningRateSchedule
{
    /// <summary>Creates a schedule.</summary>
    protected LearningRateSchedule()
    {
    }

    /// <summary>The learning rate at a step.</summary>
    /// <param name="step">Updates applied so far (0 for the first).</param>
    /// <returns>The rate.</returns>
    public abstract double At(long step);

    /// <summary>Throws unless <paramref name="value"/> is positive and finite.</summary>
    private protected static double Positive(double value, string name)
        => value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be positive and finite.");

    /// <summary>Throws unless <paramref name="value"/> is finite and not negative.</summary>
    private protected static double NotNegative(double value, string name)
        => value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be finite and not negative.");
}

/// <summary>
/// The schedules of Keras's that decay with p = step / decaySteps (floored with <c>staircase</c>):
/// <see cref="ExponentialDecay"/> and <see cref="InverseTimeDecay"/>.
/// </summary>
public abstract class StepDecay : LearningRateSchedule
{
    private protected StepDecay(double initialLearningRate, double decaySteps, double decayRate, bool staircase)
    {
        (InitialLearningRate, DecaySteps, DecayRate, Staircase) =
            (NotNegative(initialLearningRate, nameof(initialLearningRate)), Positive(decaySteps, nameof(decaySteps)), NotNegative(decayRate, nameof(decayRate)), staircase);
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The steps p counts in.</summary>
    public double DecaySteps { get; }

    /// <summary>The decay rate.</summary>
    public double DecayRate { get; }

    /// <summary>Whether p is floored, so the rate changes only every decaySteps steps.</summary>
    public bool Staircase { get; }

    /// <inheritdoc/>
    public override double At(long step)
    {
        double p = step / DecaySteps;
        return Decay(Staircase ? Math.Floor(p) : p);
    }

    /// <summary>The rate at p.</summary>
    private protected abstract double Decay(double p);
}

/// <summary>Keras's <c>ExponentialDecay</c>: initial · decayRate^(step / decaySteps), the exponent floored with
/// <c>staircase</c>.</summary>
public sealed class ExponentialDecay : StepDecay
{
    /// <summary>The schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps per power of the rate.</param>
    /// <param name="decayRate">The factor per decaySteps steps.</param>
    /// <param name="staircase">Whether the rate changes only every decaySteps steps.</param>
    public ExponentialDecay(double initialLearningRate, double decaySteps, double decayRate, bool staircase = false)
        : base(initialLearningRate, decaySteps, decayRate, staircase)
    {
    }

    private protected override double Decay(double p) => InitialLearningRate * Math.Pow(DecayRate, p);
}

/// <summary>Keras's <c>InverseTimeDecay</c>: initial / (1 + decayRate · step / decaySteps), the ratio floored with
/// <c>staircase</c>.</summary>
public sealed class InverseTimeDecay : StepDecay
{
    /// <summary>The schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">The steps the decay rate counts.</param>
    /// <param name="decayRate">The decay rate.</param>
    /// <param name="staircase">Whether the rate changes only every decaySteps steps.</param>
    public InverseTimeDecay(double initialLearningRate, double decaySteps, double decayRate, bool staircase = false)
        : base(initialLearningRate, decaySteps, decayRate, staircase)
    {
    }

    private protected override double Decay(double p) => InitialLearningRate / (1 + (DecayRate * p));
}

/// <summary>Keras's <c>PiecewiseConstantDecay</c>: values[0] up to and including boundaries[0], values[i] on
/// (boundaries[i − 1], boundaries[i]], the last value after the last boundary.</summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly double[] _values;

    /// <summary>The schedule.</summary>
    /// <param name="boundaries">Increasing steps where the rate changes.</param>
    /// <param name="values">One more rate than boundaries.</param>
    /// <exception cref="ArgumentException">The counts do not match or the boundaries do not increase.</exception>
    public PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != boundaries.Count + 1)
        {
            throw new ArgumentException($"PiecewiseConstantDecay needs one more value than boundaries; got {boundaries.Count} boundaries and {values.Count} values.", nameof(values));
        }

        if (boundaries.Zip(boundaries.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException("PiecewiseConstantDecay's boundaries must increase.", nameof(boundaries));
        }

        _boundaries = boundaries.ToArray();
        _values = values.Select(v => NotNegative(v, nameof(values))).ToArray();
    }

    /// <inheritdoc/>
    public override double At(long step)
    {
        int i = 0;
        while (i < _boundaries.Length && step > _boundaries[i])
        {
            i++;
        }

        return _values[i];
    }
}

/// <summary>Keras's <c>PolynomialDecay</c>: (initial − end) · (1 − step / decaySteps)^power + end, the step held at
/// decaySteps (or with <c>cycle</c>, decaySteps stretched to the next multiple past the step).</summary>
public sealed class PolynomialDecay : LearningRateSchedule
{
    /// <summary>The schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps to reach the end rate.</param>
    /// <param name="endLearningRate">The rate reached.</param>
    /// <param name="power">The polynomial's power.</param>
    /// <param name="cycle">Whether to decay again past decaySteps.</param>
    public PolynomialDecay(double initialLearningRate, double decaySteps, double endLearningRate = 0.0001, double power = 1.0, bool cycle = false)
    {
        (InitialLearningRate, DecaySteps, EndLearningRate, Power, Cycle) = (NotNegative(initialLearningRate, nameof(initialLearningRate)),
            Positive(decaySteps, nameof(decaySteps)), NotNegative(endLearningRate, nameof(endLearningRate)), NotNegative(power, nameof(power)), cycle);
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Steps to reach the end rate.</summary>
    public double DecaySteps { get; }

    /// <summary>The rate reached.</summary>
    public double EndLearningRate { get; }

    /// <summary>The polynomial's power.</summary>
    public double Power { get; }

    /// <summary>Whether the decay starts again past decaySteps.</summary>
    public bool Cycle { get; }

    /// <inheritdoc/>
    public override double At(long step)
    {
        double s = step, steps = DecaySteps;
        if (Cycle)
        {
            steps *= s == 0 ? 1 : Math.Ceiling(s / DecaySteps);
        }
        else
        {
            s = Math.Min(s, steps);
        }

        return ((InitialLearningRate - EndLearningRate) * Math.Pow(1 - (s / steps), Power)) + EndLearningRate;
    }
}

/// <summary>
/// Keras's <c>CosineDecay</c>: with a warm-up target, the rate first rises linearly from the initial rate to it over
/// warmupSteps; then it decays from it (or from the initial rate) as ((1 − alpha) · ½(1 + cos(π · t / decaySteps)) + alpha),
/// t held at decaySteps.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>The schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps of the cosine decay.</param>
    /// <param name="alpha">The fraction of the rate kept at the end.</param>
    /// <param name="warmupTarget">The rate the warm-up reaches, or null for none.</param>
    /// <param name="warmupSteps">Steps of the warm-up.</param>
    public CosineDecay(double initialLearningRate, double decaySteps, double alpha = 0.0, double? warmupTarget = null, double warmupSteps = 0)
    {
        (InitialLearningRate, DecaySteps, Alpha) =
            (NotNegative(initialLearningRate, nameof(initialLearningRate)), Positive(decaySteps, nameof(decaySteps)), NotNegative(alpha, nameof(alpha)));
        WarmupTarget = warmupTarget is double target ? NotNegative(target, nameof(warmupTarget)) : null;
        WarmupSteps = NotNegative(warmupSteps, nameof(warmupSteps));
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Steps of the cosine decay.</summary>
    public double DecaySteps { get; }

    /// <summary>The fraction of the rate kept at the end.</summary>
    public double Alpha { get; }

    /// <summary>The rate the warm-up reaches, or null.</summary>
    public double? WarmupTarget { get; }

    /// <summary>Steps of the warm-up.</summary>
    public double WarmupSteps { get; }

    /// <inheritdoc/>
    public override double At(long step)
    {
        double Decay(double t, double from) => from * (((1 - Alpha) * 0.5 * (1 + Math.Cos(Math.PI * t / DecaySteps))) + Alpha);
        if (WarmupTarget is not double target)
        {
            return Decay(Math.Min(step, DecaySteps), InitialLearningRate);
        }

        double s = Math.Min(step, DecaySteps + WarmupSteps);
        return s < WarmupSteps
            ? ((target - InitialLearningRate) * (s / WarmupSteps)) + InitialLearningRate
            : Decay(s - WarmupSteps, target);
    }
}

/// <summary>
/// Keras's <c>CosineDecayRestarts</c> (SGDR): cosine decays over firstDecaySteps, then over tMul times as many steps,
/// each restart's rate scaled by mMul more, alpha the fraction kept at the end of each.
/// </summary>
public sealed class CosineDecayRestarts : LearningRateSchedule
{
    /// <summary>The schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="firstDecaySteps">Steps of the first decay.</param>
    /// <param name="tMul">How many times longer each decay is than the last.</param>
    /// <param name="mMul">The factor on each restart's rate.</param>
    /// <param name="alpha">The fraction of the rate kept at the end of each decay.</param>
    public CosineDecayRestarts(double initialLearningRate, double firstDecaySteps, double tMul = 2.0, double mMul = 1.0, double alpha = 0.0)
    {
        (InitialLearningRate, FirstDecaySteps, TMul, MMul, Alpha) = (NotNegative(initialLearningRate, nameof(initialLearningRate)),
            Positive(firstDecaySteps, nameof(firstDecaySteps)), Positive(tMul, nameof(tMul)), NotNegative(mMul, nameof(mMul)), NotNegative(alpha, nameof(alpha)));
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Steps of the first decay.</summary>
    public double FirstDecaySteps { get; }

    /// <summary>How many times longer each decay is than the last.</summary>
    public double TMul { get; }

    /// <summary>The factor on each restart's rate.</summary>
    public double MMul { get; }

    /// <summary>The fraction kept at the end of each decay.</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    public override double At(long step)
    {
        double fraction = step / FirstDecaySteps, restart;
        if (TMul == 1)
        {
            restart = Math.Floor(fraction);
            fraction -= restart;
        }
        else
        {
            restart = Math.Floor(Math.Log(1 - (fraction * (1 - TMul))) / Math.Log(TMul));
            double done = (1 - Math.Pow(TMul, restart)) / (1 - TMul);
            fraction = (fraction - done) / Math.Pow(TMul, restart);
        }

        double cosine = 0.5 * Math.Pow(MMul, restart) * (1 + Math.Cos(Math.PI * fraction));
        return InitialLearningRate * (((1 - Alpha) * cosine) + Alpha);
    }
}
