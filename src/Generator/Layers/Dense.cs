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

/// <summary><c>Dense</c>'s settings.</summary>
internal sealed record DenseConfig(int Units, int Activation, bool UseBias) : LayerConfig;

/// <summary><c>Activation</c>'s settings (the layer; softmax over the last axis).</summary>
internal sealed record ActivationConfig(int Activation) : LayerConfig;

/// <summary>
/// <c>Dense(units, activation, useBias)</c>: <c>activation(x · kernel + bias)</c> over the last axis, at every
/// position of a sequence or image. The kernel is sized by the first call (Keras's build); later calls must match.
/// </summary>
internal sealed class DenseRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Dense };

    /// <summary>Keras's Dense supports masking: the mask passes through.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        int? units = args.Int("units");
        int? activation = args.Int("activation");
        bool? useBias = args.Bool("useBias");
        if (units is null || activation is null || useBias is null)
        {
            return null;
        }

        if (units <= 0)
        {
            args.Invalid<int>("units", $"Dense needs a positive number of units, but 'units' is {units.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        if (activation < 0 || activation >= ActivationInfo.Count)
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("activation"), $"{activation} is not an Unrolled.Activation value");
            return null;
        }

        return new DenseConfig(units.Value, activation.Value, useBias.Value);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        var config = c.Settings<DenseConfig>();
        if (!c.IsFloat())
        {
            return null;
        }

        var input = c.Input;
        if (input.Dims.Count == 0)
        {
            return c.Fail($"its input {c.TensorName(0)} has shape {input.Keras}, but Dense needs at least one axis besides the batch");
        }

        int k = input.Dims[input.Dims.Count - 1];
        if (DimTable.IsSymbolic(k))
        {
            return c.Fail($"its input {c.TensorName(0)} has shape {input.Keras}, whose last axis is known only at run time; " +
                "Dense needs a known last axis to size its kernel (give that axis of the Input a size)");
        }

        if (c.Built.Count > 0 && c.Built[0].Dims[0] != k)
        {
            c.Report(DiagnosticIds.SharedLayerShapeMismatch, c.NodeSpec.InputSpans[0],
                $"input has shape {input.Keras} with {k} on axis -1, but the layer was first called on a tensor with {c.Built[0].Dims[0]} on axis -1 " +
                "and a shared layer keeps one kernel");
            return null;
        }

        _ = checked((k * config.Units) + config.Units); // throws past int, reported by the caller
        c.Weight("kernel", WeightInit.GlorotUniform, k, config.Units);
        if (config.UseBias)
        {
            c.Weight("bias", WeightInit.Zeros, config.Units);
        }

        return c.Shape(input.Dims.Take(input.Dims.Count - 1).Concat(new[] { config.Units }));
    }

    public override bool KeepsPreActivation(LayerSpec layer) => ActivationInfo.NeedsPreActivation(layer.Settings<DenseConfig>().Activation);

    public override void Forward(NodeEmitter e)
    {
        var config = e.Settings<DenseConfig>();
        var (rows, k) = Geometry(e);
        string x = e.Values(e.Input), y = e.Values(e.Node);
        string z = y;
        if (e.PreActivation is { } preActivation)
        {
            e.Line($"var z = {preActivation};");
            z = "z";
        }

        e.Line($"{Kernels}Gemm.Multiply({x}, {e.Weight("kernel")}, {z}, {rows}, {N(k)}, {N(config.Units)}, accumulate: false);");
        if (config.UseBias)
        {
            e.Line($"{Kernels}TensorOps.AddBias({z}, {e.Weight("bias")}, {rows}, {N(config.Units)});");
        }

        if (config.Activation != ActivationInfo.Linear)
        {
            e.Line($"{Kernels}ActivationKernels.Forward({Activation(config.Activation)}, {z}, {y}, {rows}, {N(config.Units)});");
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var config = e.Settings<DenseConfig>();
        var (rows, k) = Geometry(e);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (config.Activation != ActivationInfo.Linear)
        {
            string call = $"{Kernels}ActivationKernels.Backward({Activation(config.Activation)}, {e.PreActivation ?? ReadOnlySpan + ".Empty"}, " +
                          $"{e.Values(e.Node)}, dy, {rows}, {N(config.Units)});";
            if (e.FusedOutput >= 0)
            {
                // The loss may already have written the gradient with respect to the pre-activation (softmax or
                // sigmoid fused with cross-entropy, as Keras does); then this activation's derivative is skipped.
                e.Open($"if (!workspace.OutputGradientIsPreActivation[{N(e.FusedOutput)}])");
                e.Line(call);
                e.Close();
            }
            else
            {
                e.Line(call);
            }
        }

        e.Line($"{Kernels}Gemm.MultiplyTransposedA({e.Values(e.Input)}, dy, {e.WeightGradient("kernel")}, {N(k)}, {rows}, {N(config.Units)}, accumulate: true);");
        if (config.UseBias)
        {
            e.Line($"{Kernels}TensorOps.AccumulateBiasGradient(dy, {e.WeightGradient("bias")}, {rows}, {N(config.Units)});");
        }

        if (e.NeedsGradient(e.Input))
        {
            e.Line($"{Kernels}Gemm.MultiplyTransposedB(dy, {e.Weight("kernel")}, {e.Gradient(e.Input)}, {rows}, {N(config.Units)}, {N(k)}, accumulate: true);");
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var dense = layer.Settings<DenseConfig>();
        config.Settings("DenseSettings").Int("units", dense.Units).Activation("activation", dense.Activation).Bool("use_bias", dense.UseBias);
    }

    /// <summary>Rows (every position of the input) and the kernel's input size.</summary>
    private static (string Rows, int InputSize) Geometry(NodeEmitter e) => (e.Rows(e.PositionsOf(e.Input)), e.Weights[0].Dims[0]);
}

/// <summary><c>ActivationLayer(activation)</c>, Keras's <c>Activation</c> layer: softmax normalises the last axis.</summary>
internal sealed class ActivationRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Activation };

    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => new[] { ("ActivationLayer", LayerKind.Activation) };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
        => args.Activation() is int activation ? new ActivationConfig(activation) : null;

    public override TensorShape? Infer(ShapeContext c) => c.IsFloat() ? c.Input with { Repeat = 1 } : null;

    public override void Forward(NodeEmitter e)
    {
        var (rows, columns) = RowsAndColumns(e);
        e.Line($"{Kernels}ActivationKernels.Forward({Activation(e.Settings<ActivationConfig>().Activation)}, {e.Values(e.Input)}, {e.Values(e.Node)}, {rows}, {columns});");
    }

    public override void Backward(NodeEmitter e)
    {
        // The derivative turns dy into the input's gradient in place (dy is used only here).
        int activation = e.Settings<ActivationConfig>().Activation;
        var (rows, columns) = RowsAndColumns(e);
        string z = ActivationInfo.NeedsPreActivation(activation) ? e.Values(e.Input) : $"{ReadOnlySpan}.Empty";
        e.Line($"var dy = {e.Gradient(e.Node)};");
        e.Line($"{Kernels}ActivationKernels.Backward({Activation(activation)}, {z}, {e.Values(e.Node)}, dy, {rows}, {columns});");
        e.Line($"{Kernels}TensorOps.Accumulate(dy, {e.Gradient(e.Input)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("ActivationSettings").Activation("activation", layer.Settings<ActivationConfig>().Activation);

    /// <summary>Rows and columns for an activation over a tensor: softmax normalises each row of the last axis.</summary>
    internal static (string Rows, string Columns) RowsAndColumns(NodeEmitter e)
    {
        var dims = e.ShapeOf(e.Input).Dims;
        return dims.Count == 0 ? ("batchSize", "1") : (e.Rows(e.PositionsOf(e.Input)), e.D(dims[dims.Count - 1]));
    }
}

/// <summary><c>Softmax</c>'s settings: the axis as written (Keras counts the batch axis as 0; negative from the end).</summary>
internal sealed record SoftmaxConfig(int Axis) : LayerConfig;

/// <summary>
/// Keras's <c>Softmax(axis)</c> layer, and <c>Ops.Softmax(x, axis)</c> inside a Lambda: each line of the input along the
/// axis becomes exp(x − max) / Σ exp(x − max). Any axis but the batch axis; the output has the input's shape.
/// </summary>
internal sealed class SoftmaxRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Softmax };

    /// <summary>The mask passes through (Keras's Softmax also takes a mask broadcast against its input; a sequence
    /// mask of shape (batch, steps) is not, so it is not applied).</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args) => args.Int("axis") is int axis ? new SoftmaxConfig(axis) : null;

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        int given = c.Settings<SoftmaxConfig>().Axis, rank = c.Input.Dims.Count + 1;
        int axis = given < 0 ? given + rank : given;
        if (axis <= 0 || axis >= rank)
        {
            c.ReportRaw(DiagnosticIds.InvalidArgument, c.Layer.Span,
                $"Softmax '{c.Layer.Name}' normalises axis {given} of an input shaped {c.Input.Keras}: " +
                (axis == 0 ? "the batch axis cannot be normalised" : $"it has axes 1 to {rank - 1} besides the batch axis"));
            return null;
        }

        return c.Input with { Repeat = 1 };
    }

    public override void Forward(NodeEmitter e)
    {
        var (outer, length, inner) = Geometry(e);
        e.Line($"{Kernels}ActivationKernels.SoftmaxAlong({e.Values(e.Input)}, {e.Values(e.Node)}, {e.Rows(outer)}, {e.D(length)}, {e.D(inner)});");
    }

    public override void Backward(NodeEmitter e)
    {
        if (!e.NeedsGradient(e.Input))
        {
            return;
        }

        var (outer, length, inner) = Geometry(e);
        e.Line($"{Kernels}ActivationKernels.SoftmaxAlongBackward({e.Values(e.Node)}, {e.Gradient(e.Node)}, {e.Gradient(e.Input)}, {e.Rows(outer)}, {e.D(length)}, {e.D(inner)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("SoftmaxSettings").Int("axis", layer.Settings<SoftmaxConfig>().Axis);

    /// <summary>The input per sample as [outer, length, inner] around the normalised axis.</summary>
    private static (int Outer, int Length, int Inner) Geometry(NodeEmitter e)
    {
        var dims = e.ShapeOf(e.Input).Dims;
        int given = e.Settings<SoftmaxConfig>().Axis;
        int axis = (given < 0 ? given + dims.Count + 1 : given) - 1;
        return (e.Dims.Product(dims.Take(axis)), dims[axis], e.Dims.Product(dims.Skip(axis + 1)));
    }
}

/// <summary>
/// <c>EinsumDense</c>'s settings, analysed into the dense product it computes: the input's free axes (kept, between the
/// batch axis and the contracted ones), its contracted axes (the kernel's first) and the kernel's own axes (the
/// output's last).
/// </summary>
/// <param name="Equation">The equation as written.</param>
/// <param name="Free">How many of the input's axes after the batch axis are kept.</param>
/// <param name="Contracted">How many of the input's last axes are contracted with the kernel's first.</param>
/// <param name="KernelAxes">The sizes of the kernel's own axes (the output's last).</param>
/// <param name="OutputShape">The output_shape as given (per-sample; 0 for None).</param>
/// <param name="Activation">The activation.</param>
/// <param name="BiasAxes">bias_axes as given, or null.</param>
/// <param name="BiasAxisCount">How many of the kernel's last axes the bias spans (0 without bias).</param>
internal sealed record EinsumDenseConfig(string Equation, int Free, int Contracted, EquatableArray<int> KernelAxes, EquatableArray<int> OutputShape,
    int Activation, string? BiasAxes, int BiasAxisCount) : LayerConfig;

/// <summary>
/// Keras's <c>EinsumDense(equation, output_shape, activation, bias_axes)</c> for the equations that are a dense product:
/// <c>b F C, C K -> b F K</c> (the input's last axes C contracted with the kernel's first, its other axes F kept, the
/// kernel's last axes K appended; Keras's MultiHeadAttention projections are of this form: <c>abc,cde->abde</c>,
/// <c>abcd,cde->abe</c>), with a bias over a suffix of K. It runs as Dense does: one product over (batch·F) rows, the
/// bias and activation after it. Other equations are squiggled.
/// </summary>
internal sealed class EinsumDenseRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.EinsumDense };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        var equation = args.Known("equation");
        var shape = args.Known("outputShape");
        int? activation = args.Activation();
        var bias = args.Known("biasAxes");
        if (equation is null || shape is null || activation is null || bias is null)
        {
            return null;
        }

        string form = "EinsumDense computes the equations that are a dense product in this version, 'b<kept><contracted>,<contracted><new>->b<kept><new>' " +
                      "(the input's last axes contracted with the kernel's first, such as 'abc,cd->abd' or 'abc,cde->abde')";
        if (equation.Kind != ValueKind.String)
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("equation"), $"EinsumDense needs its equation as a string; got {equation}");
            return null;
        }

        string text = equation.String!.Replace(" ", string.Empty);
        int comma = text.IndexOf(','), arrow = text.IndexOf("->", System.StringComparison.Ordinal);
        string input = comma > 0 ? text.Substring(0, comma) : string.Empty;
        string kernel = comma > 0 && arrow > comma ? text.Substring(comma + 1, arrow - comma - 1) : string.Empty;
        string output = arrow > 0 ? text.Substring(arrow + 2) : string.Empty;
        bool letters = new[] { input, kernel, output }.All(s => s.Length > 0 && s.All(char.IsLetter) && s.Distinct().Count() == s.Length);
        string contracted = letters ? new string(input.Where(c => kernel.IndexOf(c) >= 0 && output.IndexOf(c) < 0).ToArray()) : string.Empty;
        string kept = letters ? new string(input.Skip(1).Where(c => output.IndexOf(c) >= 0).ToArray()) : string.Empty;
        string own = letters ? new string(kernel.Where(c => input.IndexOf(c) < 0).ToArray()) : string.Empty;
        bool dense = letters && contracted.Length > 0 && input.Length >= 2 && output.Length >= 2 && input[0] == output[0]
                     && input == input[0] + kept + contracted && kernel == contracted + own && output == output[0] + kept + own;
        if (!dense)
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("equation"), $"{form}; '{equation.String}' is not one");
            return null;
        }

        // output_shape: the output's per-sample axes (kept ones may be null: the input's), or one integer for one axis.
        var items = shape.Kind == ValueKind.List ? shape.Items! : new List<Value> { shape };
        if (items.Count != output.Length - 1 || items.Any(v => v.Kind != ValueKind.Null && (v is not { Kind: ValueKind.Number, IsInteger: true } || v.Number <= 0)))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("outputShape"),
                $"EinsumDense's output_shape gives the {output.Length - 1} axes of '{output.Substring(1)}' after the batch axis (positive sizes, or null for one the input keeps); got {shape}");
            return null;
        }

        var sizes = items.Select(v => v.Kind == ValueKind.Null ? 0 : (int)v.Number).ToList();
        var kernelAxes = sizes.Skip(kept.Length).ToList();
        if (kernelAxes.Any(d => d == 0))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("outputShape"),
                $"EinsumDense's output_shape must give the size of each new axis ('{own}'), which sizes the kernel; got {shape}");
            return null;
        }

        int biasCount = 0;
        string? biasAxes = null;
        if (bias.Kind != ValueKind.Null)
        {
            biasAxes = bias.Kind == ValueKind.String ? bias.String! : null;
            if (biasAxes is null || biasAxes.Length == 0 || !own.EndsWith(biasAxes, System.StringComparison.Ordinal))
            {
                args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("biasAxes"),
                    $"EinsumDense's bias spans the last of the kernel's new axes in this version (a suffix of '{own}', such as '{own.Substring(own.Length - 1)}'); got {bias}");
                return null;
            }

            biasCount = biasAxes.Length;
        }

        _ = checked(kernelAxes.Aggregate(1, (a, d) => checked(a * d)));
        return new EinsumDenseConfig(equation.String!, kept.Length, contracted.Length, kernelAxes.ToEquatableArray(), sizes.ToEquatableArray(),
            activation.Value, biasAxes, biasCount);
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var s = c.Settings<EinsumDenseConfig>();
        var dims = c.Input.Dims;
        if (dims.Count != s.Free + s.Contracted)
        {
            return c.Fail($"its input {c.TensorName(0)} has shape {c.Input.Keras}, but the equation '{s.Equation}' reads {s.Free + s.Contracted} axes after the batch axis");
        }

        var contracted = dims.Skip(s.Free).ToList();
        if (contracted.Any(DimTable.IsSymbolic))
        {
            return c.Fail($"its input {c.TensorName(0)} has shape {c.Input.Keras}, whose contracted axes are known only at run time; EinsumDense needs them to size its kernel");
        }

        for (int i = 0; i < s.Free; i++)
        {
            if (s.OutputShape[i] != 0 && s.OutputShape[i] != dims[i])
            {
                return c.Fail($"its input {c.TensorName(0)} has shape {c.Input.Keras}, but output_shape gives {s.OutputShape[i]} for kept axis {i + 1}, which must keep its size");
            }
        }

        _ = checked(contracted.Aggregate(1, (a, d) => checked(a * d)) * s.KernelAxes.Aggregate(1, (a, d) => checked(a * d)));
        c.Weight("kernel", WeightInit.GlorotUniform, contracted.Concat(s.KernelAxes).ToArray());
        if (s.BiasAxisCount > 0)
        {
            c.Weight("bias", WeightInit.Zeros, s.KernelAxes.Skip(s.KernelAxes.Count - s.BiasAxisCount).ToArray());
        }

        return c.Shape(dims.Take(s.Free).Concat(s.KernelAxes));
    }

    public override bool KeepsPreActivation(LayerSpec layer) => ActivationInfo.NeedsPreActivation(layer.Settings<EinsumDenseConfig>().Activation);

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<EinsumDenseConfig>();
        var (rows, k, n, biasWidth) = Geometry(e);
        string y = e.Values(e.Node), z = y;
        if (e.PreActivation is { } preActivation)
        {
            e.Line($"var z = {preActivation};");
            z = "z";
        }

        e.Line($"{Kernels}Gemm.Multiply({e.Values(e.Input)}, {e.Weight("kernel")}, {z}, {rows}, {N(k)}, {N(n)}, accumulate: false);");
        if (biasWidth > 0)
        {
            // The bias spans the last axes: the output is [rows · the other new axes, bias width].
            e.Line($"{Kernels}TensorOps.AddBias({z}, {e.Weight("bias")}, {rows} * {N(n / biasWidth)}, {N(biasWidth)});");
        }

        if (s.Activation != ActivationInfo.Linear)
        {
            e.Line($"{Kernels}ActivationKernels.Forward({Activation(s.Activation)}, {z}, {y}, {rows}, {N(n)});");
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var s = e.Settings<EinsumDenseConfig>();
        var (rows, k, n, biasWidth) = Geometry(e);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (s.Activation != ActivationInfo.Linear)
        {
            e.Line($"{Kernels}ActivationKernels.Backward({Activation(s.Activation)}, {e.PreActivation ?? ReadOnlySpan + ".Empty"}, {e.Values(e.Node)}, dy, {rows}, {N(n)});");
        }

        e.Line($"{Kernels}Gemm.MultiplyTransposedA({e.Values(e.Input)}, dy, {e.WeightGradient("kernel")}, {N(k)}, {rows}, {N(n)}, accumulate: true);");
        if (biasWidth > 0)
        {
            e.Line($"{Kernels}TensorOps.AccumulateBiasGradient(dy, {e.WeightGradient("bias")}, {rows} * {N(n / biasWidth)}, {N(biasWidth)});");
        }

        if (e.NeedsGradient(e.Input))
        {
            e.Line($"{Kernels}Gemm.MultiplyTransposedB(dy, {e.Weight("kernel")}, {e.Gradient(e.Input)}, {rows}, {N(n)}, {N(k)}, accumulate: true);");
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        var s = layer.Settings<EinsumDenseConfig>();
        config.Settings("EinsumDenseSettings").Text("equation", s.Equation).Ints("output_shape", s.OutputShape.ToArray()).Activation("activation", s.Activation);
        if (s.BiasAxes is { } axes)
        {
            config.Text("bias_axes", axes);
        }
        else
        {
            config.OptionalText("bias_axes", null);
        }
    }

    /// <summary>Rows (samples × kept positions), the contracted size, the new axes' size, and the bias's width (0 without).</summary>
    private static (string Rows, int K, int N, int BiasWidth) Geometry(NodeEmitter e)
    {
        var s = e.Settings<EinsumDenseConfig>();
        var dims = e.ShapeOf(e.Input).Dims;
        int k = dims.Skip(s.Free).Aggregate(1, (a, d) => a * d);
        int n = s.KernelAxes.Aggregate(1, (a, d) => a * d);
        int bias = s.BiasAxisCount > 0 ? s.KernelAxes.Skip(s.KernelAxes.Count - s.BiasAxisCount).Aggregate(1, (a, d) => a * d) : 0;
        return (e.Rows(e.Dims.Product(dims.Take(s.Free))), k, n, bias);
    }
}
