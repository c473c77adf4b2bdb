using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;

namespace Unrolled;

/// <summary>
/// A hook into <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c>, as Keras's <c>keras.callbacks.Callback</c>: override the methods for the
/// moments you need. Epochs and batches are counted from 0, as Keras counts them (<c>Epoch 1/10</c> is epoch 0).
/// </summary>
/// <remarks>
/// <para>A callback runs on the thread that called <c>Fit</c>, between steps, with the model free: it may call
/// <c>Predict</c>, <c>SaveWeights</c>, <c>SetWeights</c>, change a layer's <c>Trainable</c> or the optimizer's
/// <c>LearningRate</c>, and set <see cref="CompiledModel.StopTraining"/>; training the model from a callback
/// (<c>Fit</c>, <c>TrainOnBatch</c>, <c>Compile</c>) throws. An exception thrown by a callback stops <c>Fit</c> and
/// surfaces unchanged; <see cref="CompiledModel.History"/> then holds the epochs that finished.</para>
/// <para>The batch hooks' <see cref="Logs"/> is one object updated in place (so that a step allocates nothing): copy
/// what you keep. The epoch hooks get a new one each epoch, which the History records after every callback has seen
/// it (a callback may add entries, as <see cref="ReduceLROnPlateau"/> adds <c>learning_rate</c>).</para>
/// </remarks>
public abstract class Callback
{
    /// <summary>The model being trained or evaluated (Keras's <c>self.model</c>); set before the first hook runs.</summary>
    public CompiledModel? Model { get; private set; }

    /// <summary>What the running <c>Fit</c> was asked for (Keras's <c>self.params</c>); null outside <c>Fit</c>.</summary>
    public TrainingParameters? Parameters { get; private set; }

    internal void SetParameters(TrainingParameters parameters) => Parameters = parameters;

    /// <summary>Where <c>Fit</c> writes its progress (its <c>output</c>, or the console): for messages of verbose callbacks.</summary>
    protected TextWriter Output { get; private set; } = TextWriter.Null;

    internal void Bind(CompiledModel model, TextWriter output)
    {
        Model = model;
        Output = output;
    }

    /// <summary>The model; throws when the callback is used outside <c>Fit</c> or <c>Evaluate</c>.</summary>
    protected CompiledModel RequireModel()
        => Model ?? throw new InvalidOperationException($"{GetType().Name} is not attached to a model: pass it to Fit(callbacks: [...]).");

    /// <summary>Called once when <c>Fit</c> starts, before the first epoch.</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnTrainBegin(Logs logs)
    {
    }

    /// <summary>Called once when <c>Fit</c> ends (also after <see cref="CompiledModel.StopTraining"/> or a cancellation).</summary>
    /// <param name="logs">The last epoch's logs.</param>
    public virtual void OnTrainEnd(Logs logs)
    {
    }

    /// <summary>Called at the start of each epoch.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnEpochBegin(int epoch, Logs logs)
    {
    }

    /// <summary>Called at the end of each epoch, after validation.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="logs">The epoch's means (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, …); entries added here reach the History.</param>
    public virtual void OnEpochEnd(int epoch, Logs logs)
    {
    }

    /// <summary>Called before each training step.</summary>
    /// <param name="batch">The step within the epoch, from 0.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnTrainBatchBegin(int batch, Logs logs)
    {
    }

    /// <summary>Called after each training step.</summary>
    /// <param name="batch">The step within the epoch, from 0.</param>
    /// <param name="logs">The epoch's running means so far (updated in place: copy what you keep).</param>
    public virtual void OnTrainBatchEnd(int batch, Logs logs)
    {
    }

    /// <summary>Called when an evaluation starts: <c>Evaluate</c>, or the validation at the end of an epoch.</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnTestBegin(Logs logs)
    {
    }

    /// <summary>Called when an evaluation ends.</summary>
    /// <param name="logs">Its results (without the <c>val_</c> prefix).</param>
    public virtual void OnTestEnd(Logs logs)
    {
    }

    /// <summary>Called before each batch of an evaluation (<c>Evaluate</c>, or the validation after an epoch).</summary>
    /// <param name="batch">The batch within the evaluation, from 0.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnTestBatchBegin(int batch, Logs logs)
    {
    }

    /// <summary>Called after each batch of an evaluation.</summary>
    /// <param name="batch">The batch within the evaluation, from 0.</param>
    /// <param name="logs">The evaluation's running means so far (updated in place: copy what you keep).</param>
    public virtual void OnTestBatchEnd(int batch, Logs logs)
    {
    }

    /// <summary>Called when <c>Predict</c> starts (given callbacks: <c>Predict(x, callbacks: [...])</c>).</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictBegin(Logs logs)
    {
    }

    /// <summary>Called when <c>Predict</c> ends.</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictEnd(Logs logs)
    {
    }

    /// <summary>Called before each batch of <c>Predict</c>.</summary>
    /// <param name="batch">The batch, from 0.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictBatchBegin(int batch, Logs logs)
    {
    }

    /// <summary>Called after each batch of <c>Predict</c>. Keras passes the batch's outputs in the logs; here the outputs
    /// are in the arrays <c>Predict</c> returns (the logs hold numbers only), filled up to this batch.</summary>
    /// <param name="batch">The batch, from 0.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictBatchEnd(int batch, Logs logs)
    {
    }
}

/// <summary>What a <c>Fit</c> was asked for, as Keras's callback <c>params</c>.</summary>
/// <param name="Epochs">The last epoch (<c>epochs</c>).</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="Verbose">The verbosity.</param>
public sealed record TrainingParameters(int Epochs, int Steps, int Verbose);

/// <summary>
/// The logs a <see cref="Callback"/> receives, as Keras's <c>logs</c> dictionary: names (<c>loss</c>, <c>val_accuracy</c>)
/// to values, in the order Keras logs them. Entries may be added or changed with the indexer.
/// </summary>
public sealed class Logs : IReadOnlyDictionary<string, double>
{
    private readonly List<string> _keys = new();
    private readonly List<double> _values = new();

    /// <summary>Creates empty logs.</summary>
    public Logs()
    {
    }

    /// <summary>Creates logs holding <paramref name="entries"/>, in order.</summary>
    /// <param name="entries">The entries.</param>
    public Logs(IEnumerable<KeyValuePair<string, double>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var (key, value) in entries)
        {
            this[key] = value;
        }
    }

    /// <summary>A value by name; setting a name that is not there adds it at the end.</summary>
    /// <param name="key">The name.</param>
    /// <exception cref="KeyNotFoundException">Reading a name that is not logged; the message lists those that are.</exception>
    public double this[string key]
    {
        get => TryGetValue(key, out double value)
            ? value
            : throw new KeyNotFoundException($"The logs have no '{key}'. They have: {string.Join(", ", _keys)}.");
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            int i = _keys.IndexOf(key);
            if (i >= 0)
            {
                _values[i] = value;
            }
            else
            {
                _keys.Add(key);
                _values.Add(value);
            }
        }
    }

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _keys;

    /// <inheritdoc/>
    public IEnumerable<double> Values => _values;

    /// <inheritdoc/>
    public int Count => _keys.Count;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _keys.IndexOf(key) >= 0;

    /// <inheritdoc/>
    public bool TryGetValue(string key, out double value)
    {
        int i = _keys.IndexOf(key);
        value = i >= 0 ? _values[i] : 0;
        return i >= 0;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator()
    {
        for (int i = 0; i < _keys.Count; i++)
        {
            yield return new KeyValuePair<string, double>(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString()
        => string.Join(" - ", System.Linq.Enumerable.Select(this, p => $"{p.Key}: {p.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}"));

    /// <summary>Sets the entry at <paramref name="index"/> without looking up its name (the batch logs' keys never change).</summary>
    internal void SetAt(int index, string key, double value)
    {
        if (index < _keys.Count)
        {
            _values[index] = value;
            return;
        }

        _keys.Add(key);
        _values.Add(value);
    }

    internal void Clear()
    {
        _keys.Clear();
        _values.Clear();
    }
}
