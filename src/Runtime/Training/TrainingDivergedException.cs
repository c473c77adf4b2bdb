using System;

namespace Unrolled;

/// <summary>
/// Thrown by training when the loss (or the weights' gradient) stops being finite. The failing update is not applied,
/// so the model keeps the weights of the last finite step.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    internal TrainingDivergedException(string message, int epoch, int step, float loss, string? outputName)
        : base(message)
    {
        Epoch = epoch;
        Step = step;
        Loss = loss;
        OutputName = outputName;
    }

    /// <summary>The 1-based epoch of <c>Fit</c> in which training diverged, or 0 outside <c>Fit</c> (<c>TrainOnBatch</c>).</summary>
    public int Epoch { get; }

    /// <summary>The 1-based step within the epoch; outside <c>Fit</c>, the 1-based optimizer iteration.</summary>
    public int Step { get; }

    /// <summary>The total (weighted) loss of the failing step: NaN, or ±infinity, or finite when the gradient diverged.</summary>
    public float Loss { get; }

    /// <summary>The output whose loss was not finite, or null when the gradient was the problem.</summary>
    public string? OutputName { get; }
}
