using System.Linq;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace Unrolled;

public abstract partial class CompiledModel
{
    private CompiledTraining? _compiled;

    /// <summary>What <c>Compile</c> fixed, or null before it.</summary>
    internal CompiledTraining? Compiled => _compiled;

    /// <summary>The optimizer given to the last <c>Compile</c>, or null before it.</summary>
    public Optimizer? Optimizer => _compiled?.Optimizer;

    /// <summary>Configures training with one loss for every output, as Keras's <c>model.compile(optimizer, loss)</c>.</summary>
    /// <param name="optimizer">The optimizer (or its name: <c>"adam"</c>).</param>
    /// <param name="loss">The loss (or its Keras name: <c>"categorical_crossentropy"</c>), applied to each output.</param>
    /// <param name="lossWeights">Per output, by position, the weight of its loss in the total; all 1 when null.</param>
    /// <param name="metrics">Metrics computed for every output with a loss: names (<c>"accuracy"</c>, <c>"auc"</c>,
    /// <c>"precision"</c>, …; see <see cref="Metric.FromName"/>) or objects (<c>new AUC(curve: AucCurve.PR)</c>).</param>
    /// <param name="metricsByOutput">Metrics for particular outputs, by output name (Keras's dictionary of metrics), added
    /// to <paramref name="metrics"/>.</param>
    /// <param name="weightedMetrics">Metrics computed for every output with a loss and weighted by the sample (and class)
    /// weights, as Keras's <c>weighted_metrics</c>; logged under their names, or <c>weighted_</c> and their names when a
    /// metric of the same name is also unweighted.</param>
    /// <exception cref="ArgumentException">The weights do not match the outputs, or a metric is unknown.</exception>
    public void Compile(Optimizer optimizer, Loss loss, float[]? lossWeights = null, Metric[]? metrics = null,
        IReadOnlyDictionary<string, Metric[]>? metricsByOutput = null, Metric[]? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        var losses = new Loss?[Description.Outputs.Count];
        Array.Fill(losses, loss);
        CompileCore(optimizer, losses, PositionalWeights(lossWeights), metrics, metricsByOutput, weightedMetrics);
    }

    /// <summary>Configures training with one loss per output, by position.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="losses">One loss per output, in the order of <see cref="ModelDescription.Outputs"/>.</param>
    /// <param name="lossWeights">Per output, by position, the weight of its loss in the total; all 1 when null.</param>
    /// <param name="metrics">Metrics computed for every output with a loss: names (<c>"accuracy"</c>, <c>"auc"</c>,
    /// <c>"precision"</c>, …; see <see cref="Metric.FromName"/>) or objects (<c>new AUC(curve: AucCurve.PR)</c>).</param>
    /// <param name="metricsByOutput">Metrics for particular outputs, by output name (Keras's dictionary of metrics), added
    /// to <paramref name="metrics"/>.</param>
    /// <param name="weightedMetrics">Metrics computed for every output with a loss and weighted by the sample (and class)
    /// weights, as Keras's <c>weighted_metrics</c>; logged under their names, or <c>weighted_</c> and their names when a
    /// metric of the same name is also unweighted.</param>
    /// <exception cref="ArgumentException">The counts do not match the outputs, or a metric is unknown.</exception>
    public void Compile(Optimizer optimizer, Loss[] losses, float[]? lossWeights = null, Metric[]? metrics = null,
        IReadOnlyDictionary<string, Metric[]>? metricsByOutput = null, Metric[]? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Length != Description.Outputs.Count)
        {
            throw new ArgumentException(
                $"{losses.Length} losses were given but the model has {Description.Outputs.Count} outputs: {OutputList()}.",
                nameof(losses));
        }

        for (int j = 0; j < losses.Length; j++)
        {
            if (losses[j] is null)
            {
                throw new ArgumentException($"The loss for output '{Description.Outputs[j].Name}' (position {j}) is null.", nameof(losses));
            }
        }

        CompileCore(optimizer, (Loss?[])losses.Clone(), PositionalWeights(lossWeights), metrics, metricsByOutput, weightedMetrics);
    }

    /// <summary>
    /// Configures training with losses by output name. As in Keras, an output the dictionary leaves out has no loss:
    /// it is not trained towards a target, needs none, and reports no loss or metric.
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="losses">Losses keyed by output name; at least one.</param>
    /// <param name="lossWeights">Weights keyed by output name; a missing output weighs 1.</param>
    /// <param name="metrics">Metrics computed for every output with a loss: names (<c>"accuracy"</c>, <c>"auc"</c>, …) or
    /// objects.</param>
    /// <param name="metricsByOutput">Metrics for particular outputs, by output name (Keras's dictionary of metrics), added
    /// to <paramref name="metrics"/>.</param>
    /// <param name="weightedMetrics">Metrics computed for every output with a loss and weighted by the sample (and class)
    /// weights, as Keras's <c>weighted_metrics</c>; logged under their names, or <c>weighted_</c> and their names when a
    /// metric of the same name is also unweighted.</param>
    /// <exception cref="ArgumentException">A name is not an output of the model, or no loss is given.</exception>
    public void Compile(Optimizer optimizer, IReadOnlyDictionary<string, Loss> losses,
        IReadOnlyDictionary<string, float>? lossWeights = null, Metric[]? metrics = null, IReadOnlyDictionary<string, Metric[]>? metricsByOutput = null,
        Metric[]? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var byPosition = new Loss?[Description.Outputs.Count];
        foreach (var (name, loss) in losses)
        {
            int j = OutputIndex(name, nameof(losses));
            byPosition[j] = loss ?? throw new ArgumentException($"The loss for output '{name}' is null.", nameof(losses));
        }

        if (losses.Count == 0)
        {
            throw new ArgumentException($"No loss was given; the model's outputs are {OutputList()}.", nameof(losses));
        }

        float[] weights = PositionalWeights(null);
        if (lossWeights is not null)
        {
            foreach (var (name, weight) in lossWeights)
            {
                weights[OutputIndex(name, nameof(lossWeights))] = CheckWeight(weight, name, nameof(lossWeights));
            }
        }

        CompileCore(optimizer, byPosition, weights, metrics, metricsByOutput, weightedMetrics);
    }

    /// <summary>
    /// Checks one output's targets for a training step and copies them into the workspace (generated
    /// <c>TrainOnBatch</c> calls it for each output before <see cref="TrainStep"/>). Targets of an output without a
    /// loss are ignored.
    /// </summary>
    /// <param name="workspace">The training workspace.</param>
    /// <param name="output">The output's position.</param>
    /// <param name="target">The targets: the output's size per sample, or one class index per row for a sparse loss.</param>
    /// <param name="batchSize">The number of samples.</param>
    /// <param name="parameterName">The generated method's parameter, for the exception.</param>
    /// <exception cref="ArgumentException">The length is wrong, or a sparse label is not a valid class index.</exception>
    protected void SetTarget(Workspace workspace, int output, ReadOnlySpan<float> target, int batchSize, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var compiled = RequireCompiled();
        if ((uint)output >= (uint)compiled.Losses.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(output), output, $"The model has {compiled.Losses.Length} outputs.");
        }

        Loss? loss = compiled.Losses[output];
        if (loss is null)
        {
            return;
        }

        string name = compiled.OutputNames[output];
        int perSample = compiled.TargetSizes[output];
        long expected = (long)batchSize * perSample;
        if (target.Length != expected)
        {
            throw new ArgumentException(
                $"The target of output '{name}' ({loss.Name}) needs {perSample} values per sample, so {expected} for a batch of " +
                $"{batchSize}; it holds {target.Length}.",
                parameterName);
        }

        if (loss.IsSparse)
        {
            SparseCategoricalCrossentropy.ValidateLabels(target, compiled.Columns[output], compiled.RowsPerSample[output], 0, name, parameterName);
        }

        target.CopyTo(workspace.Targets.AsSpan(compiled.TargetOffsets[output] * workspace.Capacity, (int)expected));
    }

    /// <summary>
    /// One training step on the inputs and targets already in <paramref name="workspace"/>: forward pass, losses and
    /// their gradients, backward pass, optimizer update, metrics. Allocates nothing.
    /// </summary>
    /// <param name="workspace">The training workspace, holding the batch.</param>
    /// <param name="batchSize">The number of samples.</param>
    /// <returns>The batch's total loss: the loss-weighted sum of the outputs' losses (Keras's <c>loss</c>).</returns>
    /// <exception cref="TrainingDivergedException">The loss or the gradient is NaN or infinite; the weights are unchanged.</exception>
    protected float TrainStep(Workspace workspace, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var compiled = RequireCompiled();
        if (!workspace.IsTraining || batchSize < 1 || batchSize > workspace.Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"A training step needs the training workspace and 1 to {workspace.Capacity} samples.");
        }

        // The forward pass updates state in the weights (BatchNormalization's moving statistics) as it goes; a step that
        // fails after that (a non-finite loss or gradient, a bad token id) puts it back, so it changes no weight at all.
        bool hasState = compiled.StateRanges.Length > 0;
        if (hasState)
        {
            compiled.SaveState(_weights);
        }

        try
        {
            return Step(workspace, batchSize, compiled);
        }
        catch when (hasState)
        {
            compiled.RestoreState(_weights);
            throw;
        }
    }

    private float Step(Workspace workspace, int batchSize, CompiledTraining compiled)
    {
        // The forward pass may update state in the weights and the optimizer updates the rest.
        WeightsWritten();
        workspace.MeasuresActivity = true;
        workspace.ActivityLoss = 0;
        Forward(workspace, batchSize, training: true);

        // The generated backward pass zeroes every other gradient region where it starts; the output ports get their
        // loss's gradient below, or zero for an output without a loss.
        bool byRows = compiled.RowTables.Length > 0;
        if (byRows)
        {
            ClearForRows(workspace, compiled);
        }
        else
        {
            Kernels.Halves.Clear(workspace.ParameterGradients);
            workspace.TracksRows = false;
        }
        double total = 0;
        Span<double> losses = compiled.BatchLosses;
        for (int j = 0; j < compiled.Losses.Length; j++)
        {
            Loss? loss = compiled.Losses[j];
            workspace.OutputGradientIsPreActivation[j] = loss is not null && compiled.Fused[j];
            int offset = _layout.OutputOffset(j);
            int count = batchSize * _layout.OutputSize(j);
            if (loss is null)
            {
                workspace.Gradient(offset, count).Clear();
                losses[j] = 0;
                continue;
            }

            int rows = batchSize * compiled.RowsPerSample[j];
            ReadOnlySpan<float> mask = OutputMask(workspace, j, rows);
            if (compiled.Weighting is { } weighting)
            {
                var (weights, denominator) = weighting.Rows(rows, compiled.RowsPerSample[j], BatchTargets(workspace, compiled, j, batchSize),
                    compiled.Columns[j], loss.IsSparse, mask);
                losses[j] = loss.ComputeWeighted(workspace.Values(offset, count), BatchTargets(workspace, compiled, j, batchSize),
                    workspace.Gradient(offset, count), rows, compiled.Columns[j], compiled.LossWeights[j], compiled.Fused[j], weights.Span, denominator);
            }
            else
            {
                losses[j] = mask.IsEmpty
                    ? loss.Compute(workspace.Values(offset, count), BatchTargets(workspace, compiled, j, batchSize),
                        workspace.Gradient(offset, count), rows, compiled.Columns[j], compiled.LossWeights[j], compiled.Fused[j])
                    : loss.ComputeMasked(workspace.Values(offset, count), BatchTargets(workspace, compiled, j, batchSize),
                        workspace.Gradient(offset, count), rows, compiled.Columns[j], compiled.LossWeights[j], compiled.Fused[j], mask);
            }

            total += compiled.LossWeights[j] * losses[j];
        }

        // Keras adds the regularization losses (model.losses) to the loss it reports and differentiates.
        double regularization = compiled.Regularized.Length > 0 ? compiled.Regularization(_weights) : 0;
        total += regularization + workspace.ActivityLoss;
        if (!double.IsFinite(total))
        {
            throw Diverged(compiled, (float)total, FirstNonFinite(losses));
        }

        compiled.Train.AddLosses(total, losses, batchSize);
        for (int j = 0; j < compiled.Losses.Length; j++)
        {
            if (compiled.Losses[j] is not null)
            {
                int rows = batchSize * compiled.RowsPerSample[j];
                ReadOnlySpan<float> mask = OutputMask(workspace, j, rows);
                ReadOnlySpan<float> targets = BatchTargets(workspace, compiled, j, batchSize);
                ReadOnlySpan<float> weights = compiled.Weighting is { } weighting && compiled.WeightedFrom[j] < compiled.Metrics[j].Length
                    ? weighting.Rows(rows, compiled.RowsPerSample[j], targets, compiled.Columns[j], compiled.Losses[j]!.IsSparse, mask).Weights.Span
                    : default;
                compiled.Train.AddMetrics(j, workspace.Values(_layout.OutputOffset(j), batchSize * _layout.OutputSize(j)), targets, rows, mask, weights);
            }
        }

        Backward(workspace, batchSize);
        if (compiled.Regularized.Length > 0)
        {
            compiled.Regularization(_weights, workspace.ParameterGradients);
        }

        // A finite loss can still have an overflowing gradient; applying it would leave non-finite weights.
        if (!(byRows ? RowGradientsFinite(workspace, compiled) : Kernels.Halves.AllFinite(workspace.ParameterGradients)))
        {
            throw Diverged(compiled, (float)total, -1);
        }

        compiled.Optimizer.Apply(_weights, workspace.ParameterGradients, Trainability.Ranges, byRows ? workspace.RowSets : []);

        // Keras applies each variable's constraint after the optimizer's update (trained weights only).
        for (int c = 0; c < compiled.Constrained.Length; c++)
        {
            var (index, weight, constraint) = compiled.Constrained[c];
            if (Trainability.Trains(index))
            {
                constraint.Apply(_weights.AsSpan(weight.Offset, weight.Size));
            }
        }

        return (float)total;
    }

    /// <summary>
    /// Before a backward pass that records the rows of <see cref="CompiledTraining.RowTables"/>: clears the rest of the
    /// weights' gradient whole, and the tables' gradient in the rows the last step recorded (the gradient stays readable
    /// until the next step), or whole when something else wrote it; then the row sets start empty (docs/performance.md,
    /// <em>Embedding rows</em>).
    /// </summary>
    private static void ClearForRows(Workspace workspace, CompiledTraining compiled)
    {
        var tables = compiled.RowTables;
        if (!SameTables(workspace.RowSets, tables))
        {
            // Once per workspace and compilation.
            workspace.RowSets = Array.ConvertAll(tables, t => new Kernels.RowSet(t.Index, t.Weight.Offset, t.Weight.Shape[0], t.Weight.Shape[1]));
            workspace.TracksRows = false;
        }

        float[] gradients = workspace.ParameterGradients;
        foreach (var (offset, size) in compiled.DenseRuns)
        {
            Kernels.Halves.Clear(gradients.AsSpan(offset, size));
        }

        foreach (var set in workspace.RowSets)
        {
            if (workspace.TracksRows && !Dense(set))
            {
                for (int first = set.NextRun(0, out int last); first >= 0; first = set.NextRun(last + 1, out last))
                {
                    set.Of(gradients, first, last).Clear();
                }
            }
            else
            {
                Kernels.Halves.Clear(set.Of(gradients, 0, set.Rows - 1));
            }

            set.Clear();
        }

        // From here every row the backward pass adds to is recorded first, even in a step that fails half-way.
        workspace.TracksRows = true;
    }

    /// <summary>
    /// Whether a table's recorded rows are so many (half the table or more) that clearing or checking the whole table,
    /// which streams and splits over two cores, costs less than visiting them (measured: with 64 % of the news LSTM's
    /// 10,000 rows used, visiting them on one core made a two-core step 9 % slower).
    /// </summary>
    private static bool Dense(Kernels.RowSet set) => 2L * set.Count >= set.Rows;

    private static bool SameTables(Kernels.RowSet[] sets, (int Index, WeightInfo Weight)[] tables)
    {
        if (sets.Length != tables.Length)
        {
            return false;
        }

        for (int t = 0; t < sets.Length; t++)
        {
            if (sets[t].WeightIndex != tables[t].Index)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the gradient is finite: the runs outside the tables whole, the tables in their recorded rows (the
    /// others are zero).</summary>
    private static bool RowGradientsFinite(Workspace workspace, CompiledTraining compiled)
    {
        float[] gradients = workspace.ParameterGradients;
        foreach (var (offset, size) in compiled.DenseRuns)
        {
            if (!Kernels.Halves.AllFinite(gradients.AsSpan(offset, size)))
            {
                return false;
            }
        }

        foreach (var set in workspace.RowSets)
        {
            if (Dense(set))
            {
                if (!Kernels.Halves.AllFinite(set.Of(gradients, 0, set.Rows - 1)))
                {
                    return false;
                }

                continue;
            }

            for (int first = set.NextRun(0, out int last); first >= 0; first = set.NextRun(last + 1, out last))
            {
                if (!Kernels.FiniteCheck.AllFinite(set.Of(gradients, first, last)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The Keras mask of output <paramref name="output"/>'s rows (one float per row), or empty when it has none.</summary>
    private ReadOnlySpan<float> OutputMask(Workspace workspace, int output, int rows)
        => _layout.OutputMaskOffset(output) is >= 0 and int offset ? workspace.Values(offset, rows) : default;

    /// <summary>The training configuration; throws unless <c>Compile</c> has been called.</summary>
    private CompiledTraining RequireCompiled()
        => _compiled ?? throw new InvalidOperationException(
            $"This {GetType().Name} is not compiled. Call Compile(optimizer, loss) before training, as in Keras " +
            "(for example model.Compile(\"adam\", \"categorical_crossentropy\", metrics: [\"accuracy\"])).");

    private static ReadOnlySpan<float> BatchTargets(Workspace workspace, CompiledTraining compiled, int output, int batchSize)
        => workspace.Targets.AsSpan(compiled.TargetOffsets[output] * workspace.Capacity, batchSize * compiled.TargetSizes[output]);

    /// <summary>The first weight tensor holding a NaN or infinity, or null (checked only once training has diverged).</summary>
    private WeightInfo? FirstNonFiniteWeight()
    {
        foreach (var weight in Description.Weights)
        {
            if (!Kernels.FiniteCheck.AllFinite(_weights.AsSpan(weight.Offset, weight.Size)))
            {
                return weight;
            }
        }

        return null;
    }

    private static int FirstNonFinite(ReadOnlySpan<double> losses)
    {
        for (int j = 0; j < losses.Length; j++)
        {
            if (!double.IsFinite(losses[j]))
            {
                return j;
            }
        }

        return -1;
    }

    private TrainingDivergedException Diverged(CompiledTraining compiled, float total, int output)
    {
        int epoch = compiled.Epoch;
        int step = epoch > 0 ? compiled.Step : (int)Math.Min(int.MaxValue, compiled.Optimizer.Iterations + 1);
        string where = epoch > 0 ? $"epoch {epoch}, step {step}" : $"training step {step}";
        string what = output >= 0
            ? $"the loss of output '{compiled.OutputNames[output]}' ({compiled.Losses[output]!.Name}) is " +
              $"{compiled.BatchLosses[output].ToString(CultureInfo.InvariantCulture)}"
            : $"the gradient of the weights is not finite (loss {total.ToString(CultureInfo.InvariantCulture)})";
        string lr = compiled.Optimizer.LearningRate.ToString(CultureInfo.InvariantCulture);
        if (FirstNonFiniteWeight() is { } broken)
        {
            // A finite gradient times a large learning rate can overflow: the step before already left infinite weights.
            return new TrainingDivergedException(
                $"Training diverged at {where}: {what}, because an earlier update overflowed the weights ({broken} is no longer " +
                $"finite); they cannot be put back. Reload the last checkpoint (ModelCheckpoint, BackupAndRestore) and lower the " +
                $"learning rate (now {lr}).",
                epoch, step, total, output >= 0 ? compiled.OutputNames[output] : null);
        }

        return new TrainingDivergedException(
            $"Training diverged at {where}: {what}. The update was not applied, so the model's weights are those of the " +
            $"last finite step. Check the batch's inputs and targets for NaN or infinite values; if they are finite, " +
            $"lower the learning rate (now {lr}).",
            epoch, step, total, output >= 0 ? compiled.OutputNames[output] : null);
    }

    private void CompileCore(Optimizer optimizer, Loss?[] losses, float[] lossWeights, Metric[]? metrics,
        IReadOnlyDictionary<string, Metric[]>? metricsByOutput, Metric[]? weightedMetrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        RefuseInCallbacks("Compile");
        Metric[][] plain = ValidateMetrics(metrics, metricsByOutput);
        Metric[][] weighted = ValidateMetrics(weightedMetrics, null, nameof(weightedMetrics));
        var metricNames = new Metric[plain.Length][];
        var weightedFrom = new int[plain.Length];
        for (int j = 0; j < plain.Length; j++)
        {
            // Each output's unweighted metrics, then its weighted ones (Keras's order in the logs).
            metricNames[j] = [.. plain[j], .. weighted[j]];
            weightedFrom[j] = plain[j].Length;
        }

        for (int j = 0; j < losses.Length; j++)
        {
            // A custom loss runs its graph compiled for this output's shape, with a workspace of its own.
            if (losses[j] is CustomLoss custom)
            {
                losses[j] = custom.Bind(Description.Outputs[j]);
            }
        }

        Enter();
        try
        {
            optimizer.Build(this, Description.ParameterCount, Description.Weights.Select(w => (w.Offset, w.Size)).ToArray(),
                Description.Weights.Select(w => w.Name).ToArray(), Description.Weights.Select(w => w.Shape.ToArray()).ToArray());
            _compiled = new CompiledTraining(Description, optimizer, losses, lossWeights, metricNames, _layout, weightedFrom);
            // Target layout may have changed; the training workspace is rebuilt on next use.
            _trainingWorkspace = null;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Each output's metrics: those for every output, then its own; a name twice for one output is refused.</summary>
    private Metric[][] ValidateMetrics(Metric[]? metrics, IReadOnlyDictionary<string, Metric[]>? metricsByOutput, string argument = "metrics")
    {
        int outputs = Description.Outputs.Count;
        var lists = new List<Metric>[outputs];
        for (int j = 0; j < outputs; j++)
        {
            lists[j] = new List<Metric>();
            foreach (var metric in metrics ?? [])
            {
                lists[j].Add(metric ?? throw new ArgumentException("A metric is null.", argument));
            }
        }

        if (metricsByOutput is not null)
        {
            foreach (var (name, list) in metricsByOutput)
            {
                int j = OutputIndex(name, nameof(metricsByOutput));
                foreach (var metric in list ?? [])
                {
                    lists[j].Add(metric ?? throw new ArgumentException($"A metric of output '{name}' is null.", nameof(metricsByOutput)));
                }
            }
        }

        var result = new Metric[outputs][];
        for (int j = 0; j < outputs; j++)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var metric in lists[j])
            {
                if (!seen.Add(metric.Name))
                {
                    throw new ArgumentException(
                        $"The metric '{metric.Name}' is listed twice for output '{Description.Outputs[j].Name}'; give one a name of its own " +
                        "(new AUC(name: \"auc_pr\", curve: AucCurve.PR)).", argument);
                }
            }

            result[j] = lists[j].ToArray();
        }

        return result;
    }

    private float[] PositionalWeights(float[]? lossWeights)
    {
        int outputs = Description.Outputs.Count;
        var weights = new float[outputs];
        Array.Fill(weights, 1f);
        if (lossWeights is null)
        {
            return weights;
        }

        if (lossWeights.Length != outputs)
        {
            throw new ArgumentException(
                $"{lossWeights.Length} loss weights were given but the model has {outputs} outputs: {OutputList()}.", nameof(lossWeights));
        }

        for (int j = 0; j < outputs; j++)
        {
            weights[j] = CheckWeight(lossWeights[j], Description.Outputs[j].Name, nameof(lossWeights));
        }

        return weights;
    }

    private static float CheckWeight(float weight, string output, string parameterName)
        => float.IsFinite(weight)
            ? weight
            : throw new ArgumentException($"The loss weight of output '{output}' is {weight}; it must be finite.", parameterName);

    private int OutputIndex(string name, string parameterName)
    {
        int j = Description.IndexOfOutput(name);
        return j >= 0
            ? j
            : throw new ArgumentException($"The model has no output named '{name}'. Its outputs are {OutputList()}.", parameterName);
    }

    private string OutputList() => NameList(Description.Outputs);

    private static string NameList(IReadOnlyList<TensorInfo> tensors)
    {
        var names = new string[tensors.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = "'" + tensors[i].Name + "'";
        }

        return string.Join(", ", names);
    }
}
