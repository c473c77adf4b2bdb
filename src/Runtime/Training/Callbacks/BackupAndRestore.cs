using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace Unrolled;

/// <summary>
/// Lets a training run that was killed resume where it stopped, as Keras's <c>BackupAndRestore</c>: after each epoch (or
/// every <see cref="SaveFrequency"/> batches) it saves the weights, the optimizer's state and Dropout's random sequence in
/// <see cref="BackupDirectory"/>; when <c>Fit</c> starts and finds a backup there, it loads it and continues after the
/// last epoch the backup finished, shuffling as the first run would have, so that the resumed run ends with the weights
/// the uninterrupted one would have. When training ends normally the backup is deleted (unless
/// <see cref="DeleteCheckpoint"/> is false). Every file is written atomically.
/// </summary>
public sealed class BackupAndRestore : Callback
{
    private const string WeightsFile = "latest.unrw", StateFile = "training_metadata.json";
    private int _epoch;
    private int _batchesSinceSave;

    /// <summary>Creates the callback.</summary>
    /// <param name="backupDirectory">Where the backup lives (created when needed); one directory per training run.</param>
    /// <param name="saveFrequency">Null to back up at each epoch's end; else every this many batches too.</param>
    /// <param name="deleteCheckpoint">Delete the backup when training ends normally.</param>
    public BackupAndRestore(string backupDirectory, int? saveFrequency = null, bool deleteCheckpoint = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(backupDirectory);
        if (saveFrequency is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(saveFrequency), saveFrequency, "saveFrequency must be at least 1 batch, or null for every epoch.");
        }

        BackupDirectory = backupDirectory;
        SaveFrequency = saveFrequency;
        DeleteCheckpoint = deleteCheckpoint;
    }

    /// <summary>Where the backup lives.</summary>
    public string BackupDirectory { get; }

    /// <summary>Null for every epoch; else every this many batches too.</summary>
    public int? SaveFrequency { get; }

    /// <summary>Whether the backup is deleted when training ends normally.</summary>
    public bool DeleteCheckpoint { get; }

    /// <summary>The epoch (from 1) the last Fit resumed after, or null when it started afresh.</summary>
    public int? ResumedAfterEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs)
    {
        var model = RequireModel();
        ResumedAfterEpoch = null;
        _batchesSinceSave = 0;
        string weights = Path.Combine(BackupDirectory, WeightsFile), state = Path.Combine(BackupDirectory, StateFile);
        if (!File.Exists(weights))
        {
            return;
        }

        model.LoadWeights(weights, includeOptimizer: true);
        int epoch = File.Exists(state) ? ReadEpoch(state) : 0;
        model.ResumeEpoch = epoch;
        ResumedAfterEpoch = epoch;
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs) => _epoch = epoch;

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, Logs logs)
    {
        // A mid-epoch backup resumes at the start of that epoch (Keras too restarts the epoch).
        if (SaveFrequency is int every && ++_batchesSinceSave >= every)
        {
            _batchesSinceSave = 0;
            Save(_epoch);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs) => Save(epoch + 1);

    /// <inheritdoc/>
    public override void OnTrainEnd(Logs logs)
    {
        if (DeleteCheckpoint && Directory.Exists(BackupDirectory))
        {
            File.Delete(Path.Combine(BackupDirectory, WeightsFile));
            File.Delete(Path.Combine(BackupDirectory, StateFile));
            if (Directory.GetFileSystemEntries(BackupDirectory).Length == 0)
            {
                Directory.Delete(BackupDirectory);
            }
        }
    }

    private void Save(int finishedEpochs)
    {
        Directory.CreateDirectory(BackupDirectory);
        RequireModel().SaveWeights(Path.Combine(BackupDirectory, WeightsFile), includeOptimizer: true);
        string state = Path.Combine(BackupDirectory, StateFile), temporary = state + ".tmp";
        File.WriteAllText(temporary, "{\"epoch\": " + finishedEpochs.ToString(CultureInfo.InvariantCulture) + "}", Encoding.UTF8);
        File.Move(temporary, state, overwrite: true);
    }

    private static int ReadEpoch(string path)
    {
        string text = File.ReadAllText(path);
        int colon = text.IndexOf(':');
        int close = text.IndexOf('}');
        if (colon < 0 || close < colon || !int.TryParse(text.AsSpan(colon + 1, close - colon - 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
        {
            throw new InvalidDataException($"The backup's {path} is not the file BackupAndRestore writes ({{\"epoch\": N}}); delete the backup directory to start afresh.");
        }

        return epoch;
    }
}
