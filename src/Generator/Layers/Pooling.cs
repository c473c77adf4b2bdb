using System.Collections.Generic;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary>A pooling window's settings; a 1-D layer has height 1. Strides default to the pool size, as in Keras.</summary>
internal sealed record PoolingConfig(int PoolHeight, int PoolWidth, int StrideHeight, int StrideWidth, bool Same) : LayerConfig;

/// <summary><c>MaxPooling1D/2D</c> and <c>AveragePooling1D/2D</c> (and Keras's aliases <c>MaxPool2D</c>, …) over
/// channels-last tensors; an average over a same-padded window counts only the values inside the input, as Keras's.</summary>
internal sealed class PoolingRule : LayerRule
{
    /// <summary>Whether a 1-D pooling (over (steps, channels)), whose window has height 1.</summary>
    internal static bool OneDimensional(LayerKind kind) => kind is LayerKind.MaxPooling1D or LayerKind.AveragePooling1D
        or LayerKind.GlobalMaxPooling1D or LayerKind.GlobalAveragePooling1D;

    public override IReadOnlyList<LayerKind> Kinds { get; } = new[]
    {
        LayerKind.MaxPooling1D, LayerKind.MaxPooling2D, LayerKind.AveragePooling1D, LayerKind.AveragePooling2D,
    };

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => new[]
    {
        ("MaxPooling1D", LayerKind.MaxPooling1D), ("MaxPool1D", LayerKind.MaxPooling1D),
        ("MaxPooling2D", LayerKind.MaxPooling2D), ("MaxPool2D", LayerKind.MaxPooling2D),
        ("AveragePooling1D", LayerKind.AveragePooling1D), ("AvgPool1D", LayerKind.AveragePooling1D),
        ("AveragePooling2D", LayerKind.AveragePooling2D), ("AvgPool2D", LayerKind.AveragePooling2D),
    };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        bool oneD = OneDimensional(kind);
        var pool = args.Window("poolSize", oneD, fallback: 2);
        var strides = args.Raw("strides").Kind == ValueKind.Null ? pool : args.Window("strides", oneD, fallback: null);
        bool? same = args.Padding();
        if (pool is null || strides is null || same is null)
        {
            return null;
        }

        return new PoolingConfig(pool.Value.Height, pool.Value.Width, strides.Value.Height, strides.Value.Width, same.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var s = c.Settings<PoolingConfig>();
        bool oneD = OneDimensional(c.Layer.Kind);
        int? channels = c.Channels(oneD ? 2 : 3, oneD ? "(None, steps, channels)" : "(None, height, width, channels)");
        if (channels is not int ch)
        {
            return null;
        }

        int height = oneD ? 1 : c.Input.Dims[0], width = c.Input.Dims[oneD ? 0 : 1];
        int outHeight = oneD ? 1 : c.Dims.Window(height, s.PoolHeight, s.StrideHeight, 1, s.Same);
        int outWidth = c.Dims.Window(width, s.PoolWidth, s.StrideWidth, 1, s.Same);
        if (outHeight == 0 || outWidth == 0)
        {
            return c.Fail($"its input has shape {c.Input.Keras}, smaller than the pooling window (use Padding.Same, or a smaller pool size)");
        }

        return c.Shape(oneD ? new[] { outWidth, ch } : new[] { outHeight, outWidth, ch });
    }

    public override void Forward(NodeEmitter e)
    {
        bool max = e.Layer.Kind is LayerKind.MaxPooling1D or LayerKind.MaxPooling2D;
        e.Line($"{Kernels}Pooling.{(max ? "Max" : "Average")}Forward({e.Values(e.Input)}, {e.Values(e.Node)}, {Geometry(e)}, batchSize);");
    }

    public override void Backward(NodeEmitter e)
    {
        e.Line($"var dy = {e.Gradient(e.Node)};");
        e.Line(e.Layer.Kind is LayerKind.MaxPooling1D or LayerKind.MaxPooling2D
            ? $"{Kernels}Pooling.MaxBackward({e.Values(e.Input)}, {e.Values(e.Node)}, dy, {e.Gradient(e.Input)}, {Geometry(e)}, batchSize);"
            : $"{Kernels}Pooling.AverageBackward(dy, {e.Gradient(e.Input)}, {Geometry(e)}, batchSize);");
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<PoolingConfig>();
        bool oneD = OneDimensional(layer.Kind);
        int[] Pair(int height, int width) => oneD ? new[] { width } : new[] { height, width };
        config.Settings("PoolingSettings").Ints("pool_size", Pair(s.PoolHeight, s.PoolWidth)).Text("padding", s.Same ? "same" : "valid")
            .Ints("strides", Pair(s.StrideHeight, s.StrideWidth)).Text("data_format", "channels_last");
    }

    private static string Geometry(NodeEmitter e)
    {
        var s = e.Settings<PoolingConfig>();
        int channels = e.ChannelsOf(e.Input);
        return e.Geometry(e.Input, e.Node, channels, channels, s.PoolHeight, s.PoolWidth, s.StrideHeight, s.StrideWidth, 1, 1, s.Same,
            OneDimensional(e.Layer.Kind));
    }
}

/// <summary><c>GlobalMaxPooling1D/2D</c> and <c>GlobalAveragePooling1D/2D</c> (and the <c>GlobalMaxPool2D</c> aliases):
/// the maximum or mean over every position, per channel.</summary>
internal sealed class GlobalPoolingRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[]
    {
        LayerKind.GlobalMaxPooling1D, LayerKind.GlobalMaxPooling2D, LayerKind.GlobalAveragePooling1D, LayerKind.GlobalAveragePooling2D,
    };

    /// <summary>GlobalAveragePooling1D averages the unmasked steps only; the other global poolings do not support
    /// masking, as in Keras 3.</summary>
    public override MaskFlow Mask(LayerSpec layer) => layer.Kind == LayerKind.GlobalAveragePooling1D ? MaskFlow.Ends : MaskFlow.Unsupported;

    public override bool ConsumesMask(LayerSpec layer) => layer.Kind == LayerKind.GlobalAveragePooling1D;

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => new[]
    {
        ("GlobalMaxPooling1D", LayerKind.GlobalMaxPooling1D), ("GlobalMaxPool1D", LayerKind.GlobalMaxPooling1D),
        ("GlobalMaxPooling2D", LayerKind.GlobalMaxPooling2D), ("GlobalMaxPool2D", LayerKind.GlobalMaxPooling2D),
        ("GlobalAveragePooling1D", LayerKind.GlobalAveragePooling1D), ("GlobalAvgPool1D", LayerKind.GlobalAveragePooling1D),
        ("GlobalAveragePooling2D", LayerKind.GlobalAveragePooling2D), ("GlobalAvgPool2D", LayerKind.GlobalAveragePooling2D),
    };

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        bool oneD = PoolingRule.OneDimensional(c.Layer.Kind);
        int? channels = c.Channels(oneD ? 2 : 3, oneD ? "(None, steps, channels)" : "(None, height, width, channels)");
        return channels is int ch ? c.Shape(new[] { ch }) : null;
    }

    public override void Forward(NodeEmitter e)
    {
        int length = e.PositionsOf(e.Input);
        int channels = e.ChannelsOf(e.Input);
        if (e.Mask(0) is { } mask)
        {
            e.Line($"{Kernels}Masking.MeanForward({e.Values(e.Input)}, {mask}, {e.Values(e.Node)}, batchSize, {e.D(length)}, {N(channels)});");
            return;
        }

        e.Line(IsMax(e)
            ? $"{Kernels}Pooling.GlobalMaxForward({e.Values(e.Input)}, {e.Values(e.Node)}, batchSize, {e.D(length)}, {N(channels)});"
            : $"{Kernels}OpKernels.Reduce({e.Values(e.Input)}, {e.Values(e.Node)}, batchSize, {e.D(length)}, {N(channels)}, {e.MeanScale(length)});");
    }

    public override void Backward(NodeEmitter e)
    {
        int length = e.PositionsOf(e.Input);
        int channels = e.ChannelsOf(e.Input);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (e.Mask(0) is { } mask)
        {
            e.Line($"{Kernels}Masking.MeanBackward(dy, {mask}, {e.Gradient(e.Input)}, batchSize, {e.D(length)}, {N(channels)});");
            return;
        }

        e.Line(IsMax(e)
            ? $"{Kernels}Pooling.GlobalMaxBackward({e.Values(e.Input)}, {e.Values(e.Node)}, dy, {e.Gradient(e.Input)}, batchSize, {e.D(length)}, {N(channels)});"
            : $"{Kernels}OpKernels.ReduceBackward(dy, {e.Gradient(e.Input)}, batchSize, {e.D(length)}, {N(channels)}, {e.MeanScale(length)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("GlobalPoolingSettings").Text("data_format", "channels_last").Bool("keepdims", false);

    private static bool IsMax(NodeEmitter e) => e.Layer.Kind is LayerKind.GlobalMaxPooling1D or LayerKind.GlobalMaxPooling2D;
}
