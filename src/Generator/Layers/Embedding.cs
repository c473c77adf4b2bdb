using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Embedding</c>'s settings.</summary>
internal sealed record EmbeddingConfig(int InputDim, int OutputDim) : LayerConfig;

/// <summary><c>Embedding(inputDim, outputDim)</c>: one row of <c>embeddings</c> per integer input (an id outside
/// 0..inputDim-1 is an error at run time, as in Keras).</summary>
internal sealed class EmbeddingRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Embedding };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        int? inputDim = args.Positive("inputDim");
        int? outputDim = args.Positive("outputDim");
        return inputDim is null || outputDim is null ? null : new EmbeddingConfig(inputDim.Value, outputDim.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (c.Input.DType != 1)
        {
            c.Report(DiagnosticIds.DTypeMismatch, c.NodeSpec.InputSpans[0], c.TensorName(0), "float32");
            return null;
        }

        var s = c.Settings<EmbeddingConfig>();
        c.Weight("embeddings", WeightInit.Uniform, s.InputDim, s.OutputDim);
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
        e.Line($"{Kernels}Embedding.Backward({e.Values(e.Input)}, dy, {e.WeightGradient("embeddings")}, batchSize * {e.D(count)}, {N(e.Settings<EmbeddingConfig>().OutputDim)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<EmbeddingConfig>();
        config.Settings("EmbeddingSettings").Int("input_dim", s.InputDim).Int("output_dim", s.OutputDim);
    }
}
