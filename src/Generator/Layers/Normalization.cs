using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>BatchNormalization</c>'s settings (over the last axis).</summary>
internal sealed record BatchNormalizationConfig(double Momentum, double Epsilon, bool Center, bool Scale) : LayerConfig;

/// <summary><c>LayerNormalization</c>'s settings.</summary>
/// <param name="Axes">The normalised axes as the user wrote them (Keras counts the batch axis as 0; -1 is the last).</param>
/// <param name="AxisIsList">Whether they were written as a list (<c>axis: [1, 2]</c>), as Keras's config keeps it.</param>
/// <param name="Epsilon">Added to the variance.</param>
/// <param name="Center">Whether there is a beta (offset).</param>
/// <param name="Scale">Whether there is a gamma (scale).</param>
/// <param name="RmsScaling">Keras's <c>rms_scaling</c>: divide by the deviation without centring, always with gamma,
/// never with beta.</param>
internal sealed record LayerNormalizationConfig(EquatableArray<int> Axes, bool AxisIsList, double Epsilon, bool Center, bool Scale, bool RmsScaling)
    : LayerConfig;

/// <summary>
/// <c>BatchNormalization(momentum, epsilon, center, scale)</c> over the last axis: batch statistics while training
/// (updating the moving ones; over a masked sequence, of the kept steps only, as Keras's masked moments), the moving
/// statistics in prediction.
/// </summary>
internal sealed class BatchNormalizationRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.BatchNormalization };

    /// <summary>A masked input's batch statistics weigh the kept steps only (Keras's masked moments); every step is
    /// normalised, and the output keeps the mask.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override bool ConsumesMask(LayerSpec layer) => true;

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

    public override bool UsesTrainingFlag(LayerSpec layer) => true;

    /// <summary>The batch mean and inverse deviation: 2 · channels floats per call (a region per sample is room to spare).</summary>
    public override int[] Temporaries(PlanContext c) => new[] { c.PerRow(2 * c.Input.Dims[c.Input.Dims.Count - 1]) };

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<BatchNormalizationConfig>();
        int channels = e.ChannelsOf(e.Input);
        string x = e.Values(e.Input);
        string rows = e.Rows(e.PositionsOf(e.Input));
        string common = $"{e.Weight("gamma")}, {e.Weight("beta")}";
        // Keras 3: a frozen BatchNormalization (trainable=False) normalises with its moving statistics even in training.
        e.Open($"if (workspace.TrainingPass && workspace.Trains({N(e.Slot)}))");
        e.Line($"{Kernels}BatchNorm.ForwardTraining({x}, {common}, {e.Weight("moving_mean")}, {e.Weight("moving_variance")}, {e.Values(e.Node)}, " +
               $"{e.Temporary(0, 2 * channels)}, {rows}, {N(channels)}, momentum: {Float(s.Momentum)}, epsilon: {Float(s.Epsilon)}{e.MaskArgument(0, "mask")});");
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
        e.Open($"if (workspace.Trains({N(e.Slot)}))");
        e.Line($"{Kernels}BatchNorm.Backward({e.Values(e.Input)}, {e.Weight("gamma")}, {e.Temporary(0, 2 * channels)}, dy, {e.GradientOrEmpty(e.Input)}, " +
               $"{e.WeightGradient("gamma")}, {e.WeightGradient("beta")}, {e.Rows(e.PositionsOf(e.Input))}, {N(channels)}{e.MaskArgument(0, "mask")});");
        e.Close();
        if (e.NeedsGradient(e.Input))
        {
            // Frozen: the forward pass normalised with the moving statistics, an affine map of the input.
            e.Open("else if (workspace.NeedsGradient(" + N(e.Input) + "))");
            e.Line($"{Kernels}BatchNorm.BackwardInference({e.Weight("gamma")}, {e.Weight("moving_variance")}, dy, {e.Gradient(e.Input)}, " +
                   $"{e.Rows(e.PositionsOf(e.Input))}, {N(channels)}, epsilon: {Float(e.Settings<BatchNormalizationConfig>().Epsilon)});");
            e.Close();
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<BatchNormalizationConfig>();
        config.Settings("BatchNormalizationSettings").Int("axis", -1).Number("momentum", s.Momentum).Number("epsilon", s.Epsilon).Bool("center", s.Center).Bool("scale", s.Scale);
    }
}

/// <summary>
/// <c>LayerNormalization(axis, epsilon, center, scale, rmsScaling)</c>, as Keras 3 computes it: each sample is
/// normalised over the given axes, y = (x − mean) / sqrt(variance + ε) · gamma + beta, with the biased variance; gamma
/// and beta span the normalised axes. The axes must be adjacent (every Keras use: the last axis, or the last few), so
/// that the kernel sees the input as [outer, length, inner].
/// </summary>
internal sealed class LayerNormalizationRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.LayerNormalization };

    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        var axes = args.Axes("axis");
        double? epsilon = args.Number("epsilon");
        bool? center = args.Bool("center");
        bool? scale = args.Bool("scale");
        bool? rms = args.Bool("rmsScaling");
        if (axes is null || epsilon is null || center is null || scale is null || rms is null)
        {
            return null;
        }

        if (!((float)epsilon.Value > 0f && !float.IsInfinity((float)epsilon.Value)))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("epsilon"),
                $"LayerNormalization needs an epsilon that is positive in single precision (such as 0.001), but it is {epsilon.Value.ToString("R", CultureInfo.InvariantCulture)}");
            return null;
        }

        return new LayerNormalizationConfig(axes.Value, args.Raw("axis").Kind == ValueKind.List, epsilon.Value, center.Value, scale.Value, rms.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var s = c.Settings<LayerNormalizationConfig>();
        var input = c.Input;
        int rank = input.Dims.Count + 1; // Keras counts the batch axis
        var axes = new List<int>();
        foreach (int given in s.Axes)
        {
            int axis = given < 0 ? given + rank : given;
            if (axis < 1 || axis >= rank)
            {
                c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                    $"LayerNormalization '{c.Layer.Name}' normalises axis {given}, but its input {input.Keras} has axes 1..{rank - 1} " +
                    $"(or -{rank - 1}..-1); the batch axis 0 cannot be normalised");
                return null;
            }

            if (axes.Contains(axis))
            {
                c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                    $"LayerNormalization '{c.Layer.Name}' lists axis {axis} twice (as {string.Join(", ", s.Axes)}) for an input of rank {rank}");
                return null;
            }

            axes.Add(axis);
        }

        axes.Sort();
        if (axes[axes.Count - 1] - axes[0] != axes.Count - 1)
        {
            c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                $"LayerNormalization '{c.Layer.Name}' normalises axes {string.Join(", ", axes)}, which are not adjacent; this version needs adjacent axes " +
                "(such as the last one, or the last few)");
            return null;
        }

        var normalised = axes.Select(a => input.Dims[a - 1]).ToArray();
        if (normalised.Any(DimTable.IsSymbolic))
        {
            return c.Fail($"its input has shape {input.Keras}, and the normalised axes ({string.Join(", ", axes)}) must have sizes known at compile time " +
                "to size gamma and beta (Keras needs that part of the shape fully defined too)");
        }

        if (s.Scale || s.RmsScaling)
        {
            c.Weight("gamma", WeightInit.Ones, normalised);
        }

        if (s.Center && !s.RmsScaling)
        {
            c.Weight("beta", WeightInit.Zeros, normalised);
        }

        return input with { Repeat = 1 };
    }

    /// <summary>The mean and inverse deviation of each normalised group, for backward.</summary>
    public override int[] Temporaries(PlanContext c)
    {
        var (outer, _, inner) = Geometry(c.Dims, c.Input.Dims, c.Layer);
        return new[] { c.PerRow(c.Dims.Mul(c.Dims.Mul(2, inner), outer)) };
    }

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<LayerNormalizationConfig>();
        var (outer, length, inner) = Geometry(e.Dims, e.ShapeOf(e.Input).Dims, e.Layer);
        e.Line($"{Kernels}LayerNorm.Forward({e.Values(e.Input)}, {e.Weight("gamma")}, {e.Weight("beta")}, {e.Values(e.Node)}, " +
               $"{e.Temporary(0, e.Dims.Mul(e.Dims.Mul(2, inner), outer))}, {e.Rows(outer)}, {N(length)}, {e.D(inner)}, epsilon: {Float(s.Epsilon)}, rms: {Bool(s.RmsScaling)});");
    }

    public override void Backward(NodeEmitter e)
    {
        var s = e.Settings<LayerNormalizationConfig>();
        var (outer, length, inner) = Geometry(e.Dims, e.ShapeOf(e.Input).Dims, e.Layer);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        e.Line($"{Kernels}LayerNorm.Backward({e.Values(e.Input)}, {e.Weight("gamma")}, {e.Temporary(0, e.Dims.Mul(e.Dims.Mul(2, inner), outer))}, dy, " +
               $"{e.GradientOrEmpty(e.Input)}, {e.WeightGradientOrEmpty("gamma")}, {e.WeightGradientOrEmpty("beta")}, {e.Rows(outer)}, {N(length)}, {e.D(inner)}, " +
               $"rms: {Bool(s.RmsScaling)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<LayerNormalizationConfig>();
        config.Settings("LayerNormalizationSettings");
        if (s.AxisIsList)
        {
            config.Ints("axis", s.Axes.ToArray());
        }
        else
        {
            config.Int("axis", s.Axes[0]);
        }

        config.Number("epsilon", s.Epsilon).Bool("center", s.Center).Bool("scale", s.Scale).Bool("rms_scaling", s.RmsScaling);
    }

    /// <summary>The input as [outer, length, inner] per sample: the product of the axes before the normalised ones, of
    /// the normalised ones (a constant), and of those after. Outer and inner are dimensions: they may depend on
    /// run-time lengths.</summary>
    private static (int Outer, int Length, int Inner) Geometry(DimTable dims, EquatableArray<int> shape, LayerSpec layer)
    {
        int rank = shape.Count + 1;
        var axes = layer.Settings<LayerNormalizationConfig>().Axes.Select(a => (a < 0 ? a + rank : a) - 1).ToList();
        int first = axes.Min(), last = axes.Max();
        return (dims.Product(shape.Take(first)), shape.Skip(first).Take(last - first + 1).Aggregate(1, (a, d) => a * d),
            dims.Product(shape.Skip(last + 1)));
    }
}
