using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Unrolled;

/// <summary>
/// Saves the model as training goes, as Keras's <c>ModelCheckpoint</c>: at the end of each epoch (or every
/// <see cref="SaveFrequency"/> batches), to a path that may hold Python-style fields filled from the epoch and the logs,
/// <c>"ckpt/model-{epoch:02d}-{val_loss:.2f}.unrw"</c>; with <see cref="SaveBestOnly"/>, only when the monitored quantity
/// improves. Files are written atomically (<see cref="CompiledModel.SaveWeights(string, bool)"/>): a crash leaves the
/// previous checkpoint whole.
/// </summary>
/// <remarks>Keras's <c>save_weights_only=False</c> saves the whole model; an Unrolled model's architecture is its class,
/// so the checkpoint then holds the weights with the optimizer's state and Dropout's random sequence (what resuming
/// needs), and with <see cref="SaveWeightsOnly"/> the weights alone.</remarks>
public sealed class ModelCheckpoint : MonitorCallback
{
    private int _epoch;
    private int _batchesSinceSave;

    /// <summary>Creates the callback with Keras's defaults.</summary>
    /// <param name="filePath">The path, with optional fields <c>{epoch}</c> (from 1), <c>{batch}</c> and any logged name,
    /// each with an optional format: <c>{epoch:02d}</c>, <c>{val_loss:.4f}</c>, <c>{loss:.3e}</c>.</param>
    /// <param name="monitor">The quantity <see cref="SaveBestOnly"/> watches.</param>
    /// <param name="verbose">1 to print each save.</param>
    /// <param name="saveBestOnly">Save only when the monitored quantity improves.</param>
    /// <param name="saveWeightsOnly">Save the weights alone, without the optimizer's state.</param>
    /// <param name="mode">The direction of improvement.</param>
    /// <param name="saveFrequency">Null to save at the end of each epoch; else every this many batches.</param>
    /// <param name="initialValueThreshold">A value the monitored quantity must beat before the first save (with
    /// <paramref name="saveBestOnly"/>).</param>
    public ModelCheckpoint(string filePath, string monitor = "val_loss", int verbose = 0, bool saveBestOnly = false, bool saveWeightsOnly = false,
        MonitorMode mode = MonitorMode.Auto, int? saveFrequency = null, double? initialValueThreshold = null)
        : base(monitor, mode, 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        if (saveFrequency is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(saveFrequency), saveFrequency, "saveFrequency must be at least 1 batch, or null for every epoch.");
        }

        FilePath = filePath;
        Verbose = verbose;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        SaveFrequency = saveFrequency;
        Best = initialValueThreshold;
        FormatPath(filePath, 0, null, new Logs()); // a malformed pattern fails here, not after the first epoch
    }

    /// <summary>The path pattern.</summary>
    public string FilePath { get; }

    /// <summary>1 to print each save.</summary>
    public int Verbose { get; }

    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>Whether the optimizer's state is left out.</summary>
    public bool SaveWeightsOnly { get; }

    /// <summary>Null for every epoch; else every this many batches.</summary>
    public int? SaveFrequency { get; }

    /// <summary>The path of the last file written, or null.</summary>
    public string? LastSaved { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Logs logs)
    {
        if (SaveBestOnly)
        {
            _ = HigherIsBetter;
        }

        _batchesSinceSave = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs) => _epoch = epoch;

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, Logs logs)
    {
        if (SaveFrequency is int every && ++_batchesSinceSave >= every)
        {
            _batchesSinceSave = 0;
            Save(_epoch, batch, logs);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs)
    {
        if (SaveFrequency is null)
        {
            Save(epoch, null, logs);
        }
    }

    private void Save(int epoch, int? batch, Logs logs)
    {
        string path = FormatPath(FilePath, epoch, batch, logs);
        if (SaveBestOnly)
        {
            if (MonitoredValue(logs) is not double current)
            {
                return;
            }

            if (!IsImprovement(current, Best))
            {
                if (Verbose > 0)
                {
                    Output.WriteLine($"Epoch {epoch + 1}: {Monitor} did not improve from {(Best is double b ? Format(b) : "None")}");
                }

                return;
            }

            if (Verbose > 0)
            {
                Output.WriteLine($"Epoch {epoch + 1}: {Monitor} improved from {(Best is double b ? Format(b) : "None")} to {Format(current)}, saving model to {path}");
            }

            Best = current;
        }
        else if (Verbose > 0)
        {
            Output.WriteLine($"Epoch {epoch + 1}: saving model to {path}");
        }

        if (Directory.Exists(path))
        {
            throw new IOException($"ModelCheckpoint's path '{path}' is a directory; give a file path such as '{Path.Combine(path, "model-{epoch:02d}.unrw")}'.");
        }

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        RequireModel().SaveWeights(path, includeOptimizer: !SaveWeightsOnly);
        LastSaved = path;
    }

    /// <summary>
    /// Fills Python-style fields, as Keras's <c>filepath.format(epoch=epoch + 1, **logs)</c>: <c>{name}</c> or
    /// <c>{name:spec}</c> with spec <c>d</c>, <c>0Nd</c>, <c>Nd</c>, <c>.Nf</c>, <c>.Ne</c>, <c>.Ng</c>; <c>{{</c> and
    /// <c>}}</c> for braces.
    /// </summary>
    /// <exception cref="ArgumentException">A field names nothing logged, or its format is not one of those.</exception>
    internal static string FormatPath(string pattern, int epoch, int? batch, Logs logs)
    {
        var text = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if ((c == '{' || c == '}') && i + 1 < pattern.Length && pattern[i + 1] == c)
            {
                text.Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                throw new ArgumentException($"ModelCheckpoint's path '{pattern}' has a '}}' without its '{{' (write '}}}}' for a brace).", "filePath");
            }

            if (c != '{')
            {
                text.Append(c);
                continue;
            }

            int end = pattern.IndexOf('}', i);
            if (end < 0)
            {
                throw new ArgumentException($"ModelCheckpoint's path '{pattern}' has a '{{' without its '}}'.", "filePath");
            }

            string field = pattern[(i + 1)..end];
            int colon = field.IndexOf(':');
            string name = colon < 0 ? field : field[..colon], spec = colon < 0 ? string.Empty : field[(colon + 1)..];
            double value;
            bool integer = false;
            if (name == "epoch")
            {
                (value, integer) = (epoch + 1, true);
            }
            else if (name == "batch" && batch is int b)
            {
                (value, integer) = (b + 1, true);
            }
            else if (name is "epoch" or "batch" && logs.Count == 0)
            {
                (value, integer) = (1, true);
            }
            else if (!logs.TryGetValue(name, out value))
            {
                if (logs.Count == 0)
                {
                    value = 0; // checking the pattern before training: the logs are not known yet
                }
                else
                {
                    throw new ArgumentException(
                        $"ModelCheckpoint's path '{pattern}' names '{name}', which is not logged. Logged: epoch, {string.Join(", ", logs.Keys)}.", "filePath");
                }
            }

            text.Append(Format(value, integer, spec, pattern));
            i = end;
        }

        return text.ToString();
    }

    private static string Format(double value, bool integer, string spec, string pattern)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (spec.Length == 0)
        {
            return integer ? ((long)value).ToString(invariant) : PythonRepr(value);
        }

        char kind = spec[^1];
        string body = spec[..^1];
        bool zeros = body.StartsWith('0') && body.Length > 1;
        if (kind == 'd' && int.TryParse(body.Length == 0 ? "0" : body, NumberStyles.None, invariant, out int width))
        {
            string digits = Math.Abs((long)value).ToString(invariant);
            string sign = value < 0 ? "-" : string.Empty;
            return zeros ? sign + digits.PadLeft(width - sign.Length, '0') : (sign + digits).PadLeft(width);
        }

        if (kind is 'f' or 'e' or 'g' && body.StartsWith('.') && int.TryParse(body[1..], NumberStyles.None, invariant, out int precision))
        {
            return kind switch
            {
                'f' => value.ToString("F" + precision.ToString(invariant), invariant),
                'e' => Exponent(value, precision),
                _ => value.ToString("G" + Math.Max(precision, 1).ToString(invariant), invariant),
            };
        }

        throw new ArgumentException(
            $"ModelCheckpoint's path '{pattern}' has the format '{spec}', which is not one of d, 0Nd, Nd, .Nf, .Ne, .Ng.", "filePath");
    }

    /// <summary>Python's <c>{:.Ne}</c>: one digit, N decimals, a signed exponent of at least two digits (1.50e-03).</summary>
    private static string Exponent(double value, int precision)
    {
        string text = value.ToString("E" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture); // 1.50E-003
        int e = text.IndexOf('E');
        int exponent = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
        return text[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>Python's <c>str(float)</c>: the shortest text that reads back as the same double.</summary>
    private static string PythonRepr(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') || text.Contains('N') || text.Contains('I') ? text : text + ".0";
    }
}
