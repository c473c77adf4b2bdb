using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Embedding</c>'s settings; <c>MaskZero</c> is Keras's <c>mask_zero</c>.</summary>
internal sealed record EmbeddingConfig(int InputDim, int OutputDim, bool MaskZero) : LayerConfig;

/// <summary><c>Embedding(inputDim, outputDim)</c>: one row of <c>embeddings</c> per integer input (an id outside
/// 0..inputDim-1 is an error at run time, as in Keras).</summary>
internal sealed class EmbeddingRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Embedding };

    /// <summary><c>mask_zero</c>: id 0 is padding, masked for the layers that follow.</summary>
    public override MaskFlow Mask(LayerSpec layer) => layer.Config is EmbeddingConfig { MaskZero: true } ? MaskFlow.Produces : MaskFlow.Unsupported;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        int? inputDim = args.Positive("inputDim");
        int? outputDim = args.Positive("outputDim");
        bool? maskZero = args.Bool("maskZero");
        return inputDim is null || outputDim is null || maskZero is null ? null : new EmbeddingConfig(inputDim.Value, outputDim.Value, maskZero.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (c.Input.DType != 1)
        {
            c.Report(DiagnosticIds.DTypeMismatch, c.NodeSpec.InputSpans[0], c.TensorName(0), "float32");
            return null;
        }

        var s = c.Settings<EmbeddingConfig>();
        c.RowTable("embeddings", WeightInit.Uniform, s.InputDim, s.OutputDim);
        return c.Shape(c.Input.Dims.Concat(new[] { s.OutputDim }));
    }

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<EmbeddingConfig>();
        int count = e.Dims.Product(e.ShapeOf(e.Input).Dims);
        var skipping = e.FoldsSkipping.ToList();
        if (skipping.Count > 0)
        {
            // Only folded recurrent layers read this output: a folded pass looks their rows up in its own table.
            e.Open($"if ({string.Join(" || ", skipping.Select(f => FoldedTable(f) + ".IsEmpty"))})");
        }

        e.Line($"{Kernels}Embedding.Forward({e.Values(e.Input)}, {e.Weight("embeddings")}, {e.Values(e.Node)}, batchSize * {e.D(count)}, {N(s.OutputDim)}, {N(s.InputDim)}, {e.D(count)});");
        if (skipping.Count > 0)
        {
            e.Close();
        }
    }

    public override void Backward(NodeEmitter e)
    {
        int count = e.Dims.Product(e.ShapeOf(e.Input).Dims);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        bool trains = e.OpenIfTrains();
        // The rows the ids name are recorded while a step updates only those (a row table, LayerRule.RowTable).
        e.Line($"{Kernels}Embedding.Backward({e.Values(e.Input)}, dy, {e.WeightGradient("embeddings")}, batchSize * {e.D(count)}, {N(e.Settings<EmbeddingConfig>().OutputDim)}, " +
               $"workspace.TouchedRows({N(e.WeightOffset("embeddings"))}));");
        e.CloseIf(trains);
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<EmbeddingConfig>();
        config.Settings("EmbeddingSettings").Int("input_dim", s.InputDim).Int("output_dim", s.OutputDim).Bool("mask_zero", s.MaskZero);
    }
}

/// <summary><c>PositionEmbedding</c>'s settings: the longest sequence it has positions for.</summary>
internal sealed record PositionEmbeddingConfig(int SequenceLength) : LayerConfig;

/// <summary>
/// <c>PositionEmbedding(sequenceLength)</c>, as Keras-Hub's: a table <c>embeddings</c> [sequenceLength, features]
/// (glorot-uniform), whose first <c>steps</c> rows are the output for every sample, in the input's shape
/// (…, steps, features). Only the input's shape is read, so no gradient flows to the input; the table's gradient is the
/// output's summed over the batch (and any axes before the steps).
/// </summary>
internal sealed class PositionEmbeddingRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.PositionEmbedding };

    /// <summary>The positions of a masked sequence keep its mask (Keras-Hub's TokenAndPositionEmbedding keeps the
    /// tokens' mask), so <c>Add([tokens, positions])</c> stays masked.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
        => args.Positive("sequenceLength") is int length ? new PositionEmbeddingConfig(length) : null;

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var input = c.Input;
        int length = c.Settings<PositionEmbeddingConfig>().SequenceLength;
        if (input.Dims.Count < 2)
        {
            return c.Fail($"its input has shape {input.Keras}, but PositionEmbedding needs (None, steps, features): positions along the axis before the last");
        }

        int steps = input.Dims[input.Dims.Count - 2], features = input.Dims[input.Dims.Count - 1];
        if (DimTable.IsSymbolic(features))
        {
            return c.Fail($"its input has shape {input.Keras}; the features (the last axis) must have a length known at compile time, the table's width");
        }

        if (!DimTable.IsSymbolic(steps) && steps > length)
        {
            return c.Fail($"its input has shape {input.Keras}: {steps} steps, but the layer has positions for {length} (sequenceLength)");
        }

        c.Weight("embeddings", WeightInit.GlorotUniform, length, features);
        return c.Shape(input.Dims);
    }

    public override void Forward(NodeEmitter e)
    {
        var (outer, steps, features) = Geometry(e);
        e.Line($"{Kernels}Embedding.PositionForward({e.Weight("embeddings")}, {e.Values(e.Node)}, {e.Rows(outer)}, {e.D(steps)}, {N(features)}, " +
               $"{N(e.Settings<PositionEmbeddingConfig>().SequenceLength)});");
    }

    public override void Backward(NodeEmitter e)
    {
        var (outer, steps, features) = Geometry(e);
        bool trains = e.OpenIfTrains();
        e.Line($"{Kernels}Embedding.PositionBackward({e.Gradient(e.Node)}, {e.WeightGradient("embeddings")}, {e.Rows(outer)}, {e.D(steps)}, {N(features)}, " +
               $"{N(e.Settings<PositionEmbeddingConfig>().SequenceLength)});");
        e.CloseIf(trains);
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
        => config.Settings("PositionEmbeddingSettings").Int("sequence_length", layer.Settings<PositionEmbeddingConfig>().SequenceLength)
            .Text("initializer", "glorot_uniform");

    /// <summary>The output per sample as [outer, steps, features]: outer is the product of the axes before the steps.</summary>
    private static (int Outer, int Steps, int Features) Geometry(NodeEmitter e)
    {
        var dims = e.ShapeOf(e.Node).Dims;
        return (e.Dims.Product(dims.Take(dims.Count - 2)), dims[dims.Count - 2], dims[dims.Count - 1]);
    }
}
