using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// What <c>Compile</c> fixed: the optimizer, each output's loss, weight, fusion and metrics, and where each output's
/// targets live in <see cref="Workspace"/>'s target buffer. Built once so a training step only reads arrays; for a model
/// with run-time lengths the target layout is re-arranged (without allocating) whenever the lengths change.
/// </summary>
internal sealed class CompiledTraining
{
    public CompiledTraining(ModelDescription description, Optimizer optimizer, Loss?[] losses, float[] lossWeights,
        Metric[][] metrics, WorkspaceLayout layout, int[]? weightedFrom = null)
    {
        int outputs = description.Outputs.Count;
        WeightedFrom = new int[outputs];
        Optimizer = optimizer;
        Losses = losses;
        LossWeights = lossWeights;
        Fused = new bool[outputs];
        Columns = new int[outputs];
        RowsPerSample = new int[outputs];
        TargetOffsets = new int[outputs];
        TargetSizes = new int[outputs];
        Metrics = new Metric[outputs][];
        for (int j = 0; j < outputs; j++)
        {
            TensorInfo info = description.Outputs[j];
            Loss? loss = losses[j];
            int last = info.Shape.Count == 0 ? 1 : info.Shape[^1];
            if (last < 0 && (loss is CategoricalCrossentropy || loss is { IsSparse: true }))
            {
                throw new ArgumentException(
                    $"Output '{info.Name}' has shape {info.KerasShape}: its last axis, the classes of {loss.Name}, is known only at run " +
                    "time. A categorical loss needs a fixed number of classes.", "loss");
            }

            // An output whose last axis is a run-time length is compared element by element.
            Columns[j] = last < 0 ? 1 : last;
            if (loss is null)
            {
                Metrics[j] = [];
                continue;
            }

            Fused[j] = loss.FusesWith(info.Activation);
            Metrics[j] = metrics[j];
            WeightedFrom[j] = weightedFrom?[j] ?? metrics[j].Length;
        }

        Arrange(layout);
        MultiOutput = outputs > 1;
        OutputNames = new string[outputs];
        for (int j = 0; j < outputs; j++)
        {
            OutputNames[j] = description.Outputs[j].Name;
        }

        MetricKeys = new string[outputs][];
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < outputs; j++)
        {
            MetricKeys[j] = new string[Metrics[j].Length];
            for (int m = 0; m < Metrics[j].Length; m++)
            {
                // Keras's CompileMetrics.result: a weighted metric named as an unweighted one is logged as weighted_<name>.
                string key = MetricKey(j, Metrics[j][m].Name);
                if (m >= WeightedFrom[j] && used.Contains(key))
                {
                    key = MetricKey(j, "weighted_" + Metrics[j][m].Name);
                }

                used.Add(key);
                MetricKeys[j][m] = key;
            }
        }

        BatchLosses = new double[outputs];
        Train = new LossTotals(this);

        // State the forward pass updates in the weight buffer (BatchNormalization's moving statistics): kept aside at
        // each step's start, so that a step that fails can put it back.
        var state = new List<(int Offset, int Size)>();
        int stateSize = 0;
        foreach (WeightInfo weight in description.Weights)
        {
            if (!weight.Trainable)
            {
                state.Add((weight.Offset, weight.Size));
                stateSize += weight.Size;
            }
        }

        StateRanges = state.ToArray();
        var regularized = new List<WeightInfo>();
        foreach (WeightInfo weight in description.Weights)
        {
            if (weight.L1 > 0 || weight.L2 > 0)
            {
                regularized.Add(weight);
            }
        }

        Regularized = regularized.ToArray();
        var constrained = new List<(int, WeightInfo, WeightConstraint)>();
        for (int w = 0; w < description.Weights.Count; w++)
        {
            var weight = description.Weights[w];
            if (weight.Constraint is { } text)
            {
                constrained.Add((w, weight, WeightConstraint.Parse(text, [.. weight.Shape], weight.ToString())));
            }
        }

        Constrained = constrained.ToArray();
        StateBackup = new float[stateSize];

        // Embedding tables whose unused rows a step can leave alone: their gradient is zero outside the rows the ids
        // name, nothing else adds to it (no regularizer), nothing rewrites every row after the update (no constraint),
        // and the optimizer leaves a weight with a zero gradient as it is.
        var tables = new List<(int, WeightInfo)>();
        var dense = new List<(int Offset, int Size)>();
        int from = 0;
        for (int w = 0; w < description.Weights.Count && optimizer.UpdatesRowsAlone; w++)
        {
            var weight = description.Weights[w];
            if (weight is { RowSparse: true, Trainable: true, L1: 0, L2: 0, Constraint: null } && weight.Size > 0)
            {
                tables.Add((w, weight));
                dense.Add((from, weight.Offset - from));
                from = weight.Offset + weight.Size;
            }
        }

        dense.Add((from, description.ParameterCount - from));
        RowTables = tables.ToArray();
        DenseRuns = dense.FindAll(r => r.Size > 0).ToArray();
    }

    /// <summary>
    /// The embedding tables a training step clears, checks and updates only in the rows its ids name (index in the
    /// description's weights, the weight), in the order of the weight buffer; empty when the optimizer changes weights
    /// whose gradient is zero (then every step updates every weight).
    /// </summary>
    public (int Index, WeightInfo Weight)[] RowTables { get; }

    /// <summary>The weight buffer without <see cref="RowTables"/>: the runs a step clears and checks whole.</summary>
    public (int Offset, int Size)[] DenseRuns { get; }

    /// <summary>The weights with a constraint: index in the description's weights, the weight, its parsed form.</summary>
    public (int Index, WeightInfo Weight, WeightConstraint Constraint)[] Constrained { get; }

    /// <summary>The weights with a regularizer (Keras's <c>kernel_regularizer</c>, …).</summary>
    public WeightInfo[] Regularized { get; }

    /// <summary>
    /// Keras's regularization losses (<c>model.losses</c>): Σ over the regularized weights of l1·Σ|w| + l2·Σw², which
    /// Keras adds to the loss of training and evaluation; with <paramref name="gradients"/>, their gradients
    /// l1·sign(w) + 2·l2·w are added too.
    /// </summary>
    public double Regularization(ReadOnlySpan<float> weights, Span<float> gradients = default)
    {
        double total = 0;
        foreach (var weight in Regularized)
        {
            ReadOnlySpan<float> w = weights.Slice(weight.Offset, weight.Size);
            double absolute = 0, squares = 0;
            float l1 = (float)weight.L1, twoL2 = (float)(2 * weight.L2);
            Span<float> g = gradients.IsEmpty ? default : gradients.Slice(weight.Offset, weight.Size);
            for (int i = 0; i < w.Length; i++)
            {
                absolute += Math.Abs(w[i]);
                squares += (double)w[i] * w[i];
                if (!g.IsEmpty)
                {
                    g[i] += (l1 * MathF.Sign(w[i])) + (twoL2 * w[i]);
                }
            }

            total += (weight.L1 * absolute) + (weight.L2 * squares);
        }

        return total;
    }

    /// <summary>Where the non-trainable weights (state a training step's forward pass updates) lie in the weight buffer.</summary>
    public (int Offset, int Size)[] StateRanges { get; }

    /// <summary>A copy of that state from the start of the current step.</summary>
    public float[] StateBackup { get; }

    /// <summary>Copies the state out of <paramref name="weights"/> (allocates nothing).</summary>
    public void SaveState(ReadOnlySpan<float> weights)
    {
        int at = 0;
        foreach (var (offset, size) in StateRanges)
        {
            weights.Slice(offset, size).CopyTo(StateBackup.AsSpan(at, size));
            at += size;
        }
    }

    /// <summary>Puts the state saved by <see cref="SaveState"/> back into <paramref name="weights"/>.</summary>
    public void RestoreState(Span<float> weights)
    {
        int at = 0;
        foreach (var (offset, size) in StateRanges)
        {
            StateBackup.AsSpan(at, size).CopyTo(weights.Slice(offset, size));
            at += size;
        }
    }

    public Optimizer Optimizer { get; }

    /// <summary>The sample or class weights of the running Fit, or null.</summary>
    public SampleWeighting? Weighting { get; set; }

    /// <summary>Per output; null when a dictionary of losses left the output out (it is then not trained).</summary>
    public Loss?[] Losses { get; }

    public float[] LossWeights { get; }

    /// <summary>Per output: the loss's gradient is taken with respect to the softmax / sigmoid input.</summary>
    public bool[] Fused { get; }

    /// <summary>Per output: the last axis (classes for the cross-entropies).</summary>
    public int[] Columns { get; }

    /// <summary>Per output: rows of the last axis in one sample (1 for a vector output).</summary>
    public int[] RowsPerSample { get; }

    /// <summary>Per output: floats per sample before its targets in the workspace's target buffer.</summary>
    public int[] TargetOffsets { get; }

    /// <summary>Per output: target floats per sample (the output's size, or one label per row when sparse).</summary>
    public int[] TargetSizes { get; }

    /// <summary>Floats per sample in the workspace's target buffer, across all outputs.</summary>
    public int TargetSize { get; private set; }

    /// <summary>Lays out the targets for the outputs' sizes in <paramref name="layout"/> (the current run-time lengths).</summary>
    public void Arrange(WorkspaceLayout layout)
    {
        int offset = 0;
        for (int j = 0; j < Losses.Length; j++)
        {
            int size = layout.OutputSize(j);
            RowsPerSample[j] = size / Math.Max(Columns[j], 1);
            Loss? loss = Losses[j];
            if (loss is null)
            {
                TargetOffsets[j] = 0;
                TargetSizes[j] = 0;
                continue;
            }

            TargetOffsets[j] = offset;
            TargetSizes[j] = loss.IsSparse ? RowsPerSample[j] : size;
            offset = checked(offset + TargetSizes[j]);
        }

        TargetSize = offset;
    }

    /// <summary>Per output: its metrics, the unweighted ones first, then from <see cref="WeightedFrom"/> the weighted ones.</summary>
    public Metric[][] Metrics { get; }

    /// <summary>Per output: the index of its first weighted metric (Keras's <c>weighted_metrics</c>).</summary>
    public int[] WeightedFrom { get; }

    /// <summary>Per output and metric: the key it is logged under.</summary>
    public string[][] MetricKeys { get; }

    public bool MultiOutput { get; }

    public string[] OutputNames { get; }

    /// <summary>Scratch for one step's per-output losses, so a step allocates nothing.</summary>
    public double[] BatchLosses { get; }

    /// <summary>Running totals of the training steps since the epoch began.</summary>
    public LossTotals Train { get; }

    /// <summary>The 1-based epoch of the running <c>Fit</c>, or 0.</summary>
    public int Epoch { get; set; }

    /// <summary>The 1-based step of the running <c>Fit</c>'s epoch.</summary>
    public int Step { get; set; }

    /// <summary>The key Keras logs an output's loss under.</summary>
    public string OutputLossKey(int output) => OutputNames[output] + "_loss";

    /// <summary>The key Keras logs a metric under: bare for one output, prefixed by the output's name for several.</summary>
    private string MetricKey(int output, string name) => MultiOutput ? OutputNames[output] + "_" + name : name;
}

/// <summary>Sample-weighted running means of the losses and metrics, as Keras's <c>Mean</c> trackers.</summary>
internal sealed class LossTotals
{
    private readonly CompiledTraining _training;
    private readonly double[] _outputLosses;
    private readonly MetricState[][] _metrics;
    private double _loss;
    private long _samples;

    public LossTotals(CompiledTraining training)
    {
        _training = training;
        int outputs = training.Losses.Length;
        _outputLosses = new double[outputs];
        _metrics = new MetricState[outputs][];
        NewStates();
    }

    /// <summary>Fresh metric states (each metric accumulates over one epoch or one evaluation).</summary>
    private void NewStates()
    {
        for (int j = 0; j < _metrics.Length; j++)
        {
            var loss = _training.Losses[j];
            _metrics[j] = loss is null ? [] : Array.ConvertAll(_training.Metrics[j], m => m.Create(loss, _training.Columns[j]));
        }
    }

    public void Reset()
    {
        _loss = 0;
        _samples = 0;
        Array.Clear(_outputLosses);
        NewStates();
    }

    /// <summary>Adds a batch's total loss and per-output losses, weighted by its size as Keras weights batch means.</summary>
    public void AddLosses(double total, ReadOnlySpan<double> outputLosses, int batchSize)
    {
        _loss += total * batchSize;
        for (int j = 0; j < _outputLosses.Length; j++)
        {
            _outputLosses[j] += outputLosses[j] * batchSize;
        }

        _samples += batchSize;
    }

    /// <summary>
    /// Adds a batch's metrics for one output. Keras leaves an output's masked rows out of its metrics (each kept row counts
    /// once); a weighted metric counts each row with its weight in <paramref name="weights"/> (the sample or class weight,
    /// 0 for a masked row), or as an unweighted one when the batch has no weights.
    /// </summary>
    public void AddMetrics(int output, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, ReadOnlySpan<float> mask,
        ReadOnlySpan<float> weights = default)
    {
        var states = _metrics[output];
        int cols = _training.Columns[output], targetWidth = rows == 0 ? 0 : targets.Length / rows;
        for (int m = 0; m < states.Length; m++)
        {
            if (m >= _training.WeightedFrom[output] && !weights.IsEmpty)
            {
                states[m].Update(predictions, targets, rows, cols, weights);
            }
            else if (mask.IsEmpty)
            {
                states[m].Update(predictions, targets, rows, cols, default);
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    if (mask[r] >= 0.5f)
                    {
                        states[m].Update(predictions.Slice(r * cols, cols), targets.Slice(r * targetWidth, targetWidth), 1, cols, default);
                    }
                }
            }
        }
    }

    /// <summary>Writes the current means into <paramref name="logs"/> (a callback's batch logs, reused from batch to
    /// batch): the keys are made once, so a batch allocates nothing.</summary>
    public void Fill(Logs logs)
    {
        _keys ??= ToLogs(string.Empty).ConvertAll(p => p.Key).ToArray();
        int k = 0;
        logs.SetAt(k, _keys[k], _loss / _samples);
        k++;
        if (_training.MultiOutput)
        {
            for (int j = 0; j < _outputLosses.Length; j++)
            {
                if (_training.Losses[j] is not null)
                {
                    logs.SetAt(k, _keys[k], _outputLosses[j] / _samples);
                    k++;
                }
            }
        }

        for (int j = 0; j < _metrics.Length; j++)
        {
            foreach (var state in _metrics[j])
            {
                logs.SetAt(k, _keys[k], state.Result());
                k++;
            }
        }
    }

    private string[]? _keys;

    /// <summary>The current means, keyed as Keras logs them, with an optional prefix (<c>val_</c>).</summary>
    public List<KeyValuePair<string, double>> ToLogs(string prefix)
    {
        var logs = new List<KeyValuePair<string, double>> { new(prefix + "loss", _loss / _samples) };
        if (_training.MultiOutput)
        {
            for (int j = 0; j < _outputLosses.Length; j++)
            {
                if (_training.Losses[j] is not null)
                {
                    logs.Add(new(prefix + _training.OutputLossKey(j), _outputLosses[j] / _samples));
                }
            }
        }

        for (int j = 0; j < _metrics.Length; j++)
        {
            for (int m = 0; m < _metrics[j].Length; m++)
            {
                logs.Add(new(prefix + _training.MetricKeys[j][m], _metrics[j][m].Result()));
            }
        }

        return logs;
    }
}
