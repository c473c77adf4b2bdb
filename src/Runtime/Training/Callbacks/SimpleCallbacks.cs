using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Unrolled;

/// <summary>
/// Writes each epoch's logs to a CSV file, as Keras's <c>CSVLogger</c>: a header <c>epoch,&lt;keys in alphabetical
/// order&gt;</c> (with the <c>val_</c> keys even before validation has run), then one row per epoch (from 0), flushed each
/// epoch so that the file is readable while training runs.
/// </summary>
public sealed class CSVLogger : Callback
{
    private StreamWriter? _writer;
    private string[]? _keys;
    private bool _writeHeader;

    /// <summary>Creates the callback.</summary>
    /// <param name="fileName">The file.</param>
    /// <param name="separator">The separator between fields.</param>
    /// <param name="append">Append to an existing file (its header is kept) instead of replacing it.</param>
    public CSVLogger(string fileName, string separator = ",", bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentException.ThrowIfNullOrEmpty(separator);
        FileName = fileName;
        Separator = separator;
        Append = append;
    }

    /// <summary>The file.</summary>
    public string FileName { get; }

    /// <summary>The separator.</summary>
    public string Separator { get; }

    /// <summary>Whether rows are appended to an existing file.</summary>
    public bool Append { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs)
    {
        _writer?.Dispose();
        _writeHeader = !(Append && File.Exists(FileName) && new FileInfo(FileName).Length > 0);
        _writer = new StreamWriter(FileName, Append);
        _keys = null;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs)
    {
        if (_writer is null)
        {
            return;
        }

        if (_keys is null)
        {
            var keys = logs.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (!keys.Any(k => k.StartsWith("val_", StringComparison.Ordinal)))
            {
                keys.AddRange(keys.Select(k => "val_" + k).ToList());
            }

            _keys = keys.ToArray();
            if (_writeHeader)
            {
                _writer.WriteLine(string.Join(Separator, new[] { "epoch" }.Concat(_keys)));
            }
        }

        var fields = new List<string> { epoch.ToString(CultureInfo.InvariantCulture) };
        fields.AddRange(_keys.Select(k => logs.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA"));
        _writer.WriteLine(string.Join(Separator, fields));
        _writer.Flush();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(Logs logs)
    {
        _writer?.Dispose();
        _writer = null;
    }
}

/// <summary>
/// Ends training at a NaN or infinite loss, as Keras's <c>TerminateOnNaN</c>. Without it <c>Fit</c> throws
/// <see cref="TrainingDivergedException"/>; with it, the failing step's update is not applied, the epoch ends there (its
/// finished steps logged), <c>Fit</c> returns its History, and the model keeps the weights of the last finite step (unless
/// an update itself overflowed them, a finite gradient times a huge learning rate: the message then says so). With
/// <see cref="RaiseError"/> the exception surfaces as without the callback.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    /// <summary>Creates the callback.</summary>
    /// <param name="raiseError">Throw <see cref="TrainingDivergedException"/> instead of ending quietly.</param>
    public TerminateOnNaN(bool raiseError = false) => RaiseError = raiseError;

    /// <summary>Whether the divergence throws.</summary>
    public bool RaiseError { get; }
}

/// <summary>
/// A callback from delegates, as Keras's <c>LambdaCallback</c>: each is called at its moment (null ones are skipped).
/// </summary>
public sealed class LambdaCallback : Callback
{
    private readonly Action<int, Logs>? _onEpochBegin, _onEpochEnd, _onTrainBatchBegin, _onTrainBatchEnd;
    private readonly Action<Logs>? _onTrainBegin, _onTrainEnd;

    /// <summary>Creates the callback.</summary>
    /// <param name="onEpochBegin">Called with the epoch (from 0) and its logs at its start.</param>
    /// <param name="onEpochEnd">Called with the epoch (from 0) and its logs at its end.</param>
    /// <param name="onTrainBatchBegin">Called with the batch (from 0) before each step.</param>
    /// <param name="onTrainBatchEnd">Called with the batch (from 0) and the running logs after each step.</param>
    /// <param name="onTrainBegin">Called when training starts.</param>
    /// <param name="onTrainEnd">Called when training ends.</param>
    public LambdaCallback(Action<int, Logs>? onEpochBegin = null, Action<int, Logs>? onEpochEnd = null, Action<int, Logs>? onTrainBatchBegin = null,
        Action<int, Logs>? onTrainBatchEnd = null, Action<Logs>? onTrainBegin = null, Action<Logs>? onTrainEnd = null)
    {
        _onEpochBegin = onEpochBegin;
        _onEpochEnd = onEpochEnd;
        _onTrainBatchBegin = onTrainBatchBegin;
        _onTrainBatchEnd = onTrainBatchEnd;
        _onTrainBegin = onTrainBegin;
        _onTrainEnd = onTrainEnd;
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs) => _onEpochBegin?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs) => _onEpochEnd?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnTrainBatchBegin(int batch, Logs logs) => _onTrainBatchBegin?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, Logs logs) => _onTrainBatchEnd?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs) => _onTrainBegin?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnTrainEnd(Logs logs) => _onTrainEnd?.Invoke(logs);
}

/// <summary>Where training stands, as <see cref="ProgressCallback"/> reports it to an <see cref="IProgress{T}"/>.</summary>
/// <param name="Epoch">The epoch, from 1 (as the progress bar counts).</param>
/// <param name="Step">Steps finished in the epoch.</param>
/// <param name="EpochEnded">Whether this is the epoch's end (its logs then include validation).</param>
/// <param name="Logs">A copy of the logs: the running means, or the epoch's.</param>
public sealed record TrainingProgress(int Epoch, int Step, bool EpochEnded, IReadOnlyDictionary<string, double> Logs);

/// <summary>
/// Reports training's progress to an <see cref="IProgress{T}"/> (a UI's <c>Progress&lt;T&gt;</c>, which runs its handler
/// on the thread that created it): after every <see cref="EveryBatches"/> steps and at each epoch's end, with a copy of
/// the logs.
/// </summary>
public sealed class ProgressCallback : Callback
{
    private readonly IProgress<TrainingProgress> _progress;
    private int _epoch;

    /// <summary>Creates the callback.</summary>
    /// <param name="progress">Where the reports go.</param>
    /// <param name="everyBatches">Report every this many steps (0: only at epochs' ends).</param>
    public ProgressCallback(IProgress<TrainingProgress> progress, int everyBatches = 1)
    {
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        ArgumentOutOfRangeException.ThrowIfNegative(everyBatches);
        EveryBatches = everyBatches;
    }

    /// <summary>Report every this many steps (0: only at epochs' ends).</summary>
    public int EveryBatches { get; }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs) => _epoch = epoch + 1;

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, Logs logs)
    {
        if (EveryBatches > 0 && (batch + 1) % EveryBatches == 0)
        {
            _progress.Report(new TrainingProgress(_epoch, batch + 1, false, new Dictionary<string, double>(logs)));
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs)
        => _progress.Report(new TrainingProgress(epoch + 1, -1, true, new Dictionary<string, double>(logs)));
}
