using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Layers;
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
        var predictionSizes = new int[]?[spec.Nodes.Count];
        var hasPreActivation = new bool[spec.Nodes.Count];
        foreach (int n in model.UsedNodes)
        {
            var node = spec.Nodes[n];
            var layer = spec.Layers[node.Layer];
            int size = Dims.Size(model.ShapeOf(n)); // floats per sample
            var rule = LayerRules.Of(layer.Kind);
            if (rule.IsView(layer) && !(rule.CopiedWhenOutput && spec.Outputs.Contains(n)))
            {
                Aliased[n] = true;
                NeedsGradient[n] = NeedsGradient[node.Inputs[0]];
                continue;
            }

            bool preActivation = rule.KeepsPreActivation(layer);

            // What the node keeps for backward besides its value; the gradient buffer mirrors it, giving each a gradient too.
            var context = new PlanContext(this, model, n);
            int[] temporaries, predictionTemporaries;
            try
            {
                temporaries = node.Inputs.Count == 0 ? System.Array.Empty<int>() : rule.Temporaries(context);
                predictionTemporaries = node.Inputs.Count == 0 ? temporaries : rule.PredictionTemporaries(context);
                NodeScratch[n] = node.Inputs.Count == 0 ? 0 : rule.Scratch(context);
                Scratch = Dims.Max(Scratch, Dims.Mul(NodeScratch[n], model.ShapeOf(n).Repeat));
            }
            catch (System.OverflowException)
            {
                // Shapes passed (the analyzer checks them), but the layer's working buffers do not fit an int: a window
                // tens of thousands long over a run-time length, say. The user's sizes, not our bug.
                throw new SizeOverflowException(layer.Kind, layer.Name);
            }

            hasPreActivation[n] = preActivation;
            int[] value = preActivation ? new[] { size, size } : new[] { size };
            regionSizes[n] = value.Concat(temporaries).ToArray();
            predictionSizes[n] = value.Concat(predictionTemporaries).ToArray();

            if (!Layers.Contains(node.Layer))
            {
                // Weights in first-use order, each layer's in Keras's order: the layout of Weights and of saved files.
                Layers.Add(node.Layer);
                var weights = model.WeightsOf(node.Layer);
                if (weights.Count > 0)
                {
                    TrainableSlot[node.Layer] = TrainableSlot.Count;
                }

                WeightOffsets[node.Layer] = new int[weights.Count];
                for (int w = 0; w < weights.Count; w++)
                {
                    WeightOffsets[node.Layer][w] = parameters;

                    parameters += weights[w].Size;
                }
            }

            // A loss graph's prediction input is what its backward pass is for: the gradient of the loss with respect to it.
            bool isListedInput = spec.Inputs.Contains(n);
            NeedsGradient[n] = (spec.IsLossGraph && n == spec.Inputs[1])
                || (!isListedInput && layer.Kind != LayerKind.Mask && (model.ParameterCounts[node.Layer] > 0 || node.Inputs.Any(i => NeedsGradient[i])));
        }

        Training = RegionLayout.Create(this, regionSizes, hasPreActivation, reuse: false);
        Gradients = RegionLayout.Create(this, regionSizes, hasPreActivation, reuse: true);
        Predict = predictionSizes.Zip(regionSizes, (p, r) => p is null ? r is null : r is not null && p.SequenceEqual(r)).All(same => same)
            ? Gradients
            : RegionLayout.Create(this, predictionSizes, hasPreActivation, reuse: true);
        ParameterCount = parameters;
        Folds = ProjectionFolds.Find(model, Aliased);
        WinogradNodes = model.UsedNodes.Where(n => !Aliased[n] && ConvolutionRule.MayUseWinograd(model, n)).ToList();
    }

    /// <summary>Convolutions that may predict by Winograd's minimal filtering, in slot order.</summary>
    public List<int> WinogradNodes { get; }

    /// <summary>Recurrent layers whose input projection inference folds into the Embedding that feeds them.</summary>
    public IReadOnlyList<ProjectionFold> Folds { get; }

    public AnalyzedModel Model { get; }

    /// <summary>The dimensions known only at run time, with the offsets and sizes built from them.</summary>
    public DimTable Dims { get; }

    /// <summary>Whether some input has an axis whose length is given at run time.</summary>
    public bool IsDynamic => Dims.HasSymbols && Model.Spec.Inputs.Any(i => !Model.ShapeOf(i).IsStatic);

    /// <summary>Where the regions lie in a training workspace: every region of its own, kept from forward for backward.</summary>
    public RegionLayout Training { get; }

    /// <summary>Where the regions lie in a prediction workspace: a region is reused once its last reader has run, and one
    /// only training reads takes no room (<see cref="Layers.LayerRule.PredictionTemporaries"/>).</summary>
    public RegionLayout Predict { get; }

    /// <summary>Where the gradients lie in a training workspace: by reuse, as <see cref="Predict"/>, with every region.</summary>
    public RegionLayout Gradients { get; }

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

    /// <summary>Per node: whether backward must compute the gradient of its output.</summary>
    public bool[] NeedsGradient { get; }

    /// <summary>Per node: which call of its layer it is (Keras's node index).</summary>
    public int[] NodeIndexInLayer { get; }

    /// <summary>The model's layers in first-use order (the order of <c>Summary()</c> and of the weights).</summary>
    public List<int> Layers { get; } = new();

    /// <summary>
    /// Per layer with weights: its slot among them, in the order of <see cref="Layers"/> (the order of the description's
    /// weights): the index of its run-time trainable flag (<c>workspace.Trains(slot)</c>).
    /// </summary>
    public Dictionary<int, int> TrainableSlot { get; } = new();

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
}

/// <summary>A layer whose working buffers would hold more values per sample than an int indexes.</summary>
internal sealed class SizeOverflowException : System.Exception
{
    public SizeOverflowException(LayerKind kind, string layer)
        : base($"{kind} '{layer}' would need working buffers of more than 2,147,483,647 values per sample; use smaller windows, layers or inputs")
    {
    }
}
