using System;
using System.Globalization;

namespace Unrolled;

/// <summary>
/// Sets the learning rate at the start of each epoch from a function of the epoch (from 0) and the current rate, as
/// Keras's <c>LearningRateScheduler</c>; the rate is logged as <c>learning_rate</c>. For a rate that changes every step,
/// give the optimizer a <see cref="Optimizer.Schedule"/> instead (the two cannot be combined).
/// </summary>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, double, double> _schedule;

    /// <summary>Creates the callback.</summary>
    /// <param name="schedule">The rate for an epoch (from 0), given the current rate.</param>
    /// <param name="verbose">1 to print each change.</param>
    public LearningRateScheduler(Func<int, double, double> schedule, int verbose = 0)
    {
        _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Verbose = verbose;
    }

    /// <summary>1 to print each change.</summary>
    public int Verbose { get; }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs)
    {
        var optimizer = RateOf(this);
        double rate = _schedule(epoch, optimizer.LearningRate);
        if (!double.IsFinite(rate) || rate < 0)
        {
            throw new InvalidOperationException(
                $"The LearningRateScheduler's schedule gave {rate.ToString(CultureInfo.InvariantCulture)} for epoch {epoch}; a learning rate " +
                "must be finite and ≥ 0. Training stopped before the epoch, with the weights of the epoch before.");
        }

        optimizer.LearningRate = (float)rate;
        if (Verbose > 0)
        {
            Output.WriteLine($"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {optimizer.LearningRate.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs) => logs["learning_rate"] = RateOf(this).LearningRate;

    /// <summary>The compiled optimizer, whose rate a callback may set.</summary>
    internal static Optimizer RateOf(Callback callback)
    {
        var optimizer = callback.Model?.Optimizer
            ?? throw new InvalidOperationException($"{callback.GetType().Name} needs a compiled model: pass it to Fit(callbacks: [...]).");
        if (optimizer.Schedule is not null)
        {
            throw new InvalidOperationException(
                $"{callback.GetType().Name} sets the learning rate, but the optimizer has a Schedule, which sets it every step: use one of them.");
        }

        return optimizer;
    }
}

/// <summary>
/// Lowers the learning rate when a monitored quantity has stopped improving, as Keras's <c>ReduceLROnPlateau</c>: after
/// <see cref="Patience"/> epochs without an improvement the rate is multiplied by <see cref="Factor"/> (not below
/// <see cref="MinLearningRate"/>), then <see cref="Cooldown"/> epochs pass before watching resumes. The rate is logged
/// as <c>learning_rate</c>.
/// </summary>
public sealed class ReduceLROnPlateau : MonitorCallback
{
    private int _wait;
    private int _cooldownCounter;

    /// <summary>Creates the callback with Keras's defaults.</summary>
    /// <param name="monitor">The quantity watched.</param>
    /// <param name="factor">The factor the rate is multiplied by, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before the rate is lowered.</param>
    /// <param name="verbose">1 to print each change.</param>
    /// <param name="mode">The direction of improvement.</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="cooldown">Epochs after a change before watching resumes.</param>
    /// <param name="minLearningRate">The lowest rate.</param>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, int verbose = 0, MonitorMode mode = MonitorMode.Auto,
        double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0)
        : base(monitor, mode, minDelta)
    {
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau's factor must lie in (0, 1), as Keras requires factor < 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(minLearningRate >= 0) || !double.IsFinite(minLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "minLearningRate must be finite and ≥ 0.");
        }

        Factor = factor;
        Patience = patience;
        Verbose = verbose;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
    }

    /// <summary>The factor the rate is multiplied by.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement before the rate is lowered.</summary>
    public int Patience { get; }

    /// <summary>1 to print each change.</summary>
    public int Verbose { get; }

    /// <summary>Epochs after a change before watching resumes.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate.</summary>
    public double MinLearningRate { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs)
    {
        _ = HigherIsBetter;
        Best = null;
        _cooldownCounter = 0;
        _wait = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs)
    {
        var optimizer = LearningRateScheduler.RateOf(this);
        logs["learning_rate"] = optimizer.LearningRate;
        if (MonitoredValue(logs) is not double current)
        {
            return;
        }

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }

        if (IsImprovement(current, Best))
        {
            Best = current;
            _wait = 0;
        }
        else if (_cooldownCounter == 0 && ++_wait >= Patience)
        {
            double old = optimizer.LearningRate;
            if (old > (float)MinLearningRate)
            {
                double lowered = Math.Max(old * Factor, MinLearningRate);
                optimizer.LearningRate = (float)lowered;
                if (Verbose > 0)
                {
                    Output.WriteLine($"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {optimizer.LearningRate.ToString(CultureInfo.InvariantCulture)}.");
                }

                _cooldownCounter = Cooldown;
                _wait = 0;
            }
        }
    }
}
