using System.Collections.Generic;
using System.Globalization;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Attention</c>'s settings: whether a learned scalar scales the scores.</summary>
internal sealed record AttentionConfig(bool UseScale) : LayerConfig;

/// <summary>
/// Keras's <c>Attention(use_scale, score_mode="dot")</c> applied to <c>[query, value]</c> or <c>[query, value, key]</c>:
/// scores q·kᵀ (times the learned scalar <c>scale</c>, started at 1, with use_scale), softmax over the keys, the weights
/// times the values. This version computes dot scores without dropout, masks or returned scores; the other settings
/// are squiggled.
/// </summary>
internal sealed class AttentionRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Attention };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        bool? useScale = args.Bool("useScale");
        var mode = args.Known("scoreMode");
        double? dropout = args.Number("dropout");
        if (useScale is null || mode is null || dropout is null)
        {
            return null;
        }

        if (mode.Kind != ValueKind.String || mode.String != "dot")
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("scoreMode"),
                $"Attention computes dot-product scores in this version (scoreMode: \"dot\"); got {mode}");
            return null;
        }

        if (dropout.Value != 0)
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("dropout"),
                $"Attention has no dropout on its scores in this version (dropout: 0); got {dropout.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return new AttentionConfig(useScale.Value);
    }

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 3);

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var q = c.Inputs[0].Dims;
        var v = c.Inputs[1].Dims;
        var k = c.Inputs.Count > 2 ? c.Inputs[2].Dims : v;
        int keyInput = c.Inputs.Count > 2 ? 2 : 1;
        for (int i = 0; i < c.Inputs.Count; i++)
        {
            if (c.Inputs[i].Dims.Count != 2)
            {
                return c.FailAt(i, $"input {i} has shape {c.Inputs[i].Keras}; Attention takes sequences, (None, steps, features)");
            }
        }

        if (k[0] != v[0])
        {
            return c.FailAt(keyInput, $"the key has shape {c.Inputs[keyInput].Keras} and the value {c.Inputs[1].Keras}: they need one number of steps");
        }

        if (q[1] != k[1])
        {
            return c.FailAt(keyInput, $"the query has shape {c.Inputs[0].Keras} and the key {c.Inputs[keyInput].Keras}: their features must have one length for the dot product");
        }

        if (c.Settings<AttentionConfig>().UseScale)
        {
            c.Weight("scale", WeightInit.Ones);
        }

        return c.Shape(new[] { q[0], v[1] });
    }

    /// <summary>The softmax weights, and with use_scale the unscaled scores (the scale's gradient reads them).</summary>
    public override int[] Temporaries(PlanContext c)
    {
        int scores = Scores(c);
        return c.Settings<AttentionConfig>().UseScale ? new[] { scores, scores } : new[] { scores };
    }

    /// <summary>The gradient of the weights, one sample at a time.</summary>
    public override int Scratch(PlanContext c) => Scores(c);

    /// <summary>Floats of one sample's scores: query steps × value steps.</summary>
    private static int Scores(PlanContext c)
        => c.Dims.Mul(c.Model.ShapeOf(c.NodeSpec.Inputs[0]).Dims[0], c.Model.ShapeOf(c.NodeSpec.Inputs[1]).Dims[0]);

    public override void Forward(NodeEmitter e)
    {
        var (tq, tv, dim, dv, scores) = Geometry(e);
        bool scaled = e.Settings<AttentionConfig>().UseScale;
        e.Line($"{Kernels}AttentionKernels.Forward({e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
               $"{(scaled ? e.Weight("scale") : $"{ReadOnlySpan}.Empty")}, {(scaled ? e.Temporary(1, scores) : $"{Span}.Empty")}, {e.Temporary(0, scores)}, " +
               $"{e.Values(e.Node)}, batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)});");
    }

    public override void Backward(NodeEmitter e)
    {
        var (tq, tv, dim, dv, scores) = Geometry(e);
        bool scaled = e.Settings<AttentionConfig>().UseScale;
        e.Line($"{Kernels}AttentionKernels.Backward({e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(Key(e))}, {e.Values(e.Inputs[1])}, " +
               $"{(scaled ? e.Weight("scale") : $"{ReadOnlySpan}.Empty")}, {(scaled ? e.Temporary(1, scores) : $"{ReadOnlySpan}.Empty")}, {e.Temporary(0, scores)}, " +
               $"{e.GradientOrEmpty(e.Inputs[0])}, {e.GradientOrEmpty(Key(e))}, {e.GradientOrEmpty(e.Inputs[1])}, {e.WeightGradient("scale")}, {e.Scratch}, " +
               $"batchSize, {e.D(tq)}, {e.D(tv)}, {e.D(dim)}, {e.D(dv)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
        => config.Settings("AttentionSettings").Bool("use_scale", layer.Settings<AttentionConfig>().UseScale).Text("score_mode", "dot").Number("dropout", 0);

    private static int Key(NodeEmitter e) => e.Inputs.Count > 2 ? e.Inputs[2] : e.Inputs[1];

    private static (int Tq, int Tv, int Dim, int Dv, int Scores) Geometry(NodeEmitter e)
    {
        var q = e.ShapeOf(e.Inputs[0]).Dims;
        var v = e.ShapeOf(e.Inputs[1]).Dims;
        return (q[0], v[0], q[1], v[1], e.Dims.Mul(q[0], v[0]));
    }
}
