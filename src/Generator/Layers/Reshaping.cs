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

/// <summary><c>Reshape</c>'s settings: the per-sample target shape, -1 for the size that is left.</summary>
internal sealed record ReshapeConfig(EquatableArray<int> TargetShape) : LayerConfig;

/// <summary><c>UpSampling2D</c>'s settings: how often each row and column repeats.</summary>
internal sealed record UpSamplingConfig(int Height, int Width) : LayerConfig;

/// <summary>
/// <c>Reshape(targetShape)</c> and <c>Flatten()</c>, which view their input's memory under another shape (an output
/// gets a copy of its own: each output's loss writes its own gradient), and <c>UpSampling2D(size)</c>, which repeats
/// rows and columns (nearest neighbour).
/// </summary>
internal sealed class ReshapingRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Reshape, LayerKind.Flatten, LayerKind.UpSampling2D };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        switch (kind)
        {
            case LayerKind.Reshape:
            {
                var target = args.Known("targetShape");
                if (target is null)
                {
                    return null;
                }

                var dims = target.Kind == ValueKind.List && target.Items!.All(d => d is { Kind: ValueKind.Number, IsInteger: true })
                    ? target.Items!.Select(d => (int)d.Number).ToList()
                    : null;
                if (dims is null || dims.Count == 0 || dims.Any(d => d == 0 || d < -1) || dims.Count(d => d == -1) > 1)
                {
                    args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("targetShape"),
                        "Reshape needs a target shape of positive sizes, with at most one -1 for the size that is left, such as [4, 4, 1]");
                    return null;
                }

                return new ReshapeConfig(dims.ToEquatableArray());
            }

            case LayerKind.UpSampling2D:
                return args.Window("size", oneDimensional: false, fallback: 2) is { } size ? new UpSamplingConfig(size.Height, size.Width) : null;
            default:
                return NoSettings.Instance;
        }
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        switch (c.Layer.Kind)
        {
            case LayerKind.Reshape:
            {
                var target = c.Settings<ReshapeConfig>().TargetShape;
                int size = c.Dims.Product(c.Input.Dims);
                int known = target.Where(d => d > 0).Aggregate(1, (a, d) => a * d);
                int? rest = target.Contains(-1) ? c.Dims.DivideExact(size, known) : size == known ? 1 : null;
                string wanted = "(None, " + string.Join(", ", target.Select(d => d < 0 ? "-1" : d.ToString(CultureInfo.InvariantCulture))) + ")";
                if (rest is null || rest == 0)
                {
                    return c.Fail($"its input has shape {c.Input.Keras} ({(DimTable.IsSymbolic(size) ? "a size known only at run time" : size.ToString(CultureInfo.InvariantCulture) + " values")} per sample), " +
                        $"which cannot be reshaped to {wanted}: the number of values must stay the same");
                }

                return c.Shape(target.Select(d => d < 0 ? rest.Value : d)) with { DType = c.Input.DType };
            }

            case LayerKind.Flatten:
                return c.Shape(new[] { c.Dims.Product(c.Input.Dims) }) with { DType = c.Input.DType };
            default:
            {
                if (!c.IsFloat())
                {
                    return null;
                }

                var s = c.Settings<UpSamplingConfig>();
                int? channels = c.Channels(3, "(None, height, width, channels)");
                return channels is int ch
                    ? c.Shape(new[] { c.Dims.Mul(c.Input.Dims[0], s.Height), c.Dims.Mul(c.Input.Dims[1], s.Width), ch })
                    : null;
            }
        }
    }

    public override bool IsView(LayerSpec layer) => layer.Kind != LayerKind.UpSampling2D;

    public override bool CopiedWhenOutput => true;

    public override void Forward(NodeEmitter e)
    {
        if (e.Layer.Kind == LayerKind.UpSampling2D)
        {
            var s = e.Settings<UpSamplingConfig>();
            var dims = e.ShapeOf(e.Input).Dims;
            e.Line($"{Kernels}Resize.UpSampleForward({e.Values(e.Input)}, {e.Values(e.Node)}, batchSize, {e.D(dims[0])}, {e.D(dims[1])}, {N(dims[2])}, {N(s.Height)}, {N(s.Width)});");
            return;
        }

        e.Line($"{e.Values(e.Input)}.CopyTo({e.Values(e.Node)}); // an output of its own (a view otherwise)");
    }

    public override void Backward(NodeEmitter e)
    {
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (e.Layer.Kind == LayerKind.UpSampling2D)
        {
            var s = e.Settings<UpSamplingConfig>();
            var dims = e.ShapeOf(e.Input).Dims;
            e.Line($"{Kernels}Resize.UpSampleBackward(dy, {e.Gradient(e.Input)}, batchSize, {e.D(dims[0])}, {e.D(dims[1])}, {N(dims[2])}, {N(s.Height)}, {N(s.Width)});");
            return;
        }

        e.Line($"{Kernels}TensorOps.Accumulate(dy, {e.Gradient(e.Input)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        switch (layer.Kind)
        {
            case LayerKind.Reshape:
                config.Settings("ReshapeSettings").Ints("target_shape", layer.Settings<ReshapeConfig>().TargetShape.ToArray());
                break;
            case LayerKind.Flatten:
                config.Settings("FlattenSettings").Text("data_format", "channels_last");
                break;
            default:
                var s = layer.Settings<UpSamplingConfig>();
                config.Settings("UpSamplingSettings").Ints("size", new[] { s.Height, s.Width }).Text("data_format", "channels_last").Text("interpolation", "nearest");
                break;
        }
    }
}

/// <summary><c>Permute</c>'s settings: for each output axis, the input axis it takes, counting from 1 (the batch axis
/// excluded), as Keras's <c>dims</c>.</summary>
internal sealed record PermuteConfig(EquatableArray<int> Dims) : LayerConfig;

/// <summary>
/// Keras's <c>Permute(dims)</c>, and <c>Ops.Transpose(x, axes)</c> with the batch axis kept first: each sample's axes
/// reordered (multi-head attention by hand: (T, heads, d) to (heads, T, d)). The values are copied into the new order;
/// backward copies the gradient back.
/// </summary>
internal sealed class PermuteRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Permute };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
        => args.Axes("dims") is { } dims ? new PermuteConfig(dims) : null;

    public override TensorShape? Infer(ShapeContext c)
    {
        var dims = c.Settings<PermuteConfig>().Dims;
        int rank = c.Input.Dims.Count;
        if (dims.Count != rank || !dims.OrderBy(d => d).SequenceEqual(Enumerable.Range(1, rank)))
        {
            c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                $"Permute '{c.Layer.Name}' has dims ({string.Join(", ", dims)}) for an input shaped {c.Input.Keras}: they must order its axes 1 to {rank} " +
                "(the batch axis stays first)");
            return null;
        }

        return c.Shape(dims.Select(d => c.Input.Dims[d - 1])) with { DType = c.Input.DType };
    }

    public override void Forward(NodeEmitter e)
        => e.Line($"{Kernels}TensorOps.Permute({e.Values(e.Input)}, {e.Values(e.Node)}, batchSize, {Arguments(e)});");

    public override void Backward(NodeEmitter e)
    {
        if (e.NeedsGradient(e.Input))
        {
            e.Line($"{Kernels}TensorOps.PermuteBackward({e.Gradient(e.Node)}, {e.Gradient(e.Input)}, batchSize, {Arguments(e)});");
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("PermuteSettings").Ints("dims", layer.Settings<PermuteConfig>().Dims.ToArray());

    /// <summary>The input's per-sample shape and the order (0-based input axis per output axis), on the stack.</summary>
    private static string Arguments(NodeEmitter e)
    {
        var input = e.ShapeOf(e.Input).Dims;
        return $"stackalloc int[] {{ {string.Join(", ", input.Select(e.D))} }}, stackalloc int[] {{ {string.Join(", ", e.Settings<PermuteConfig>().Dims.Select(d => N(d - 1)))} }}";
    }
}

/// <summary><c>Flip</c>'s settings: the reversed axis, counting the batch axis as 0 as Keras does.</summary>
internal sealed record FlipConfig(int Axis) : LayerConfig;

/// <summary>
/// Keras's <c>ops.flip(x, axis)</c>: one axis reversed. The evaluator adds it inside <c>Bidirectional</c>, where it puts
/// the backward layer's sequence (in processing order, last step first) back in the input's order.
/// </summary>
internal sealed class FlipRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Flip };

    /// <summary>Inside Bidirectional the flipped sequence is back in the input's order, so it keeps the input's mask, as
    /// the wrapper's output does in Keras.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    /// <summary>No builder function: the evaluator creates it.</summary>
    public override IEnumerable<(string Function, LayerKind Kind)> Functions => System.Array.Empty<(string, LayerKind)>();

    public override TensorShape? Infer(ShapeContext c)
    {
        int axis = c.Settings<FlipConfig>().Axis;
        if (axis < 1 || axis > c.Input.Dims.Count)
        {
            return c.Fail($"its input has shape {c.Input.Keras}, which has no axis {axis.ToString(CultureInfo.InvariantCulture)} to reverse");
        }

        return c.Shape(c.Input.Dims) with { DType = c.Input.DType };
    }

    public override void Forward(NodeEmitter e)
    {
        var (outer, length, inner) = Geometry(e);
        e.Line($"{Kernels}TensorOps.Flip({e.Values(e.Input)}, {e.Values(e.Node)}, {outer}, {length}, {inner});");
    }

    public override void Backward(NodeEmitter e)
    {
        if (e.NeedsGradient(e.Input))
        {
            var (outer, length, inner) = Geometry(e);
            e.Line($"{Kernels}TensorOps.FlipBackward({e.Gradient(e.Node)}, {e.Gradient(e.Input)}, {outer}, {length}, {inner});");
        }
    }

    public override string KerasClass(LayerKind kind) => "TFOpLambda";

    public override bool IsKerasLayer(LayerKind kind) => false;

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("FlipSettings").Int("axis", layer.Settings<FlipConfig>().Axis);

    /// <summary>The kernel's [outer, length, inner] as code: rows times the axes before the reversed one, that axis, the rest.</summary>
    private static (string Outer, string Length, string Inner) Geometry(NodeEmitter e)
    {
        var dims = e.ShapeOf(e.Input).Dims;
        int axis = e.Settings<FlipConfig>().Axis - 1;
        return ($"{e.Rows(1)} * {e.D(e.Dims.Product(dims.Take(axis)))}", e.D(dims[axis]), e.D(e.Dims.Product(dims.Skip(axis + 1))));
    }
}
