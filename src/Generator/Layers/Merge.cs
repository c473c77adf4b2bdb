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

/// <summary><c>Concatenate</c>'s settings: the axis as the user wrote it (Keras counts the batch axis).</summary>
internal sealed record ConcatenateConfig(int Axis) : LayerConfig;

/// <summary>
/// Keras's merge layers over a list of tensors: <c>Concatenate(axis)</c>, and the element-wise <c>Add</c>,
/// <c>Subtract</c> (two inputs), <c>Multiply</c>, <c>Average</c>, <c>Maximum</c>, <c>Minimum</c>, which broadcast as
/// Keras does (shapes aligned on the right; an axis of length 1 repeats).
/// </summary>
internal sealed class MergeRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[]
    {
        LayerKind.Concatenate, LayerKind.Add, LayerKind.Subtract, LayerKind.Multiply, LayerKind.Average, LayerKind.Maximum, LayerKind.Minimum,
    };

    /// <summary>Keras's merges: the OR of the inputs' masks, none when some input has none; Concatenate along another
    /// axis than the features concatenates the masks (an unmasked input's steps kept), as Keras's Concatenate.</summary>
    public override MaskFlow Mask(LayerSpec layer) => layer.Kind == LayerKind.Concatenate ? MaskFlow.Concatenates : MaskFlow.Merges;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
        => kind != LayerKind.Concatenate ? NoSettings.Instance : args.Int("axis") is int axis ? new ConcatenateConfig(axis) : null;

    public override (int Min, int Max) Arity(LayerSpec layer) => layer.Kind == LayerKind.Subtract ? (2, 2) : (2, int.MaxValue);

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        return c.Layer.Kind == LayerKind.Concatenate ? ConcatenateShape(c) : ElementwiseShape(c);
    }

    private static TensorShape? ConcatenateShape(ShapeContext c)
    {
        var layer = c.Layer;
        int given = c.Settings<ConcatenateConfig>().Axis;
        int rank = c.Input.Dims.Count + 1; // Keras counts the batch axis
        int axis = given < 0 ? given + rank : given;
        if (axis < 1 || axis >= rank)
        {
            c.ReportRaw(DiagnosticIds.InvalidArgument, layer.Span,
                $"Concatenate '{layer.Name}' has axis {given}, but its inputs have rank {rank} (batch included), so the axis must be in 1..{rank - 1} or -{rank - 1}..-1");
            return null;
        }

        int sampleAxis = axis - 1;

        var first = c.Input;
        int total = 0;
        for (int i = 0; i < c.Inputs.Count; i++)
        {
            var shape = c.Inputs[i];
            bool ok = shape.Dims.Count == first.Dims.Count;
            int badAxis = -1;
            for (int d = 0; ok && d < shape.Dims.Count; d++)
            {
                if (d != sampleAxis && shape.Dims[d] != first.Dims[d])
                {
                    ok = false;
                    badAxis = d + 1;
                }
            }

            if (!ok)
            {
                return c.FailAt(i, $"input {i} has shape {shape.Keras} but input 0 has shape {first.Keras}; " +
                    (badAxis >= 0 ? $"they differ on axis {badAxis.ToString(CultureInfo.InvariantCulture)}" : "their ranks differ") +
                    $", and only the concatenation axis ({axis}) may differ");
            }

            total = c.Dims.Add(total, shape.Dims[sampleAxis]);
        }

        return c.Shape(first.Dims.Select((d, i) => i == sampleAxis ? total : d));
    }

    private static TensorShape? ElementwiseShape(ShapeContext c)
    {
        var first = c.Input;
        if (c.Inputs.All(t => t.Dims.Equals(first.Dims)))
        {
            return first;
        }

        // Keras broadcasts merge inputs: shapes aligned on the right, an axis of length 1 repeats.
        var shape = first.Dims;
        for (int i = 1; i < c.Inputs.Count; i++)
        {
            var combined = Broadcasting.Broadcast(shape, c.Inputs[i].Dims);
            if (combined is null)
            {
                int axis = Broadcasting.FirstDifferentAxis(first.Dims, c.Inputs[i].Dims);
                return c.FailAt(i, $"input {i} has shape {c.Inputs[i].Keras} but input 0 has shape {first.Keras}; " +
                    (axis > 0 ? $"they differ on axis {axis}" : "their ranks differ") +
                    ", and they cannot be broadcast together (each pair of axes, aligned on the right, must be equal or 1)" +
                    Broadcasting.RunTimeHint(first, c.Inputs[i]));
            }

            shape = combined.Value;
        }

        return new TensorShape(shape, 0);
    }

    public override int[] Temporaries(PlanContext c)
    {
        // Max/min keep which input claimed each element; a product of several inputs, or a broadcasting average, forms
        // a gradient at the output's shape first.
        bool broadcasts = c.NodeSpec.Inputs.Any(i => !c.Model.ShapeOf(i).Dims.Equals(c.Output.Dims));
        return c.Layer.Kind switch
        {
            LayerKind.Multiply when c.NodeSpec.Inputs.Count > 2 => new[] { c.OutputSize },
            LayerKind.Average when broadcasts => new[] { c.OutputSize },
            LayerKind.Maximum or LayerKind.Minimum => new[] { c.OutputSize },
            _ => System.Array.Empty<int>(),
        };
    }

    public override void Forward(NodeEmitter e)
    {
        if (e.Layer.Kind == LayerKind.Concatenate)
        {
            var (outer, inner, total) = ConcatenateGeometry(e);
            string joined = e.Values(e.Node);
            int offset = 0;
            for (int i = 0; i < e.Inputs.Count; i++)
            {
                e.Line($"{Kernels}TensorOps.CopySlices({e.Values(e.Inputs[i])}, {joined}, {e.Rows(outer)}, {e.D(inner[i])}, {e.D(total)}, {e.D(offset)});");
                offset = e.Dims.Add(offset, inner[i]);
            }

            return;
        }

        if (e.Broadcasts)
        {
            BroadcastForward(e);
            return;
        }

        var kind = e.Layer.Kind;
        string op = kind switch
        {
            LayerKind.Subtract => "MergeOps.Subtract",
            LayerKind.Multiply => "MergeOps.Multiply",
            LayerKind.Maximum => "MergeOps.Maximum",
            LayerKind.Minimum => "MergeOps.Minimum",
            _ => "TensorOps.Add", // Add, Average
        };
        string y = e.Values(e.Node);
        e.Line($"{Kernels}{op}({e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, {y});");
        foreach (int input in e.Inputs.Skip(2))
        {
            e.Line(kind is LayerKind.Add or LayerKind.Average
                ? $"{Kernels}TensorOps.Accumulate({e.Values(input)}, {y});"
                : $"{Kernels}{op}({y}, {e.Values(input)}, {y});");
        }

        if (kind == LayerKind.Average)
        {
            e.Line($"{Kernels}MergeOps.Scale({y}, {Float(1.0 / e.Inputs.Count)});");
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        if (e.Layer.Kind == LayerKind.Concatenate)
        {
            var (outer, inner, total) = ConcatenateGeometry(e);
            e.Line($"var dy = {e.Gradient(e.Node)};");
            int offset = 0;
            for (int i = 0; i < inputs.Count; i++)
            {
                if (e.NeedsGradient(inputs[i]))
                {
                    e.Line($"{Kernels}TensorOps.AccumulateSlices(dy, {e.Gradient(inputs[i])}, {e.Rows(outer)}, {e.D(inner[i])}, {e.D(total)}, {e.D(offset)});");
                }

                offset = e.Dims.Add(offset, inner[i]);
            }

            return;
        }

        if (e.Broadcasts)
        {
            BroadcastBackward(e);
            return;
        }

        var kind = e.Layer.Kind;
        e.Line($"var dy = {e.Gradient(e.Node)};");
        int size = e.SizeOf(e.Node);
        switch (kind)
        {
            case LayerKind.Maximum or LayerKind.Minimum:
                // Each element's gradient goes to the first input that holds the extreme value.
                e.Line($"var claimed = {e.Temporary(0, size)};");
                e.Line("claimed.Clear();");
                foreach (int input in inputs)
                {
                    e.Line($"{Kernels}MergeOps.AccumulateSelected(dy, {e.Values(input)}, {e.Values(e.Node)}, claimed, {e.GradientOrEmpty(input)});");
                }

                return;
            case LayerKind.Multiply when inputs.Count > 2:
                e.Line($"var others = {e.Temporary(0, size)};");
                break;
        }

        for (int i = 0; i < inputs.Count; i++)
        {
            if (!e.NeedsGradient(inputs[i]))
            {
                continue;
            }

            string dx = e.Gradient(inputs[i]);
            switch (kind)
            {
                case LayerKind.Subtract when i == 1:
                    e.Line($"{Kernels}MergeOps.AccumulateScaled(dy, {dx}, -1f);");
                    break;
                case LayerKind.Average:
                    e.Line($"{Kernels}MergeOps.AccumulateScaled(dy, {dx}, {Float(1.0 / inputs.Count)});");
                    break;
                case LayerKind.Multiply when inputs.Count == 2:
                    e.Line($"{Kernels}MergeOps.AccumulateProduct(dy, {e.Values(inputs[1 - i])}, {dx});");
                    break;
                case LayerKind.Multiply:
                    e.Line("dy.CopyTo(others);");
                    for (int j = 0; j < inputs.Count; j++)
                    {
                        if (j != i)
                        {
                            e.Line($"{Kernels}MergeOps.Multiply(others, {e.Values(inputs[j])}, others);");
                        }
                    }

                    e.Line($"{Kernels}TensorOps.Accumulate(others, {dx});");
                    break;
                default: // Add, and Subtract's first input
                    e.Line($"{Kernels}TensorOps.Accumulate(dy, {dx});");
                    break;
            }
        }
    }

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        if (layer.Kind == LayerKind.Concatenate)
        {
            config.Settings("ConcatenateSettings").Int("axis", layer.Settings<ConcatenateConfig>().Axis);
        }
    }

    private static (int Outer, int[] Inner, int Total) ConcatenateGeometry(NodeEmitter e)
    {
        var output = e.Output;
        int given = e.Settings<ConcatenateConfig>().Axis;
        int rank = output.Dims.Count + 1;
        int axis = (given < 0 ? given + rank : given) - 1;
        int outer = e.Dims.Product(output.Dims.Take(axis));
        var inner = e.Inputs.Select(i => e.Dims.Product(e.ShapeOf(i).Dims.Skip(axis))).ToArray();
        return (outer, inner, inner.Aggregate(0, e.Dims.Add));
    }

    private static string BinaryOpOf(LayerKind kind) => kind switch
    {
        LayerKind.Subtract => "Subtract",
        LayerKind.Multiply => "Multiply",
        LayerKind.Maximum => "Maximum",
        LayerKind.Minimum => "Minimum",
        _ => "Add",
    };

    /// <summary>A merge whose inputs differ in shape: Keras's broadcasting, through the broadcasting kernels.</summary>
    private static void BroadcastForward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        string op = $"{Kernels}BinaryOp.{BinaryOpOf(e.Layer.Kind)}";
        string y = e.Values(e.Node);
        e.Line($"{Kernels}OpKernels.Binary({op}, {e.Values(inputs[0])}, {e.ShapeLiteral(inputs[0])}, {e.Values(inputs[1])}, {e.ShapeLiteral(inputs[1])}, {y}, {e.ShapeLiteral(e.Node)}, batchSize);");
        foreach (int input in inputs.Skip(2))
        {
            e.Line($"{Kernels}OpKernels.Binary({op}, {y}, {e.ShapeLiteral(e.Node)}, {e.Values(input)}, {e.ShapeLiteral(input)}, {y}, {e.ShapeLiteral(e.Node)}, batchSize);");
        }

        if (e.Layer.Kind == LayerKind.Average)
        {
            e.Line($"{Kernels}MergeOps.Scale({y}, {Float(1.0 / inputs.Count)});");
        }
    }

    private static void BroadcastBackward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        var kind = e.Layer.Kind;
        int size = e.SizeOf(e.Node);
        string sy = e.ShapeLiteral(e.Node);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        if (inputs.Count == 2 && kind != LayerKind.Average)
        {
            e.Line($"{Kernels}OpKernels.BinaryBackward({Kernels}BinaryOp.{BinaryOpOf(kind)}, dy, {e.Values(inputs[0])}, {e.ShapeLiteral(inputs[0])}, " +
                   $"{e.Values(inputs[1])}, {e.ShapeLiteral(inputs[1])}, {e.GradientOrEmpty(inputs[0])}, {e.GradientOrEmpty(inputs[1])}, {sy}, batchSize);");
            return;
        }

        if (kind is LayerKind.Maximum or LayerKind.Minimum)
        {
            // Each element's gradient goes to the first input holding the extreme value, summed over repetitions.
            e.Line($"var claimed = {e.Temporary(0, size)};");
            e.Line("claimed.Clear();");
            for (int i = 0; i < inputs.Count; i++)
            {
                e.Line($"{Kernels}OpKernels.AccumulateSelected(dy, {e.Values(inputs[i])}, {e.ShapeLiteral(inputs[i])}, {e.Values(e.Node)}, {sy}, claimed, {e.GradientOrEmpty(inputs[i])}, batchSize);");
            }

            return;
        }

        // Add, Average (dy / n) and Multiply (dy times the other factors): form the gradient at the output's shape,
        // then sum it over the axes along which each input was repeated.
        string source = "dy";
        if (kind == LayerKind.Average)
        {
            e.Line($"var scaled = {e.Temporary(0, size)};");
            e.Line($"{Kernels}OpKernels.Affine(dy, scaled, {Float(1.0 / inputs.Count)}, 0f);");
            source = "scaled";
        }
        else if (kind == LayerKind.Multiply)
        {
            e.Line($"var others = {e.Temporary(0, size)};");
            source = "others";
        }

        for (int i = 0; i < inputs.Count; i++)
        {
            if (!e.NeedsGradient(inputs[i]))
            {
                continue;
            }

            if (kind == LayerKind.Multiply)
            {
                e.Line("dy.CopyTo(others);");
                for (int j = 0; j < inputs.Count; j++)
                {
                    if (j != i)
                    {
                        e.Line($"{Kernels}OpKernels.Binary({Kernels}BinaryOp.Multiply, others, {sy}, {e.Values(inputs[j])}, {e.ShapeLiteral(inputs[j])}, others, {sy}, batchSize);");
                    }
                }
            }

            e.Line($"{Kernels}OpKernels.BinaryBackward({Kernels}BinaryOp.Add, {source}, {e.Values(e.Node)}, {sy}, {e.Values(inputs[i])}, {e.ShapeLiteral(inputs[i])}, " +
                   $"{Span}.Empty, {e.Gradient(inputs[i])}, {sy}, batchSize);");
        }
    }
}
