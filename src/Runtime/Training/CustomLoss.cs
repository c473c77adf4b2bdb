using System;
using System.ComponentModel;
using System.Linq;

namespace Unrolled;

/// <summary>
/// A custom loss: a <c>[LossFunction]</c> method of a model's class (<see cref="LossFunctionAttribute"/>), compiled at
/// build time for each output shape of that model and differentiated like a Lambda's function. The generator adds one
/// per method to the class's <c>Losses</c>; pass it to <c>Compile</c> like any loss:
/// <c>model.Compile("adam", Regressor.Losses.AsymmetricError)</c>. It can serve any model's output whose shape it was
/// compiled for.
/// </summary>
/// <remarks>
/// As Keras reduces a function loss: the values the method returns are averaged over every element and sample
/// (<c>sum_over_batch_size</c>). With sample weights or a sequence output's mask, each sample's values (or each step's,
/// when the method returns one value per step) are weighted as Keras weighs them.
/// </remarks>
public sealed class CustomLoss : Loss
{
    private readonly CustomLossGraph[] _graphs;

    /// <summary>Called by generated code: the loss <paramref name="name"/> compiled for the per-sample shapes of
    /// <paramref name="graphs"/>.</summary>
    /// <param name="name">Keras's name of the loss: the method's name in snake case.</param>
    /// <param name="graphs">One per output shape of the model it was declared in.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public CustomLoss(string name, CustomLossGraph[] graphs)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(graphs);
        Name = name;
        _graphs = graphs;
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <summary>The per-sample output shapes the loss was compiled for (those it could not be compiled for left out).</summary>
    public int[][] CompiledShapes => _graphs.Where(g => g.Create is not null).Select(g => (int[])g.Shape.Clone()).ToArray();

    /// <summary>The loss for one output of a model being compiled: its graph for that output's shape, with its own
    /// workspace (so several outputs and models can share the <see cref="CustomLoss"/>).</summary>
    internal Loss Bind(TensorInfo output)
    {
        foreach (var graph in _graphs)
        {
            if (graph.Shape.AsSpan().SequenceEqual(output.Shape.ToArray()))
            {
                if (graph.Create is null)
                {
                    throw new ArgumentException(
                        $"The custom loss '{Name}' could not be compiled for output '{output.Name}' of shape {output.KerasShape}: {graph.Failure}.", "loss");
                }

                return new BoundCustomLoss(Name, graph.Create(), output.Size);
            }
        }

        string shapes = string.Join(", ", _graphs.Select(g => ModelGraph.KerasShape(g.Shape)));
        throw new ArgumentException(
            $"The custom loss '{Name}' was compiled for outputs of shape {shapes}, the outputs of the model whose class declares it; " +
            $"output '{output.Name}' has shape {output.KerasShape}. Declare the [LossFunction] method in this model's class too.", "loss");
    }

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows, int cols,
        float scale, bool fused)
        => throw new InvalidOperationException($"The custom loss '{Name}' runs once Compile has bound it to an output.");
}

/// <summary>Called by generated code: a custom loss compiled for one per-sample output shape, or why it could not be.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CustomLossGraph
{
    /// <summary>The loss compiled for outputs of shape <paramref name="shape"/>.</summary>
    /// <param name="shape">The per-sample shape.</param>
    /// <param name="create">Creates the loss's graph.</param>
    public CustomLossGraph(int[] shape, Func<CompiledModel> create)
    {
        Shape = shape ?? throw new ArgumentNullException(nameof(shape));
        Create = create ?? throw new ArgumentNullException(nameof(create));
    }

    /// <summary>A loss that could not be compiled for outputs of shape <paramref name="shape"/>.</summary>
    /// <param name="shape">The per-sample shape.</param>
    /// <param name="failure">Why not.</param>
    public CustomLossGraph(int[] shape, string failure)
    {
        Shape = shape ?? throw new ArgumentNullException(nameof(shape));
        Failure = failure ?? throw new ArgumentNullException(nameof(failure));
    }

    internal int[] Shape { get; }

    internal Func<CompiledModel>? Create { get; }

    internal string? Failure { get; }
}

/// <summary>
/// A custom loss bound to one output: runs its compiled graph on each batch. Each sample gives K loss values; they are
/// split into G equal groups, one per row the runtime weighs (a sequence output's steps when the loss returns one value
/// per step, else the whole sample), and a group's loss is the mean of its values.
/// </summary>
internal sealed class BoundCustomLoss : Loss
{
    private readonly CompiledModel _graph;
    private readonly int _sampleSize;
    private readonly int _values;
    private float[] _results = [];
    private float[] _upstream = [];

    public BoundCustomLoss(string name, CompiledModel graph, int sampleSize)
    {
        Name = name;
        _graph = graph;
        _sampleSize = sampleSize;
        _values = graph.LossGraphValues;
    }

    public override string Name { get; }

    internal override double Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows, int cols,
        float scale, bool fused)
        => Run(predictions, targets, gradient, rows, cols, scale, default, 0, binary: false);

    internal override double ComputeWeighted(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows,
        int cols, float scale, bool fused, ReadOnlySpan<float> weights, double denominator, bool binary = false)
        => Run(predictions, targets, gradient, rows, cols, scale, weights, denominator, binary);

    /// <summary>Σ over rows of weight·(mean of the row's values) / denominator, and its gradient times <paramref name="scale"/>.</summary>
    private double Run(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows, int cols, float scale,
        ReadOnlySpan<float> weights, double denominator, bool binary)
    {
        int samples = rows * cols / _sampleSize;
        if (samples == 0)
        {
            return 0;
        }

        int rowsPerSample = rows / samples;
        int groups = _values % rowsPerSample == 0 ? rowsPerSample : 1;
        if (groups != rowsPerSample && !weights.IsEmpty)
        {
            throw new InvalidOperationException(
                $"The custom loss '{Name}' returns {_values} values per sample, which the output's {rowsPerSample} steps cannot weigh " +
                "(its mask or sample weights are per step). Return one value per step: reduce the last axis only, as Ops.Mean(x, axis: -1).");
        }

        int perGroup = _values / groups;
        if (weights.IsEmpty)
        {
            denominator = samples * groups; // the mean over every value
        }

        int total = samples * _values;
        if (_results.Length < total)
        {
            _results = new float[total];
            _upstream = new float[total];
        }

        Span<float> results = _results.AsSpan(0, total);
        Span<float> upstream = _upstream.AsSpan(0, total);
        double divisor = denominator * perGroup;
        int weighedRows = samples * groups;
        for (int r = 0; r < weighedRows; r++)
        {
            upstream.Slice(r * perGroup, perGroup).Fill((float)(scale * RowWeight(weights, r, binary) / divisor));
        }

        _graph.RunLossGraph(predictions, targets, samples, results, upstream, gradient);
        double sum = 0;
        for (int r = 0; r < weighedRows; r++)
        {
            double weight = RowWeight(weights, r, binary);
            if (weight == 0)
            {
                continue;
            }

            double group = 0;
            foreach (float value in results.Slice(r * perGroup, perGroup))
            {
                group += value;
            }

            sum += weight * group;
        }

        return sum / divisor;
    }
}
