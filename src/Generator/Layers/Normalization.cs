using System.Collections.Generic;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>BatchNormalization</c>'s settings (over the last axis).</summary>
internal sealed record BatchNormalizationConfig(double Momentum, double Epsilon, bool Center, bool Scale) : LayerConfig;

/// <summary>
/// <c>BatchNormalization(momentum, epsilon, center, scale)</c> over the last axis: batch statistics while training
/// (updating the moving ones), the moving statistics in prediction.
/// </summary>
internal sealed class NormalizationRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.BatchNormalization };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        var momentum = args.Known("momentum");
        var epsilon = args.Known("epsilon");
        bool? center = args.Bool("center");
        bool? scale = args.Bool("scale");
        if (momentum is null || epsilon is null || center is null || scale is null)
        {
            return null;
        }

        if (momentum.Kind != ValueKind.Number || !(momentum.Number >= 0 && momentum.Number <= 1) || epsilon.Kind != ValueKind.Number
            || !((float)epsilon.Number > 0f && !float.IsInfinity((float)epsilon.Number)))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.CallSpan,
                "BatchNormalization needs a momentum in [0, 1] and an epsilon that is positive in single precision (such as 0.001)");
            return null;
        }

        return new BatchNormalizationConfig(momentum.Number, epsilon.Number, center.Value, scale.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var s = c.Settings<BatchNormalizationConfig>();
        if (c.Input.Dims.Count == 0)
        {
            return c.Fail($"its input has shape {c.Input.Keras}; BatchNormalization needs a channel axis");
        }

        int channels = c.Input.Dims[c.Input.Dims.Count - 1];
        if (DimTable.IsSymbolic(channels))
        {
            return c.Fail($"its input has shape {c.Input.Keras}, whose last axis is known only at run time; BatchNormalization needs it known");
        }

        if (s.Scale)
        {
            c.Weight("gamma", WeightInit.Ones, channels);
        }

        if (s.Center)
        {
            c.Weight("beta", WeightInit.Zeros, channels);
        }

        c.State("moving_mean", WeightInit.Zeros, channels);
        c.State("moving_variance", WeightInit.Ones, channels);
        return c.Input with { Repeat = 1 };
    }

    public override bool UsesTrainingFlag => true;

    /// <summary>The batch mean and inverse deviation: 2 · channels floats per call (a region per sample is room to spare).</summary>
    public override int[] Temporaries(PlanContext c) => new[] { c.PerRow(2 * c.Input.Dims[c.Input.Dims.Count - 1]) };

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<BatchNormalizationConfig>();
        int channels = e.ChannelsOf(e.Input);
        string x = e.Values(e.Input);
        string rows = e.Rows(e.PositionsOf(e.Input));
        string common = $"{e.Weight("gamma")}, {e.Weight("beta")}";
        e.Open("if (workspace.TrainingPass)");
        e.Line($"{Kernels}BatchNorm.ForwardTraining({x}, {common}, {e.Weight("moving_mean")}, {e.Weight("moving_variance")}, {e.Values(e.Node)}, " +
               $"{e.Temporary(0, 2 * channels)}, {rows}, {N(channels)}, momentum: {Float(s.Momentum)}, epsilon: {Float(s.Epsilon)});");
        e.Close();
        e.Open("else");
        e.Line($"{Kernels}BatchNorm.ForwardInference({x}, {common}, {e.Weight("moving_mean")}, {e.Weight("moving_variance")}, {e.Values(e.Node)}, " +
               $"{rows}, {N(channels)}, epsilon: {Float(s.Epsilon)});");
        e.Close();
    }

    public override void Backward(NodeEmitter e)
    {
        int channels = e.ChannelsOf(e.Input);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        e.Line($"{Kernels}BatchNorm.Backward({e.Values(e.Input)}, {e.Weight("gamma")}, {e.Temporary(0, 2 * channels)}, dy, {e.GradientOrEmpty(e.Input)}, " +
               $"{e.WeightGradient("gamma")}, {e.WeightGradient("beta")}, {e.Rows(e.PositionsOf(e.Input))}, {N(channels)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<BatchNormalizationConfig>();
        config.Int("axis", -1).Number("momentum", s.Momentum).Number("epsilon", s.Epsilon).Bool("center", s.Center).Bool("scale", s.Scale);
    }
}
