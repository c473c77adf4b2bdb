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

/// <summary>A convolution's settings. A 1-D layer has height 1 everywhere; <c>DepthMultiplier</c> is 1 but for
/// <c>SeparableConv2D</c>; a transposed convolution has no dilation.</summary>
internal sealed record ConvolutionConfig(
    int Filters,
    int KernelHeight,
    int KernelWidth,
    int StrideHeight,
    int StrideWidth,
    int DilationHeight,
    int DilationWidth,
    bool Same,
    int DepthMultiplier,
    int Activation,
    bool UseBias) : LayerConfig;

/// <summary>
/// <c>Conv1D</c>, <c>Conv2D</c>, <c>Conv2DTranspose</c> and <c>SeparableConv2D</c> over channels-last tensors, with
/// Keras's (TensorFlow's) same padding, bias and activation fused into the kernel where it can be.
/// </summary>
internal sealed class ConvolutionRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[]
    {
        LayerKind.Conv1D, LayerKind.Conv2D, LayerKind.Conv2DTranspose, LayerKind.SeparableConv2D,
    };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        bool oneD = kind == LayerKind.Conv1D;
        int? filters = args.Positive("filters");
        var kernel = args.Window("kernelSize", oneD, fallback: null);
        var strides = args.Window("strides", oneD, fallback: 1);
        var dilation = kind == LayerKind.Conv2DTranspose ? (1, 1) : args.Window("dilationRate", oneD, fallback: 1);
        bool? same = args.Padding();
        int? activation = args.Activation();
        bool? useBias = args.Bool("useBias");
        int? multiplier = kind == LayerKind.SeparableConv2D ? args.Positive("depthMultiplier") : 1;
        if (filters is null || kernel is null || strides is null || dilation is null || same is null || activation is null
            || useBias is null || multiplier is null)
        {
            return null;
        }

        if ((strides.Value.Height > 1 || strides.Value.Width > 1) && (dilation.Value.Height > 1 || dilation.Value.Width > 1))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("dilationRate"),
                $"{args.Callee} cannot combine strides above 1 with a dilation rate above 1 (Keras rejects it too)");
            return null;
        }

        return new ConvolutionConfig(filters.Value, kernel.Value.Height, kernel.Value.Width, strides.Value.Height, strides.Value.Width,
            dilation.Value.Height, dilation.Value.Width, same.Value, multiplier.Value, activation.Value, useBias.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var kind = c.Layer.Kind;
        var s = c.Settings<ConvolutionConfig>();
        bool oneD = kind == LayerKind.Conv1D;
        int? channels = c.Channels(oneD ? 2 : 3, oneD ? "(None, steps, channels)" : "(None, height, width, channels)");
        if (channels is not int ch)
        {
            return null;
        }

        int filters = s.Filters;
        int height = oneD ? 1 : c.Input.Dims[0], width = c.Input.Dims[oneD ? 0 : 1];
        int outHeight, outWidth;
        if (kind == LayerKind.Conv2DTranspose)
        {
            // The gradient of a convolution, as Keras sizes it: valid gives n · s + max(k − s, 0), same gives n · s.
            outHeight = s.Same ? c.Dims.Mul(height, s.StrideHeight) : c.Dims.AddConstant(c.Dims.Mul(height, s.StrideHeight), System.Math.Max(s.KernelHeight - s.StrideHeight, 0));
            outWidth = s.Same ? c.Dims.Mul(width, s.StrideWidth) : c.Dims.AddConstant(c.Dims.Mul(width, s.StrideWidth), System.Math.Max(s.KernelWidth - s.StrideWidth, 0));
        }
        else
        {
            outHeight = oneD ? 1 : c.Dims.Window(height, s.KernelHeight, s.StrideHeight, s.DilationHeight, s.Same);
            outWidth = c.Dims.Window(width, s.KernelWidth, s.StrideWidth, s.DilationWidth, s.Same);
            if (outHeight == 0 || outWidth == 0)
            {
                return c.Fail($"its input has shape {c.Input.Keras}, too small for a {(oneD ? s.KernelWidth.ToString(CultureInfo.InvariantCulture) : $"{s.KernelHeight}×{s.KernelWidth}")} window " +
                    $"with dilation {(oneD ? s.DilationWidth : s.DilationHeight)} and valid padding (use Padding.Same, or a smaller window)");
            }
        }

        switch (kind)
        {
            case LayerKind.Conv1D:
                c.Weight("kernel", WeightInit.GlorotUniform, s.KernelWidth, ch, filters);
                break;
            case LayerKind.Conv2D:
                c.Weight("kernel", WeightInit.GlorotUniform, s.KernelHeight, s.KernelWidth, ch, filters);
                break;
            case LayerKind.Conv2DTranspose:
                c.Weight("kernel", WeightInit.GlorotUniform, s.KernelHeight, s.KernelWidth, filters, ch);
                break;
            default:
                c.Weight("depthwise_kernel", WeightInit.GlorotUniform, s.KernelHeight, s.KernelWidth, ch, s.DepthMultiplier);
                c.Weight("pointwise_kernel", WeightInit.GlorotUniform, 1, 1, ch * s.DepthMultiplier, filters);
                break;
        }

        if (s.UseBias)
        {
            c.Weight("bias", WeightInit.Zeros, filters);
        }

        return c.Shape(oneD ? new[] { outWidth, filters } : new[] { outHeight, outWidth, filters });
    }

    public override bool KeepsPreActivation(LayerSpec layer) => ActivationInfo.NeedsPreActivation(layer.Settings<ConvolutionConfig>().Activation);

    /// <summary>SeparableConv2D keeps the depthwise step's output, which the pointwise step's backward needs.</summary>
    public override int[] Temporaries(PlanContext c)
        => c.Layer.Kind == LayerKind.SeparableConv2D
            ? new[] { c.PerRow(c.Dims.Product(c.Output.Dims.Take(2).Concat(new[] { c.Input.Dims[2] * c.Settings<ConvolutionConfig>().DepthMultiplier }))) }
            : System.Array.Empty<int>();

    public override int Scratch(PlanContext c)
    {
        var s = c.Settings<ConvolutionConfig>();
        var (input, output) = (c.Input, c.Output);
        if (c.Layer.Kind == LayerKind.SeparableConv2D)
        {
            return 0;
        }

        if (input.IsStatic && output.IsStatic)
        {
            // Fixed shapes: the kernels' working space is bounded whatever the batch (Conv2D.ScratchBound), and kept
            // once per workspace instead of per sample.
            c.BoundScratch();
            return 0;
        }

        return c.Layer.Kind == LayerKind.Conv2DTranspose
            // The equivalent convolution runs from the (larger) output back to the input.
            ? c.Dims.Mul(c.Dims.Product(input.Dims.Take(2)), s.KernelHeight * s.KernelWidth * s.Filters)
            // One row per output position, one column per tap and input channel.
            : c.Dims.Mul(c.Dims.Product(output.Dims.Take(output.Dims.Count - 1)), s.KernelHeight * s.KernelWidth * input.Dims[input.Dims.Count - 1]);
    }

    /// <summary>
    /// Whether a node may predict by Winograd's minimal filtering: a Conv2D with a 3×3 window, stride 1, no dilation and
    /// fixed shapes, outside TimeDistributed (whose code cannot reach the model's transformed kernels). The runtime
    /// decides whether it pays (<c>Winograd.Applies</c>: enough channels both ways).
    /// </summary>
    public static bool MayUseWinograd(AnalyzedModel model, int node)
    {
        var spec = model.Spec;
        var layer = spec.Layers[spec.Nodes[node].Layer];
        if (layer.Kind != LayerKind.Conv2D || layer.Config is not ConvolutionConfig s)
        {
            return false;
        }

        var input = model.ShapeOf(spec.Nodes[node].Inputs[0]);
        var output = model.ShapeOf(node);
        return s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideHeight == 1 && s.StrideWidth == 1 && s.DilationHeight == 1
               && s.DilationWidth == 1 && input.IsStatic && output.IsStatic && output.Repeat == 1;
    }

    public override string BoundedScratch(NodeEmitter e) => $"{Kernels}Conv2D.ScratchBound({Geometry(e)})";

    public override void Forward(NodeEmitter e)
    {
        var kind = e.Layer.Kind;
        var s = e.Settings<ConvolutionConfig>();
        string x = e.Values(e.Input), y = e.Values(e.Node);
        string z = y;
        if (e.PreActivation is { } preActivation)
        {
            e.Line($"var z = {preActivation};");
            z = "z";
        }

        e.Line($"var geometry = {Geometry(e)};");
        if (kind == LayerKind.Conv2DTranspose)
        {
            e.Line($"{Kernels}Conv2D.BackwardInput({x}, {e.Weight("kernel")}, {z}, geometry, batchSize, {e.Scratch}, accumulate: false);");
        }
        else if (kind == LayerKind.SeparableConv2D)
        {
            int depthwise = e.ChannelsOf(e.Input) * s.DepthMultiplier;
            e.Line($"var t = {e.Temporary(0, e.Dims.Mul(e.PositionsOf(e.Node), depthwise))};");
            e.Line($"{Kernels}DepthwiseConv2D.Forward({x}, {e.Weight("depthwise_kernel")}, t, geometry, batchSize, {N(s.DepthMultiplier)});");
            e.Line($"{Kernels}Gemm.Multiply(t, {e.Weight("pointwise_kernel")}, {z}, {e.Rows(e.PositionsOf(e.Node))}, {N(depthwise)}, {N(s.Filters)}, accumulate: false);");
        }
        else
        {
            // Bias and activation applied to each part of the output as the kernel finishes it (still in cache).
            string bias = s.UseBias ? e.Weight("bias") : $"{ReadOnlySpan}.Empty";
            string direct = $"{Kernels}Conv2D.ForwardBiasActivation({x}, {e.Weight("kernel")}, {z}, geometry, batchSize, {e.Scratch}, {bias}, " +
                            $"{Activation(s.Activation)}, {y});";
            if (e.WinogradSlot is not int slot)
            {
                e.Line(direct);
                return;
            }

            // A 3×3 stride-1 convolution predicts by Winograd (2×2 or 4×4 tiles) where the runtime finds it pays.
            e.Line($"var winograd = training ? default : WinogradKernel({N(slot)}, {e.Weight("kernel")}, geometry);");
            e.Open("if (!winograd.IsEmpty)");
            e.Line($"{Kernels}Winograd.Forward({x}, winograd, {z}, geometry, batchSize, {e.Scratch}, {bias}, {Activation(s.Activation)}, {y});");
            e.Close();
            e.Open("else");
            e.Line(direct);
            e.Close();
            return;
        }

        // Bias and activation over the channels-last output, as Dense's epilogue.
        string rows = e.Rows(e.PositionsOf(e.Node));
        if (s.UseBias)
        {
            e.Line($"{Kernels}TensorOps.AddBias({z}, {e.Weight("bias")}, {rows}, {N(s.Filters)});");
        }

        if (s.Activation != ActivationInfo.Linear)
        {
            e.Line($"{Kernels}ActivationKernels.Forward({Activation(s.Activation)}, {z}, {y}, {rows}, {N(s.Filters)});");
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var kind = e.Layer.Kind;
        var s = e.Settings<ConvolutionConfig>();
        bool inputNeedsGradient = e.NeedsGradient(e.Input);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        string rows = e.Rows(e.PositionsOf(e.Node));
        if (s.Activation != ActivationInfo.Linear)
        {
            e.Line($"{Kernels}ActivationKernels.Backward({Activation(s.Activation)}, {e.PreActivation ?? ReadOnlySpan + ".Empty"}, {e.Values(e.Node)}, dy, {rows}, {N(s.Filters)});");
        }

        string x = e.Values(e.Input);
        e.Line($"var geometry = {Geometry(e)};");
        bool trains = e.OpenIfTrains();
        if (s.UseBias)
        {
            e.Line($"{Kernels}TensorOps.AccumulateBiasGradient(dy, {e.WeightGradient("bias")}, {rows}, {N(s.Filters)});");
        }

        switch (kind)
        {
            case LayerKind.SeparableConv2D:
                // The pointwise kernel's gradient here; the depthwise kernel's needs dt, below.
                e.Line($"{Kernels}Gemm.MultiplyTransposedA({e.Temporary(0, SeparableSize(e, s))}, dy, {e.WeightGradient("pointwise_kernel")}, " +
                       $"{N(e.ChannelsOf(e.Input) * s.DepthMultiplier)}, {rows}, {N(s.Filters)}, accumulate: true);");
                break;
            case LayerKind.Conv2DTranspose:
                // The transpose of a convolution: its kernel gradient swaps the roles of input and output.
                e.Line($"{Kernels}Conv2D.BackwardKernel(dy, {x}, {e.WeightGradient("kernel")}, geometry, batchSize, {e.Scratch});");
                break;
            default:
                e.Line($"{Kernels}Conv2D.BackwardKernel({x}, dy, {e.WeightGradient("kernel")}, geometry, batchSize, {e.Scratch});");
                break;
        }

        e.CloseIf(trains);
        switch (kind)
        {
            case LayerKind.Conv2DTranspose:
                if (inputNeedsGradient)
                {
                    e.OpenIfNeedsGradient(e.Input);
                    e.Line($"{Kernels}Conv2D.Forward(dy, {e.Weight("kernel")}, {e.Gradient(e.Input)}, geometry, batchSize, {e.Scratch}, accumulate: true);");
                    e.Close();
                }

                break;
            case LayerKind.SeparableConv2D:
            {
                // dt, the depthwise output's gradient, serves both the depthwise kernel's gradient and the input's.
                int depthwise = e.ChannelsOf(e.Input) * s.DepthMultiplier;
                int size = SeparableSize(e, s);
                string trainsNow = $"workspace.Trains({N(e.Slot)})";
                e.Open(inputNeedsGradient ? $"if ({trainsNow} || workspace.NeedsGradient({N(e.Input)}))" : $"if ({trainsNow})");
                e.Line($"var dt = {e.TemporaryGradient(0, size)};");
                e.Line($"{Kernels}Gemm.MultiplyTransposedB(dy, {e.Weight("pointwise_kernel")}, dt, {rows}, {N(s.Filters)}, {N(depthwise)}, accumulate: true);");
                trains = e.OpenIfTrains();
                e.Line($"{Kernels}DepthwiseConv2D.BackwardKernel({x}, dt, {e.WeightGradient("depthwise_kernel")}, geometry, batchSize, {N(s.DepthMultiplier)});");
                e.CloseIf(trains);
                if (inputNeedsGradient)
                {
                    e.OpenIfNeedsGradient(e.Input);
                    e.Line($"{Kernels}DepthwiseConv2D.BackwardInput(dt, {e.Weight("depthwise_kernel")}, {e.Gradient(e.Input)}, geometry, batchSize, {N(s.DepthMultiplier)});");
                    e.Close();
                }

                e.Close();
                break;
            }

            default:
                if (inputNeedsGradient)
                {
                    e.OpenIfNeedsGradient(e.Input);
                    e.Line($"{Kernels}Conv2D.BackwardInput(dy, {e.Weight("kernel")}, {e.Gradient(e.Input)}, geometry, batchSize, {e.Scratch}, accumulate: true);");
                    e.Close();
                }

                break;
        }
    }

    /// <summary>Floats per row of a separable convolution's depthwise output (its temporary).</summary>
    private static int SeparableSize(NodeEmitter e, ConvolutionConfig s) => e.Dims.Mul(e.PositionsOf(e.Node), e.ChannelsOf(e.Input) * s.DepthMultiplier);

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<ConvolutionConfig>();
        bool oneD = layer.Kind == LayerKind.Conv1D;
        int[] Pair(int height, int width) => oneD ? new[] { width } : new[] { height, width };
        config.Settings("ConvolutionSettings").Int("filters", s.Filters).Ints("kernel_size", Pair(s.KernelHeight, s.KernelWidth)).Ints("strides", Pair(s.StrideHeight, s.StrideWidth))
            .Text("padding", s.Same ? "same" : "valid").Text("data_format", "channels_last").Ints("dilation_rate", Pair(s.DilationHeight, s.DilationWidth));
        if (layer.Kind == LayerKind.SeparableConv2D)
        {
            config.Int("depth_multiplier", s.DepthMultiplier);
        }

        config.Activation("activation", s.Activation).Bool("use_bias", s.UseBias);
    }

    /// <summary>The geometry of a convolution layer, or for a transposed one of the convolution it is the gradient of.</summary>
    private static string Geometry(NodeEmitter e)
    {
        var s = e.Settings<ConvolutionConfig>();
        int input = e.Input;
        if (e.Layer.Kind == LayerKind.Conv2DTranspose)
        {
            // Runs from this layer's (larger) output back to its input: kernel [kh, kw, filters, channels] is that
            // convolution's [kh, kw, in, out].
            return e.Geometry(e.Node, input, s.Filters, e.ChannelsOf(input), s.KernelHeight, s.KernelWidth, s.StrideHeight, s.StrideWidth, 1, 1, s.Same, oneD: false);
        }

        int outChannels = e.Layer.Kind == LayerKind.SeparableConv2D ? e.ChannelsOf(input) * s.DepthMultiplier : s.Filters;
        return e.Geometry(input, e.Node, e.ChannelsOf(input), outChannels, s.KernelHeight, s.KernelWidth, s.StrideHeight, s.StrideWidth,
            s.DilationHeight, s.DilationWidth, s.Same, e.Layer.Kind == LayerKind.Conv1D);
    }
}
