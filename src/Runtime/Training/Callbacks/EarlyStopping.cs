using System;

namespace Unrolled;

/// <summary>
/// Stops training when a monitored quantity has stopped improving, as Keras's <c>EarlyStopping</c>: after
/// <see cref="Patience"/> epochs without an improvement (from <see cref="StartFromEpoch"/> on) it sets
/// <see cref="CompiledModel.StopTraining"/>; with <see cref="RestoreBestWeights"/> the model ends with the weights of
/// the best epoch.
/// </summary>
public sealed class EarlyStopping : MonitorCallback
{
    private float[]? _bestWeights;
    private int _wait;

    /// <summary>Creates the callback with Keras's defaults.</summary>
    /// <param name="monitor">The quantity watched.</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="patience">Epochs without improvement after which training stops; ≥ 0.</param>
    /// <param name="verbose">1 to print when it stops and restores.</param>
    /// <param name="mode">The direction of improvement.</param>
    /// <param name="baseline">A value to beat: until an epoch improves on it, the patience runs out as if nothing improved.</param>
    /// <param name="restoreBestWeights">Whether the model ends with the weights of the epoch with the best value.</param>
    /// <param name="startFromEpoch">Epochs of warm-up before watching starts.</param>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, int verbose = 0, MonitorMode mode = MonitorMode.Auto,
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0)
        : base(monitor, mode, minDelta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(startFromEpoch);
        Patience = patience;
        Verbose = verbose;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
    }

    /// <summary>Epochs without improvement after which training stops.</summary>
    public int Patience { get; }

    /// <summary>1 to print when it stops and restores.</summary>
    public int Verbose { get; }

    /// <summary>The value to beat, or null.</summary>
    public double? Baseline { get; }

    /// <summary>Whether the model ends with the best epoch's weights.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>Epochs of warm-up before watching starts.</summary>
    public int StartFromEpoch { get; }

    /// <summary>The epoch (from 0) at which it stopped training, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The epoch (from 0) with the best value.</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs)
    {
        _ = HigherIsBetter; // an unknown direction fails before the first epoch, not after it
        _wait = 0;
        StoppedEpoch = 0;
        Best = null;
        _bestWeights = null;
        BestEpoch = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs)
    {
        if (MonitoredValue(logs) is not double current || epoch < StartFromEpoch)
        {
            return;
        }

        var model = RequireModel();
        if (RestoreBestWeights && _bestWeights is null)
        {
            _bestWeights = model.ReadOnlyWeights.ToArray();
            BestEpoch = epoch;
        }

        _wait++;
        if (IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights)
            {
                model.ReadOnlyWeights.CopyTo(_bestWeights);
            }

            if (Baseline is null || IsImprovement(current, Baseline))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            model.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(Logs logs)
    {
        if (StoppedEpoch > 0 && Verbose > 0)
        {
            Output.WriteLine($"Epoch {StoppedEpoch + 1}: early stopping");
        }

        if (RestoreBestWeights && _bestWeights is not null)
        {
            if (Verbose > 0)
            {
                Output.WriteLine($"Restoring model weights from the end of the best epoch: {BestEpoch + 1}.");
            }

            RequireModel().SetWeights(_bestWeights);
        }
    }
}
