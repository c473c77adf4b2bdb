using System;
using System.Globalization;

namespace Unrolled;

/// <summary>Whether a monitored quantity should go down or up (Keras's <c>mode</c>).</summary>
public enum MonitorMode
{
    /// <summary>Inferred from the name: losses and errors go down, accuracies and other scores up.</summary>
    Auto,

    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>
/// A callback that watches one logged quantity for improvement, as Keras's <c>MonitorCallback</c> (the base of
/// <see cref="EarlyStopping"/>, <see cref="ReduceLROnPlateau"/> and <see cref="ModelCheckpoint"/>): a value improves on
/// the best so far when it beats it by more than <see cref="MinDelta"/> in the direction of <see cref="Mode"/>.
/// </summary>
public abstract class MonitorCallback : Callback
{
    private protected MonitorCallback(string monitor, MonitorMode mode, double minDelta)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a MonitorMode value.");
        }

        if (!double.IsFinite(minDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be finite.");
        }

        Monitor = monitor;
        Mode = mode;
        MinDelta = Math.Abs(minDelta);
    }

    /// <summary>The logged quantity watched (<c>val_loss</c>, <c>accuracy</c>, …).</summary>
    public string Monitor { get; }

    /// <summary>The direction of improvement, as given.</summary>
    public MonitorMode Mode { get; }

    /// <summary>The least change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>The best value seen so far, or null.</summary>
    public double? Best { get; private protected set; }

    /// <summary>Whether higher is better, from <see cref="Mode"/> or, for Auto, from the name as Keras infers it.</summary>
    /// <exception cref="ArgumentException">Auto mode cannot tell from the name; pass Min or Max.</exception>
    private protected bool HigherIsBetter
    {
        get
        {
            if (Mode != MonitorMode.Auto)
            {
                return Mode == MonitorMode.Max;
            }

            string name = Monitor.StartsWith("val_", StringComparison.Ordinal) ? Monitor[4..] : Monitor;
            if (name == "loss" || name.EndsWith("_loss", StringComparison.Ordinal) || name.EndsWith("error", StringComparison.Ordinal) ||
                name == "learning_rate")
            {
                return false;
            }

            if (name.EndsWith("accuracy", StringComparison.Ordinal) || name.EndsWith("acc", StringComparison.Ordinal))
            {
                return true;
            }

            throw new ArgumentException(
                $"{GetType().Name} monitors '{Monitor}', and cannot tell whether it should go down or up: pass mode: MonitorMode.Min or " +
                "MonitorMode.Max.", "mode");
        }
    }

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="reference"/> (always, when there is none).</summary>
    private protected bool IsImprovement(double value, double? reference)
        => reference is not double r || (HigherIsBetter ? value - MinDelta > r : value + MinDelta < r);

    /// <summary>The monitored value in <paramref name="logs"/>, or null after writing a warning that lists what is logged
    /// (Keras warns and carries on).</summary>
    private protected double? MonitoredValue(Logs logs)
    {
        if (logs.TryGetValue(Monitor, out double value))
        {
            return value;
        }

        Output.WriteLine($"{GetType().Name}: '{Monitor}' is not logged, so it is not watched. Logged: {string.Join(", ", logs.Keys)}.");
        return null;
    }

    private protected static string Format(double value) => value.ToString("0.00000", CultureInfo.InvariantCulture);
}
