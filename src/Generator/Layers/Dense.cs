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

        bool trains = e.OpenIfTrains();
        e.Line($"{Kernels}Gemm.MultiplyTransposedA({e.Values(e.Input)}, dy, {e.WeightGradient("kernel")}, {N(k)}, {rows}, {N(config.Units)}, accumulate: true);");
        if (config.UseBias)
        {
            e.Line($"{Kernels}TensorOps.AccumulateBiasGradient(dy, {e.WeightGradient("bias")}, {rows}, {N(config.Units)});");
        }

        e.CloseIf(trains);
        if (e.NeedsGradient(e.Input))
        {
            e.OpenIfNeedsGradient(e.Input);
            // The first writer of the input's gradient writes it (the pass left it uncleared); later ones add.
            e.Line($"{Kernels}Gemm.MultiplyTransposedB(dy, {e.Weight("kernel")}, {e.Gradient(e.Input)}, {rows}, {N(config.Units)}, {N(k)}, " +
                   $"accumulate: {(e.InputGradientFresh(0) ? "false" : "true")});");
            e.Close();
        }
    }

    /// <summary>One product writes every element of the input's gradient: dy·Wᵀ over every position.</summary>
    public override bool OverwritesInputGradient(LayerSpec layer, int input) => input == 0;

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
/// <c>EinsumDense</c>'s settings as written: the equation's input, kernel and output letters (without the ellipsis), where
/// the ellipsis was (Keras accepts none, <c>...X,Y->...Z</c> or <c>X...,Y->Z...</c>), output_shape for the output's explicit
/// letters after the batch axis, the activation and bias_axes.
/// </summary>
/// <param name="Equation">The equation as written.</param>
/// <param name="Input">The input's letters (the batch axis first unless the ellipsis leads).</param>
/// <param name="Kernel">The kernel's letters, its axes in order.</param>
/// <param name="Output">The output's letters.</param>
/// <param name="Ellipsis">0 none, 1 leading (<c>...X</c>: the batch and the axes before X kept), 2 trailing (<c>X...</c>).</param>
/// <param name="OutputShape">output_shape as given (0 for None).</param>
/// <param name="Activation">The activation.</param>
/// <param name="BiasAxes">bias_axes as given, or null.</param>
internal sealed record EinsumDenseConfig(string Equation, string Input, string Kernel, string Output, int Ellipsis, EquatableArray<int> OutputShape,
    int Activation, string? BiasAxes) : LayerConfig;

/// <summary>
/// One EinsumDense call's product, from its settings and its input's shape: every per-sample axis of the input and
/// output labelled (the ellipsis's axes with labels of their own), and the orders that make it one matrix product. The
/// input's axes go to [kept (output order), contracted (kernel order)], the kernel's to [contracted, new (output order)],
/// and the product [kept, new] goes to the output's order; each order is null where it is already so.
/// </summary>
internal sealed record EinsumPlan(int[] OutputDims, int[] KernelDims, int[]? BiasDims, int[] Kept, int Contracted, int New, int[]? InputOrder,
    int[]? KernelOrder, int[]? OutputOrder, int[] ProductDims, int SuffixBias)
{
    /// <summary>Analyses the equation on an input of per-sample shape <paramref name="dims"/>; returns the reason when it
    /// does not fit.</summary>
    public static (EinsumPlan? Plan, string? Error) Of(EinsumDenseConfig s, IReadOnlyList<int> dims)
    {
        // Per-sample labels: the letters (batch excluded), the ellipsis's axes as '0', '1', … (not letters).
        int explicitInput = s.Ellipsis == 1 ? s.Input.Length : s.Input.Length - 1;
        int elided = dims.Count - explicitInput;
        if (elided < 0 || (s.Ellipsis == 0 && elided != 0))
        {
            return (null, $"the equation '{s.Equation}' reads {explicitInput} axes after the batch axis{(s.Ellipsis != 0 ? " or more" : string.Empty)}");
        }

        if (dims.Count > 8 || s.Kernel.Length > 8)
        {
            return (null, "EinsumDense reorders at most 8 axes per operand (the kernels' limit)");
        }

        string dots = new string(Enumerable.Range(0, elided).Select(i => (char)('0' + i)).ToArray());
        string input = s.Ellipsis switch { 1 => dots + s.Input, 2 => s.Input.Substring(1) + dots, _ => s.Input.Substring(1) };
        string output = s.Ellipsis switch { 1 => dots + s.Output, 2 => s.Output.Substring(1) + dots, _ => s.Output.Substring(1) };
        string given = s.Ellipsis == 1 ? s.Output : s.Output.Substring(1);

        var size = new Dictionary<char, int>();
        for (int i = 0; i < input.Length; i++)
        {
            size[input[i]] = dims[i];
        }

        for (int i = 0; i < given.Length; i++)
        {
            char letter = given[i];
            int wanted = s.OutputShape[i];
            if (size.TryGetValue(letter, out int kept))
            {
                if (wanted != 0 && wanted != kept)
                {
                    return (null, $"output_shape gives {wanted} for '{letter}', which the input has as {(DimTable.IsSymbolic(kept) ? "a run-time length" : kept.ToString(CultureInfo.InvariantCulture))} and keeps");
                }
            }
            else
            {
                size[letter] = wanted;
            }
        }

        string keptLetters = new string(output.Where(l => input.IndexOf(l) >= 0).ToArray());
        string contracted = new string(s.Kernel.Where(l => input.IndexOf(l) >= 0).ToArray());
        string fresh = new string(output.Where(l => s.Kernel.IndexOf(l) >= 0).ToArray());
        if (contracted.Any(l => DimTable.IsSymbolic(size[l])))
        {
            return (null, $"its contracted axes ('{contracted}') must be known before the program runs, to size the kernel");
        }

        int[] Order(string from, string to) => to.Select(l => from.IndexOf(l)).ToArray();
        int[]? UnlessIdentity(int[] order) => order.Select((o, i) => o == i).All(b => b) ? null : order;
        var kernelDims = s.Kernel.Select(l => size[l]).ToArray();
        var outputDims = output.Select(l => size[l]).ToArray();
        string product = keptLetters + fresh;

        // Keras's bias: from the first bias letter of the output to its end, the bias letters' sizes and 1 elsewhere.
        int[]? biasDims = null;
        int suffix = 0;
        if (s.BiasAxes is { } bias)
        {
            int first = output.IndexOfAny(bias.ToCharArray());
            biasDims = output.Substring(first).Select(l => bias.IndexOf(l) >= 0 ? size[l] : 1).ToArray();
            if (biasDims.Any(DimTable.IsSymbolic))
            {
                return (null, $"its bias spans '{bias}', whose size is known only at run time; the bias is sized before the program runs");
            }

            // The common case: the bias spans the output's last axes, all new ones: one bias row, repeated.
            bool dense = output.Substring(first).All(l => bias.IndexOf(l) >= 0 && fresh.IndexOf(l) >= 0);
            suffix = dense ? biasDims.Aggregate(1, (a, d) => a * d) : 0;
        }

        return (new EinsumPlan(outputDims, kernelDims, biasDims, keptLetters.Select(l => size[l]).ToArray(),
            contracted.Aggregate(1, (a, l) => checked(a * size[l])), fresh.Aggregate(1, (a, l) => checked(a * size[l])),
            UnlessIdentity(Order(input, keptLetters + contracted)), UnlessIdentity(Order(s.Kernel, contracted + fresh)),
            UnlessIdentity(Order(product, output)), product.Select(l => size[l]).ToArray(), suffix), null);
    }
}

/// <summary>
/// Keras's <c>EinsumDense(equation, output_shape, activation, bias_axes)</c>: every equation Keras accepts whose letters
/// are each kept (input and output), contracted (input and kernel) or new (kernel and output), with or without Keras's
/// ellipsis, in any order. It runs as one matrix product over (batch · kept) rows, the input, kernel and output put in
/// that product's order where they are not (the kernel in the fixed scratch), then Keras's bias (a row repeated when it
/// spans the last new axes, broadcast otherwise) and the activation. A letter in all three, or summed away without the
/// kernel, is squiggled.
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

        if (equation.Kind != ValueKind.String)
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("equation"), $"EinsumDense needs its equation as a string; got {equation}");
            return null;
        }

        if (Parse(equation.String!) is not var (input, kernel, output, ellipsis) || Problem(input, kernel, output, ellipsis) is { } problem)
        {
            string why = Parse(equation.String!) is var (i, k, o, e) ? Problem(i, k, o, e)! : "it is not 'input,kernel->output' in letters, with Keras's '...' " +
                "leading both the input and the output or ending both";
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("equation"), $"EinsumDense cannot compute '{equation.String}': {why}");
            return null;
        }

        // output_shape: the output's explicit axes after the batch axis (kept ones may be null: the input's), or one integer.
        string given = ellipsis == 1 ? output : output.Substring(1);
        var items = shape.Kind == ValueKind.List ? shape.Items! : new List<Value> { shape };
        if (items.Count != given.Length || items.Any(v => v.Kind != ValueKind.Null && (v is not { Kind: ValueKind.Number, IsInteger: true } || v.Number <= 0)))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("outputShape"),
                $"EinsumDense's output_shape gives the {given.Length} axes of '{given}' (positive sizes, or null for one the input keeps); got {shape}");
            return null;
        }

        var sizes = items.Select(v => v.Kind == ValueKind.Null ? 0 : (int)v.Number).ToList();
        string fresh = new string(given.Where(l => input.IndexOf(l) < 0).ToArray());
        if (given.Select((l, i) => (l, i)).Any(p => input.IndexOf(p.l) < 0 && sizes[p.i] == 0))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("outputShape"),
                $"EinsumDense's output_shape must give the size of each new axis ('{fresh}'), which sizes the kernel; got {shape}");
            return null;
        }

        string? biasAxes = null;
        if (bias.Kind != ValueKind.Null)
        {
            biasAxes = bias.Kind == ValueKind.String ? bias.String! : null;
            if (biasAxes is null || biasAxes.Length == 0 || biasAxes.Any(l => output.IndexOf(l) < 0 || (ellipsis != 1 && l == output[0])) || biasAxes.Distinct().Count() != biasAxes.Length)
            {
                args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("biasAxes"),
                    $"EinsumDense's bias_axes are letters of the output '{output}' other than the batch axis, each once; got {bias}");
                return null;
            }
        }

        _ = checked(sizes.Aggregate(1, (a, d) => checked(a * System.Math.Max(d, 1))));
        return new EinsumDenseConfig(equation.String!, input, kernel, output, ellipsis, sizes.ToEquatableArray(), activation.Value, biasAxes);
    }

    /// <summary>Splits 'input,kernel->output' (spaces ignored) as Keras's three forms do; null when it is none of them.</summary>
    private static (string Input, string Kernel, string Output, int Ellipsis)? Parse(string equation)
    {
        string text = equation.Replace(" ", string.Empty);
        int comma = text.IndexOf(','), arrow = text.IndexOf("->", System.StringComparison.Ordinal);
        if (comma <= 0 || arrow < comma + 2)
        {
            return null;
        }

        string input = text.Substring(0, comma), kernel = text.Substring(comma + 1, arrow - comma - 1), output = text.Substring(arrow + 2);
        int ellipsis = 0;
        if (input.StartsWith("...", System.StringComparison.Ordinal) && output.StartsWith("...", System.StringComparison.Ordinal))
        {
            (input, output, ellipsis) = (input.Substring(3), output.Substring(3), 1);
        }
        else if (input.EndsWith("...", System.StringComparison.Ordinal) && output.EndsWith("...", System.StringComparison.Ordinal) && input.Length >= 5)
        {
            (input, output, ellipsis) = (input.Substring(0, input.Length - 3), output.Substring(0, output.Length - 3), 2);
        }

        bool letters = new[] { input, kernel, output }.All(s => s.Length > 0 && s.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') && s.Distinct().Count() == s.Length);
        return letters ? (input, kernel, output, ellipsis) : null;
    }

    /// <summary>Why the letters do not make a dense product, or null when they do.</summary>
    private static string? Problem(string input, string kernel, string output, int ellipsis)
    {
        if (ellipsis != 1 && (input[0] != output[0] || kernel.IndexOf(input[0]) >= 0))
        {
            return $"its first letters ('{input[0]}', '{output[0]}') are the batch axis, which the input and output share and the kernel does not have";
        }

        foreach (char l in input.Concat(kernel).Concat(output).Distinct())
        {
            bool i = input.IndexOf(l) >= 0, k = kernel.IndexOf(l) >= 0, o = output.IndexOf(l) >= 0;
            if (i && k && o)
            {
                return $"'{l}' is in the input, the kernel and the output (a kernel per position along it); EinsumDense computes kept, contracted and new axes";
            }

            if (i != o && !k)
            {
                return o ? $"the output's '{l}' is in neither the input nor the kernel" : $"the input's '{l}' is summed away without the kernel; sum it before, with Ops.Sum";
            }

            if (k && !i && !o)
            {
                return $"the kernel's '{l}' is in neither the input nor the output";
            }
        }

        return null;
    }

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var s = c.Settings<EinsumDenseConfig>();
        var (plan, error) = EinsumPlan.Of(s, c.Input.Dims);
        if (plan is null)
        {
            return c.Fail($"its input {c.TensorName(0)} has shape {c.Input.Keras}, but {error}");
        }

        _ = checked(plan.KernelDims.Aggregate(1, (a, d) => checked(a * d)));
        c.Weight("kernel", WeightInit.GlorotUniform, plan.KernelDims);
        if (plan.BiasDims is { } bias)
        {
            c.Weight("bias", WeightInit.Zeros, bias);
        }

        return c.Shape(plan.OutputDims);
    }

    /// <summary>The input in the product's order, and the product before it is put in the output's order, where each
    /// differs.</summary>
    public override int[] Temporaries(PlanContext c)
    {
        var plan = Plan(c.Settings<EinsumDenseConfig>(), c.Input.Dims);
        var sizes = new List<int>();
        if (plan.InputOrder is not null)
        {
            sizes.Add(c.PerRow(c.Dims.Product(c.Input.Dims)));
        }

        if (plan.OutputOrder is not null)
        {
            sizes.Add(c.PerRow(c.Dims.Product(plan.ProductDims)));
        }

        return sizes.ToArray();
    }

    /// <summary>A kernel in another order than the product's: its reordered copy and that copy's gradient, once whatever
    /// the batch.</summary>
    public override int Scratch(PlanContext c)
    {
        if (Plan(c.Settings<EinsumDenseConfig>(), c.Input.Dims).KernelOrder is not null)
        {
            c.BoundScratch();
        }

        return 0;
    }

    public override string BoundedScratch(NodeEmitter e)
    {
        var plan = Plan(e);
        return N(2 * plan.Contracted * plan.New);
    }

    public override bool KeepsPreActivation(LayerSpec layer) => ActivationInfo.NeedsPreActivation(layer.Settings<EinsumDenseConfig>().Activation);

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<EinsumDenseConfig>();
        var plan = Plan(e);
        string rows = e.Rows(e.Dims.Product(plan.Kept));
        string y = e.Values(e.Node), z = y;
        if (e.PreActivation is { } preActivation)
        {
            e.Line($"var z = {preActivation};");
            z = "z";
        }

        string x = e.Values(e.Input);
        if (plan.InputOrder is { } inputOrder)
        {
            e.Line($"{Kernels}TensorOps.Permute({x}, {InputCopy(e, plan)}, batchSize, {ShapeLiteral(e, e.ShapeOf(e.Input).Dims)}, {Ints(e, inputOrder)});");
            x = InputCopy(e, plan);
        }

        string kernel = e.Weight("kernel");
        if (plan.KernelOrder is { } kernelOrder)
        {
            e.Line($"{Kernels}TensorOps.Permute({kernel}, {e.Scratch}[..{N(plan.Contracted * plan.New)}], 1, {Ints(e, plan.KernelDims)}, {Ints(e, kernelOrder)});");
            kernel = $"{e.Scratch}[..{N(plan.Contracted * plan.New)}]";
        }

        string product = plan.OutputOrder is null ? z : ProductCopy(e, plan);
        e.Line($"{Kernels}Gemm.Multiply({x}, {kernel}, {product}, {rows}, {N(plan.Contracted)}, {N(plan.New)}, accumulate: false);");
        if (plan.OutputOrder is { } outputOrder)
        {
            e.Line($"{Kernels}TensorOps.Permute({product}, {z}, batchSize, {ShapeLiteral(e, plan.ProductDims)}, {Ints(e, outputOrder)});");
        }

        if (plan.SuffixBias > 0)
        {
            // The bias spans the last axes: the output is [the rest, bias width].
            e.Line($"{Kernels}TensorOps.AddBias({z}, {e.Weight("bias")}, batchSize * {e.D(e.Dims.Product(plan.OutputDims))} / {N(plan.SuffixBias)}, {N(plan.SuffixBias)});");
        }
        else if (plan.BiasDims is { } biasDims)
        {
            // Keras's bias broadcast over the output's other axes (aligned on the right, the batch included).
            string shape = OutputWithBatch(e, plan);
            e.Line($"{Kernels}OpKernels.Binary({Kernels}BinaryOp.Add, {z}, {shape}, {e.Weight("bias")}, {Ints(e, biasDims)}, {z}, {shape}, 1);");
        }

        if (s.Activation != ActivationInfo.Linear)
        {
            // Over the output's last axis (softmax's), whatever the product's order.
            e.Line($"{Kernels}ActivationKernels.Forward({Activation(s.Activation)}, {z}, {y}, {ActivationRows(e, plan)}, {LastAxis(e, plan)});");
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var s = e.Settings<EinsumDenseConfig>();
        var plan = Plan(e);
        string rows = e.Rows(e.Dims.Product(plan.Kept));
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (s.Activation != ActivationInfo.Linear)
        {
            e.Line($"{Kernels}ActivationKernels.Backward({Activation(s.Activation)}, {e.PreActivation ?? ReadOnlySpan + ".Empty"}, {e.Values(e.Node)}, dy, " +
                   $"{ActivationRows(e, plan)}, {LastAxis(e, plan)});");
        }

        bool trains = e.OpenIfTrains();
        if (plan.SuffixBias > 0)
        {
            e.Line($"{Kernels}TensorOps.AccumulateBiasGradient(dy, {e.WeightGradient("bias")}, batchSize * {e.D(e.Dims.Product(plan.OutputDims))} / {N(plan.SuffixBias)}, {N(plan.SuffixBias)});");
        }
        else if (plan.BiasDims is { } biasDims)
        {
            string shape = OutputWithBatch(e, plan);
            e.Line($"{Kernels}OpKernels.BinaryBackward({Kernels}BinaryOp.Add, dy, dy, {shape}, {e.Weight("bias")}, {Ints(e, biasDims)}, {Span}.Empty, " +
                   $"{e.WeightGradient("bias")}, {shape}, 1);");
        }

        e.CloseIf(trains);

        // The product's gradient in its own order.
        string dProduct = "dy";
        if (plan.OutputOrder is { } outputOrder)
        {
            dProduct = e.TemporaryGradient(plan.InputOrder is null ? 0 : 1, e.Dims.Product(plan.ProductDims));
            e.Line($"{dProduct}[..(batchSize * {e.D(e.Dims.Product(plan.ProductDims))})].Clear();");
            e.Line($"{Kernels}TensorOps.PermuteBackward(dy, {dProduct}, batchSize, {ShapeLiteral(e, plan.ProductDims)}, {Ints(e, outputOrder)});");
        }

        string x = plan.InputOrder is null ? e.Values(e.Input) : InputCopy(e, plan);
        string kernel = e.Weight("kernel"), dKernel = e.WeightGradient("kernel");
        if (plan.KernelOrder is { } kernelOrder)
        {
            int size = plan.Contracted * plan.New;
            kernel = $"{e.Scratch}[..{N(size)}]";
            dKernel = $"{e.Scratch}.Slice({N(size)}, {N(size)})";
            e.Line($"{Kernels}TensorOps.Permute({e.Weight("kernel")}, {kernel}, 1, {Ints(e, plan.KernelDims)}, {Ints(e, kernelOrder)});");
        }

        trains = e.OpenIfTrains();
        if (plan.KernelOrder is not null)
        {
            e.Line($"{dKernel}.Clear();");
        }

        e.Line($"{Kernels}Gemm.MultiplyTransposedA({x}, {dProduct}, {dKernel}, {N(plan.Contracted)}, {rows}, {N(plan.New)}, accumulate: true);");
        if (plan.KernelOrder is { } order)
        {
            e.Line($"{Kernels}TensorOps.PermuteBackward({dKernel}, {e.WeightGradient("kernel")}, 1, {Ints(e, plan.KernelDims)}, {Ints(e, order)});");
        }

        e.CloseIf(trains);
        if (!e.NeedsGradient(e.Input))
        {
            return;
        }

        e.OpenIfNeedsGradient(e.Input);
        InputGradient(e, plan, dProduct, kernel, rows);
        e.Close();
    }

    private static void InputGradient(NodeEmitter e, EinsumPlan plan, string dProduct, string kernel, string rows)
    {
        if (plan.InputOrder is { } inputOrder)
        {
            string dInput = e.TemporaryGradient(0, e.Dims.Product(e.ShapeOf(e.Input).Dims));
            e.Line($"{Kernels}Gemm.MultiplyTransposedB({dProduct}, {kernel}, {dInput}, {rows}, {N(plan.New)}, {N(plan.Contracted)}, accumulate: false);");
            e.Line($"{Kernels}TensorOps.PermuteBackward({dInput}, {e.Gradient(e.Input)}, batchSize, {ShapeLiteral(e, e.ShapeOf(e.Input).Dims)}, {Ints(e, inputOrder)});");
        }
        else
        {
            e.Line($"{Kernels}Gemm.MultiplyTransposedB({dProduct}, {kernel}, {e.Gradient(e.Input)}, {rows}, {N(plan.New)}, {N(plan.Contracted)}, accumulate: true);");
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

    private static EinsumPlan Plan(EinsumDenseConfig s, IReadOnlyList<int> dims)
        => EinsumPlan.Of(s, dims).Plan ?? throw new System.InvalidOperationException($"EinsumDense '{s.Equation}' was planned on a shape it does not fit");

    private static EinsumPlan Plan(NodeEmitter e) => Plan(e.Settings<EinsumDenseConfig>(), e.ShapeOf(e.Input).Dims);

    /// <summary>The input in the product's order (the first temporary).</summary>
    private static string InputCopy(NodeEmitter e, EinsumPlan plan) => e.Temporary(0, e.Dims.Product(e.ShapeOf(e.Input).Dims));

    /// <summary>The product before it is put in the output's order (the temporary after the input's copy).</summary>
    private static string ProductCopy(NodeEmitter e, EinsumPlan plan) => e.Temporary(plan.InputOrder is null ? 0 : 1, e.Dims.Product(plan.ProductDims));

    /// <summary>Rows of the output's last axis: the batch times the output's other axes.</summary>
    private static string ActivationRows(NodeEmitter e, EinsumPlan plan) => e.Rows(e.Dims.Product(plan.OutputDims.Take(System.Math.Max(plan.OutputDims.Length - 1, 0))));

    /// <summary>The output's last axis (1 for an output of the batch axis alone).</summary>
    private static string LastAxis(NodeEmitter e, EinsumPlan plan) => plan.OutputDims.Length == 0 ? "1" : e.D(plan.OutputDims[plan.OutputDims.Length - 1]);

    /// <summary>The output's shape with the batch axis first, for the broadcast bias.</summary>
    private static string OutputWithBatch(NodeEmitter e, EinsumPlan plan) => $"[batchSize, {string.Join(", ", plan.OutputDims.Select(e.D))}]";

    /// <summary>A per-sample shape that may hold run-time lengths, as the kernels take it.</summary>
    private static string ShapeLiteral(NodeEmitter e, IEnumerable<int> dims) => e.IntSpan(dims.Select(e.D));

    private static string Ints(NodeEmitter e, IEnumerable<int> values) => e.IntSpan(values.Select(N));
}
