using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// What <c>Fit</c> returns, as Keras's <c>History</c>: one value per epoch for each logged quantity, keyed as Keras
/// keys them (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>; with several outputs also
/// <c>&lt;output&gt;_loss</c> and <c>&lt;output&gt;_accuracy</c>).
/// </summary>
public sealed class History
{
    private readonly Dictionary<string, List<double>> _lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<double>> _values = new(StringComparer.Ordinal);

    internal History()
    {
    }

    /// <summary>Per-epoch values by key, in the order Keras logs them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> Values => _values;

    /// <summary>Whether the Fit that recorded it was cancelled (its CancellationToken) before its last epoch: the epochs
    /// here are those that finished.</summary>
    public bool Cancelled { get; internal set; }

    /// <summary>The number of epochs recorded.</summary>
    public int Epochs { get; private set; }

    /// <summary>The per-epoch values of <paramref name="key"/>, as Keras's <c>history.history["loss"]</c>.</summary>
    /// <param name="key">A logged key such as <c>"loss"</c> or <c>"val_accuracy"</c>.</param>
    /// <returns>One value per epoch.</returns>
    /// <exception cref="KeyNotFoundException">Nothing was logged under <paramref name="key"/>; the message lists the keys.</exception>
    public IReadOnlyList<double> this[string key] => _values.TryGetValue(key, out var list)
        ? list
        : throw new KeyNotFoundException($"History has no '{key}'. Keys: {string.Join(", ", _values.Keys)}.");

    /// <summary>
    /// The curves as a self-contained SVG picture: losses in one panel, accuracy (and other metrics) in another, per
    /// epoch, validation series dashed. See <see cref="TrainingCurves"/>.
    /// </summary>
    /// <param name="title">A title over the panels, or none.</param>
    /// <returns>The SVG document; write it to a <c>.svg</c> file.</returns>
    public string ToSvg(string? title = null) => TrainingCurves.Svg(this, title);

    internal void Add(IReadOnlyList<KeyValuePair<string, double>> logs)
    {
        foreach (var (key, value) in logs)
        {
            if (!_lists.TryGetValue(key, out var list))
            {
                list = new List<double>();
                _lists.Add(key, list);
                _values.Add(key, list);
            }

            list.Add(value);
        }

        Epochs++;
    }
}
