using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Planning;

/// <summary>
/// Where everything lives at run time: each tensor's region in the workspace (floats per sample), each layer's
/// weights in the parameter buffer, and which nodes need gradients. Offsets and sizes are dimensions of
/// <see cref="Dims"/>: compile-time constants, or, after an input with an unknown (<c>null</c>) axis, expressions in the
/// run-time lengths.
/// </summary>
internal sealed class ExecutionPlan
{
    private ExecutionPlan(AnalyzedModel model)
    {
        Model = model;
        Dims = new DimTable(model.DimData);
        var spec = model.Spec;
        KernelOffset = Enumerable.Repeat(-1, spec.Layers.Count).ToArray();
        BiasOffset = Enumerable.Repeat(-1, spec.Layers.Count).ToArray();
        NeedsGradient = new bool[spec.Nodes.Count];
        NodeScratch = new int[spec.Nodes.Count];
        Aliased = new bool[spec.Nodes.Count];
        WeightOffsets = Enumerable.Repeat(System.Array.Empty<int>(), spec.Layers.Count).ToArray();
        NodeIndexInLayer = new int[spec.Nodes.Count];
        var perLayer = new int[spec.Layers.Count];
        for (int n = 0; n < spec.Nodes.Count; n++)
        {
            NodeIndexInLayer[n] = perLayer[spec.Nodes[n].Layer]++;
        }

        // First the regions each node needs (its value, a pre-activation, temporaries) and everything else per node;
        // then two layouts of those regions: one for training, where forward keeps everything for backward, and one
        // for prediction, where a region is reused once its last reader has run.
        int parameters = 0;
        var regionSizes = new int[]?[spec.Nodes.Count];
        var hasPreActivation = new bool[spec.Nodes.Count];
        foreach (int n in model.UsedNodes)
        {
            var node = spec.Nodes[n];
            var layer = spec.Layers[node.Layer];
            int size = Dims.Size(model.ShapeOf(n)); // floats per sample
            // A Reshape or Flatten that is a model output gets its own copy: each output's loss writes the gradient of
            // its own region, and a shared one would keep only the last loss's.
            if (layer.Kind.IsView() && !(layer.Kind is LayerKind.Reshape or LayerKind.Flatten && spec.Outputs.Contains(n)))
            {
                Aliased[n] = true;
                NeedsGradient[n] = NeedsGradient[node.Inputs[0]];
                continue;
            }

            bool preActivation = (layer.Kind == LayerKind.Dense || layer.Kind.IsConvolution()) && ActivationInfo.NeedsPreActivation(layer.Activation);

            // Temporaries some merges keep for backward; the gradient buffer mirrors them, giving each a gradient too.
            var temporaries = layer.Kind switch
            {
                LayerKind.Multiply when node.Inputs.Count > 2 => new[] { size },
                LayerKind.Average when node.Inputs.Any(i => !model.ShapeOf(i).Dims.Equals(model.ShapeOf(n).Dims)) => new[] { size },
                LayerKind.Maximum or LayerKind.Minimum => new[] { size },
                LayerKind.Dot when layer.UseBias => node.Inputs.Select(i => Dims.Size(model.ShapeOf(i))).ToArray(),
                _ => LayerTemporaries(model, n, layer),
            };
            hasPreActivation[n] = preActivation;
            regionSizes[n] = (preActivation ? new[] { size, size } : new[] { size }).Concat(temporaries).ToArray();
            NodeScratch[n] = LayerScratch(model, n, layer);
            Scratch = Dims.Max(Scratch, Dims.Mul(NodeScratch[n], model.ShapeOf(n).Repeat));

            if (!Layers.Contains(node.Layer))
            {
                // Weights in first-use order, each layer's in Keras's order: the layout of Weights and of saved files.
                Layers.Add(node.Layer);
                var weights = model.WeightsOf(node.Layer);
                WeightOffsets[node.Layer] = new int[weights.Count];
                for (int w = 0; w < weights.Count; w++)
                {
                    WeightOffsets[node.Layer][w] = parameters;
                    if (weights[w].Name == "kernel")
                    {
                        KernelOffset[node.Layer] = parameters;
                    }
                    else if (weights[w].Name == "bias")
                    {
                        BiasOffset[node.Layer] = parameters;
                    }

                    parameters += weights[w].Size;
                }
            }

            bool isListedInput = spec.Inputs.Contains(n);
            NeedsGradient[n] = !isListedInput && (model.ParameterCounts[node.Layer] > 0 || node.Inputs.Any(i => NeedsGradient[i]));
        }

        Training = RegionLayout.Create(this, regionSizes, hasPreActivation, reuse: false);
        Predict = RegionLayout.Create(this, regionSizes, hasPreActivation, reuse: true);
        ParameterCount = parameters;
    }

    public AnalyzedModel Model { get; }

    /// <summary>The dimensions known only at run time, with the offsets and sizes built from them.</summary>
    public DimTable Dims { get; }

    /// <summary>Whether some input has an axis whose length is given at run time.</summary>
    public bool IsDynamic => Dims.HasSymbols && Model.Spec.Inputs.Any(i => !Model.ShapeOf(i).IsStatic);

    /// <summary>Where the regions lie in a training workspace: every region of its own, kept from forward for backward.</summary>
    public RegionLayout Training { get; }

    /// <summary>Where the regions lie in a prediction workspace: a region is reused once its last reader has run.</summary>
    public RegionLayout Predict { get; }

    /// <summary>Per node: offset of its output in a training workspace, in floats per sample (a dimension).</summary>
    public int[] ValueOffset => Training.ValueOffset;

    /// <summary>Per node: offset of the pre-activation kept for backward (Swish, Gelu) as a dimension, or -1.</summary>
    public int[] PreActivationOffset => Training.PreActivationOffset;

    /// <summary>Per node: offsets of the temporaries it keeps (normalised Dot inputs, a max/min routing mask, …).</summary>
    public int[][] TemporaryOffsets => Training.TemporaryOffsets;

    /// <summary>Per layer: the offset of each of its weights (<see cref="AnalyzedModel.WeightsOf"/>) in the weight buffer.</summary>
    public int[][] WeightOffsets { get; }

    /// <summary>The offset of a layer's weight called <paramref name="name"/>, or -1.</summary>
    public int WeightOffset(int layer, string name)
    {
        var weights = Model.WeightsOf(layer);
        for (int w = 0; w < weights.Count; w++)
        {
            if (weights[w].Name == name)
            {
                return WeightOffsets[layer][w];
            }
        }

        return -1;
    }

    /// <summary>Per layer: offset of its kernel in the weight buffer, or -1.</summary>
    public int[] KernelOffset { get; }

    /// <summary>Per layer: offset of its bias in the weight buffer, or -1.</summary>
    public int[] BiasOffset { get; }

    /// <summary>Per node: whether backward must compute the gradient of its output.</summary>
    public bool[] NeedsGradient { get; }

    /// <summary>Per node: which call of its layer it is (Keras's node index).</summary>
    public int[] NodeIndexInLayer { get; }

    /// <summary>The model's layers in first-use order (the order of <c>Summary()</c> and of the weights).</summary>
    public List<int> Layers { get; } = new();

    /// <summary>Floats per sample of a training workspace's activation buffer (a dimension).</summary>
    public int ActivationSize => Training.ActivationSize;

    public int ParameterCount { get; }

    /// <summary>Per node: whether it is a view of another node's memory (no code of its own).</summary>
    public bool[] Aliased { get; }

    /// <summary>Per node: the scratch its kernels need per row (per sample, or per step inside TimeDistributed).</summary>
    public int[] NodeScratch { get; }

    /// <summary>Convolution nodes of fixed shapes, whose scratch is the workspace's fixed part (bounded whatever the batch).</summary>
    public List<int> BoundedScratch { get; } = new();

    /// <summary>Floats per sample of the workspace's scratch space: the most any layer needs (a dimension).</summary>
    public int Scratch { get; }

    public static ExecutionPlan Create(AnalyzedModel model) => new(model);

    /// <summary>Floats a recurrent layer keeps per step for backward: LSTM's four gates, c and h; GRU's five vectors; SimpleRNN's h.</summary>
    public static int CachePerStep(LayerSpec layer) => layer.Kind switch { LayerKind.LSTM => 6, LayerKind.GRU => 5, _ => 1 } * layer.Units;

    /// <summary>What a layer keeps from forward for backward, per sample: recurrent caches, dropout masks, batch statistics.</summary>
    private int[] LayerTemporaries(AnalyzedModel model, int n, LayerSpec layer)
    {
        if (model.Spec.Nodes[n].Inputs.Count == 0)
        {
            return System.Array.Empty<int>();
        }

        var input = model.ShapeOf(model.Spec.Nodes[n].Inputs[0]);
        int repeat = model.ShapeOf(n).Repeat;
        int PerRow(int floats) => Dims.Mul(floats, repeat);
        int[] States(int count) => layer.Config.Count > 2 && layer.Config[2] == 1 ? Enumerable.Repeat(PerRow(layer.Units), count).ToArray() : System.Array.Empty<int>();
        return layer.Kind switch
        {
            // With return_state, the last h (and LSTM's c) follow.
            _ when layer.Kind.IsRecurrent() => new[] { PerRow(Dims.Mul(input.Dims[0], CachePerStep(layer))) }
                .Concat(States(layer.Kind == LayerKind.LSTM ? 2 : 1)).ToArray(),
            LayerKind.Dropout => new[] { Dims.Size(model.ShapeOf(n)) },
            // The batch mean and inverse deviation: 2 · channels floats per call (a region per sample is room to spare).
            LayerKind.BatchNormalization => new[] { PerRow(2 * input.Dims[input.Dims.Count - 1]) },
            // The depthwise step's output, which the pointwise step's backward needs.
            LayerKind.SeparableConv2D => new[] { PerRow(Dims.Product(model.ShapeOf(n).Dims.Take(2).Concat(new[] { input.Dims[2] * layer.Config[7] }))) },
            _ => System.Array.Empty<int>(),
        };
    }

    /// <summary>Scratch a layer's kernels need per row (im2col for convolutions, input projections for recurrent layers).</summary>
    private int LayerScratch(AnalyzedModel model, int n, LayerSpec layer)
    {
        if (model.Spec.Nodes[n].Inputs.Count == 0)
        {
            return 0;
        }

        var input = model.ShapeOf(model.Spec.Nodes[n].Inputs[0]);
        var output = model.ShapeOf(n);
        if (layer.Kind is LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose && input.IsStatic && output.IsStatic)
        {
            // Fixed shapes: the kernels' working space is bounded whatever the batch (Conv2D.ScratchBound), and kept
            // once per workspace instead of per sample.
            BoundedScratch.Add(n);
            return 0;
        }

        switch (layer.Kind)
        {
            case LayerKind.Conv1D or LayerKind.Conv2D:
                // One row per output position, one column per tap and input channel.
                return Dims.Mul(Dims.Product(output.Dims.Take(output.Dims.Count - 1)), layer.Config[0] * layer.Config[1] * input.Dims[input.Dims.Count - 1]);
            case LayerKind.Conv2DTranspose:
                // The equivalent convolution runs from the (larger) output back to the input.
                return Dims.Mul(Dims.Product(input.Dims.Take(2)), layer.Config[0] * layer.Config[1] * layer.Units);
            case LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN:
                return Dims.Mul(input.Dims[0], 4 * layer.Units);
            default:
                return 0;
        }
    }
}
