using System;
using System.Globalization;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace Unrolled;

/// <summary>
/// Writes training's progress to an <see cref="ILogger"/> (Microsoft.Extensions.Logging): the start and end of
/// training at Information, each epoch's logs at Information (as structured values: <c>Epoch</c>, <c>Epochs</c>,
/// <c>Logs</c>), and each step's running logs at Trace.
/// </summary>
public sealed class LoggerCallback : Callback
{
    private static readonly Action<ILogger, string, int, Exception?> s_trainBegin =
        LoggerMessage.Define<string, int>(LogLevel.Information, new EventId(1, "TrainBegin"), "Training {Model} for {Epochs} epochs");

    private static readonly Action<ILogger, int, int, string, Exception?> s_epochEnd =
        LoggerMessage.Define<int, int, string>(LogLevel.Information, new EventId(2, "EpochEnd"), "Epoch {Epoch}/{Epochs}: {Logs}");

    private static readonly Action<ILogger, int, int, string, Exception?> s_batchEnd =
        LoggerMessage.Define<int, int, string>(LogLevel.Trace, new EventId(3, "BatchEnd"), "Epoch {Epoch} step {Step}: {Logs}");

    private static readonly Action<ILogger, string, string, Exception?> s_trainEnd =
        LoggerMessage.Define<string, string>(LogLevel.Information, new EventId(4, "TrainEnd"), "Training {Model} ended: {Logs}");

    private readonly ILogger _logger;
    private int _epoch;

    /// <summary>Creates the callback.</summary>
    /// <param name="logger">The logger.</param>
    public LoggerCallback(ILogger logger) => _logger = logger ?? throw new ArgumentNullException(nameof(logger));

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs) => s_trainBegin(_logger, RequireModel().Description.Name, Parameters?.Epochs ?? 0, null);

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs) => _epoch = epoch + 1;

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, Logs logs)
    {
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            s_batchEnd(_logger, _epoch, batch + 1, Text(logs), null);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs) => s_epochEnd(_logger, epoch + 1, Parameters?.Epochs ?? 0, Text(logs), null);

    /// <inheritdoc/>
    public override void OnTrainEnd(Logs logs) => s_trainEnd(_logger, RequireModel().Description.Name, Text(logs), null);

    private static string Text(Logs logs)
        => string.Join(" - ", logs.Select(p => $"{p.Key}: {p.Value.ToString("0.0000", CultureInfo.InvariantCulture)}"));
}
