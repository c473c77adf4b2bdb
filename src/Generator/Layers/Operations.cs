using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary>An element-wise function: <c>Ops.Abs</c>, <c>Exp</c>, <c>Log</c>, <c>Sqrt</c>, <c>Square</c>.</summary>
internal sealed record UnaryOpConfig(UnaryOp Function) : LayerConfig;

/// <summary>An activation applied as an operation (<c>Ops.Tanh</c>, <c>Ops.Relu</c>): the <c>Unrolled.Activation</c> value.</summary>
internal sealed record ActivationOpConfig(int Activation) : LayerConfig;

/// <summary><c>Scale · x + Shift</c>: a tensor combined with constants (<c>1 - x</c>, <c>x / 2</c>, <c>-x</c>).</summary>
internal sealed record AffineConfig(double Scale, double Shift) : LayerConfig;

/// <summary>A broadcasting operation on two tensors (<c>a + b</c>, <c>Ops.Maximum(a, b)</c>).</summary>
internal sealed record BinaryOpConfig(BinaryOp Function) : LayerConfig;

/// <summary>A sum or mean over one axis (Keras counts the batch axis), keeping it as length 1 when <c>KeepDims</c>.</summary>
internal sealed record ReduceConfig(bool Mean, int Axis, bool KeepDims) : LayerConfig;

/// <summary>
/// The tensor operations a Lambda's function (or the builder, outside one) applies: Keras 3 records them as operations,
/// not layers (plot_model shows TFOpLambda), so they have no weights and no place in <c>model.layers</c>. The evaluator
/// creates them from C# operators and <c>Ops.*</c> calls.
/// </summary>
internal sealed class OperationRule : LayerRule
{
    private static readonly string[] s_unary = { "math.abs", "math.exp", "math.log", "math.sqrt", "math.square" };
    private static readonly string[] s_binary = { "__operators__.add", "math.subtract", "math.multiply", "math.truediv", "math.maximum", "math.minimum" };

    public override IReadOnlyList<LayerKind> Kinds { get; } = new[]
    {
        LayerKind.UnaryOp, LayerKind.ActivationOp, LayerKind.Affine, LayerKind.BinaryOp, LayerKind.Reduce,
    };

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => Enumerable.Empty<(string, LayerKind)>();

    public override (int Min, int Max) Arity(LayerSpec layer) => layer.Kind == LayerKind.BinaryOp ? (2, 2) : (1, 1);

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        switch (c.Layer.Kind)
        {
            case LayerKind.BinaryOp:
            {
                var shape = Broadcasting.Broadcast(c.Inputs[0].Dims, c.Inputs[1].Dims);
                if (shape is null)
                {
                    c.ReportRaw(DiagnosticIds.ShapeMismatch, c.NodeSpec.Span, $"'{c.Layer.Name}'",
                        $"shapes {c.Inputs[0].Keras} and {c.Inputs[1].Keras} cannot be broadcast together (each pair of axes, aligned on the right, must be equal or 1)" +
                        Broadcasting.RunTimeHint(c.Inputs[0], c.Inputs[1]));
                    return null;
                }

                return new TensorShape(shape.Value, 0);
            }

            case LayerKind.Reduce:
            {
                var config = c.Settings<ReduceConfig>();
                var input = c.Input;
                int rank = input.Dims.Count + 1;
                int axis = config.Axis < 0 ? config.Axis + rank : config.Axis;
                if (axis < 1 || axis >= rank)
                {
                    c.ReportRaw(DiagnosticIds.InvalidArgument, c.NodeSpec.Span,
                        $"'{c.Layer.Name}' reduces axis {config.Axis}, but its input {input.Keras} has axes 1..{rank - 1} (the batch axis 0 cannot be reduced)");
                    return null;
                }

                return c.Shape(input.Dims.Select((d, i) => i == axis - 1 ? 1 : d).Where((d, i) => config.KeepDims || i != axis - 1));
            }

            default:
                return c.Input;
        }
    }

    public override void Forward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        string x = e.Values(inputs[0]), y = e.Values(e.Node);
        switch (e.Layer.Kind)
        {
            case LayerKind.UnaryOp:
                e.Line($"{Kernels}OpKernels.Unary({Kernels}UnaryOp.{e.Settings<UnaryOpConfig>().Function}, {x}, {y});");
                break;
            case LayerKind.ActivationOp:
                e.Line($"{Kernels}ActivationKernels.Forward({Activation(e.Settings<ActivationOpConfig>().Activation)}, {x}, {y}, batchSize, {e.D(e.SizeOf(e.Node))});");
                break;
            case LayerKind.Affine:
            {
                var affine = e.Settings<AffineConfig>();
                e.Line($"{Kernels}OpKernels.Affine({x}, {y}, {Float(affine.Scale)}, {Float(affine.Shift)});");
                break;
            }

            case LayerKind.BinaryOp:
                e.Line($"{Kernels}OpKernels.Binary({Kernels}BinaryOp.{e.Settings<BinaryOpConfig>().Function}, {x}, {e.ShapeLiteral(inputs[0])}, " +
                       $"{e.Values(inputs[1])}, {e.ShapeLiteral(inputs[1])}, {y}, {e.ShapeLiteral(e.Node)}, batchSize);");
                break;
            default:
            {
                var (outer, length, inner) = ReduceGeometry(e);
                e.Line($"{Kernels}OpKernels.Reduce({x}, {y}, {e.Rows(outer)}, {e.D(length)}, {e.D(inner)}, {ReduceScale(e, length)});");
                break;
            }
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var inputs = e.Inputs;
        e.Line($"var dy = {e.Gradient(e.Node)};");
        switch (e.Layer.Kind)
        {
            case LayerKind.UnaryOp:
                e.Line($"{Kernels}OpKernels.UnaryBackward({Kernels}UnaryOp.{e.Settings<UnaryOpConfig>().Function}, {e.Values(inputs[0])}, {e.Values(e.Node)}, dy, {e.Gradient(inputs[0])});");
                break;
            case LayerKind.ActivationOp:
                // The activation's derivative turns dy into the input's gradient in place (dy is used only here).
                e.Line($"{Kernels}ActivationKernels.Backward({Activation(e.Settings<ActivationOpConfig>().Activation)}, {e.Values(inputs[0])}, {e.Values(e.Node)}, dy, batchSize, {e.D(e.SizeOf(e.Node))});");
                e.Line($"{Kernels}TensorOps.Accumulate(dy, {e.Gradient(inputs[0])});");
                break;
            case LayerKind.Affine:
                e.Line($"{Kernels}MergeOps.AccumulateScaled(dy, {e.Gradient(inputs[0])}, {Float(e.Settings<AffineConfig>().Scale)});");
                break;
            case LayerKind.BinaryOp:
                e.Line($"{Kernels}OpKernels.BinaryBackward({Kernels}BinaryOp.{e.Settings<BinaryOpConfig>().Function}, dy, {e.Values(inputs[0])}, {e.ShapeLiteral(inputs[0])}, " +
                       $"{e.Values(inputs[1])}, {e.ShapeLiteral(inputs[1])}, {e.GradientOrEmpty(inputs[0])}, {e.GradientOrEmpty(inputs[1])}, {e.ShapeLiteral(e.Node)}, batchSize);");
                break;
            default:
            {
                var (outer, length, inner) = ReduceGeometry(e);
                e.Line($"{Kernels}OpKernels.ReduceBackward(dy, {e.Gradient(inputs[0])}, {e.Rows(outer)}, {e.D(length)}, {e.D(inner)}, {ReduceScale(e, length)});");
                break;
            }
        }
    }

    public override string KerasClass(LayerKind kind) => "TFOpLambda";

    public override bool IsKerasLayer(LayerKind kind) => false;

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        switch (layer.Kind)
        {
            case LayerKind.UnaryOp:
                config.Settings("OperationSettings").Text("function", s_unary[(int)layer.Settings<UnaryOpConfig>().Function]);
                break;
            case LayerKind.ActivationOp:
                string activation = KerasActivation.Name(layer.Settings<ActivationOpConfig>().Activation);
                config.Settings("ActivationOpSettings").Text("function", activation switch { "tanh" => "math.tanh", "sigmoid" => "math.sigmoid", _ => "nn." + activation })
                    .Text("activation", activation);
                break;
            case LayerKind.Affine:
                config.Settings("AffineSettings").Number("scale", layer.Settings<AffineConfig>().Scale).Number("shift", layer.Settings<AffineConfig>().Shift);
                break;
            case LayerKind.BinaryOp:
                config.Settings("OperationSettings").Text("function", s_binary[(int)layer.Settings<BinaryOpConfig>().Function]);
                break;
            default:
            {
                var reduce = layer.Settings<ReduceConfig>();
                config.Settings("ReduceSettings").Text("function", reduce.Mean ? "math.reduce_mean" : "math.reduce_sum").Int("axis", reduce.Axis).Bool("keepdims", reduce.KeepDims);
                break;
            }
        }
    }

    private static (int Outer, int Length, int Inner) ReduceGeometry(NodeEmitter e)
    {
        var input = e.ShapeOf(e.Input);
        int given = e.Settings<ReduceConfig>().Axis;
        int rank = input.Dims.Count + 1;
        int axis = (given < 0 ? given + rank : given) - 1;
        return (e.Dims.Product(input.Dims.Take(axis)), input.Dims[axis], e.Dims.Product(input.Dims.Skip(axis + 1)));
    }

    /// <summary>1 for a sum; one over the reduced length for a mean (computed at run time for a run-time length).</summary>
    private static string ReduceScale(NodeEmitter e, int length) => e.Settings<ReduceConfig>().Mean ? e.MeanScale(length) : "1f";
}

/// <summary>
/// <c>Ops.MatMul(a, b)</c>, Keras's <c>ops.matmul</c>: the product of the last two axes, (…, m, k) by (…, k, n), batched
/// over the axes before them, which broadcast as NumPy's (an axis missing or of length 1 repeats: (heads, T, d) by
/// (d, S)). Multi-head attention by hand: (heads, T, d) queries by (heads, d, S) keys. An operation, not a layer, as in
/// Keras 3.
/// </summary>
internal sealed class MatMulRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.MatMul };

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => Enumerable.Empty<(string, LayerKind)>();

    public override (int Min, int Max) Arity(LayerSpec layer) => (2, 2);

    public override TensorShape? Infer(ShapeContext c)
    {
        if (!c.IsFloat())
        {
            return null;
        }

        var (a, b) = (c.Inputs[0].Dims, c.Inputs[1].Dims);
        string shapes = $"its inputs have shapes {c.Inputs[0].Keras} and {c.Inputs[1].Keras}";
        if (a.Count < 2 || b.Count < 2)
        {
            return c.FailAt(a.Count < 2 ? 0 : 1, $"{shapes}; MatMul multiplies the last two axes, so each needs two besides the batch axis");
        }

        if (a[a.Count - 1] != b[b.Count - 2])
        {
            return c.FailAt(1, $"{shapes}; the first's last axis must have the length of the second's second-to-last");
        }

        var outer = Broadcast(a.Take(a.Count - 2).ToList(), b.Take(b.Count - 2).ToList());
        if (outer is null)
        {
            return c.FailAt(1, $"{shapes}; the axes before the last two must broadcast (each pair equal, or one of them 1 or missing)");
        }

        if (!a.Take(a.Count - 2).SequenceEqual(b.Take(b.Count - 2)) && outer.Any(DimTable.IsSymbolic))
        {
            return c.FailAt(1, $"{shapes}; broadcasting over an axis known only at run time is not in this version");
        }

        return c.Shape(outer.Concat(new[] { a[a.Count - 2], b[b.Count - 1] }));
    }

    /// <summary>The leading axes of a broadcast product (right-aligned; equal, or one of them 1), or null.</summary>
    private static List<int>? Broadcast(List<int> a, List<int> b)
    {
        int rank = System.Math.Max(a.Count, b.Count);
        var outer = new List<int>();
        for (int d = 0; d < rank; d++)
        {
            int x = d - (rank - a.Count) >= 0 ? a[d - (rank - a.Count)] : 1;
            int y = d - (rank - b.Count) >= 0 ? b[d - (rank - b.Count)] : 1;
            if (x == y || y == 1)
            {
                outer.Add(x);
            }
            else if (x == 1)
            {
                outer.Add(y);
            }
            else
            {
                return null;
            }
        }

        return outer;
    }

    /// <summary>For a broadcast product: the output's leading axes and each input's matrix strides, as code.</summary>
    private static (string Outer, string AStrides, string BStrides, int AMatrices, int BMatrices)? BroadcastGeometry(NodeEmitter e)
    {
        var a = e.ShapeOf(e.Inputs[0]).Dims.ToList();
        var b = e.ShapeOf(e.Inputs[1]).Dims.ToList();
        var (la, lb) = (a.Take(a.Count - 2).ToList(), b.Take(b.Count - 2).ToList());
        if (la.SequenceEqual(lb))
        {
            return null;
        }

        var outer = Broadcast(la, lb)!;
        int[] Strides(List<int> own)
        {
            var strides = new int[outer.Count];
            int step = 1;
            for (int d = outer.Count - 1; d >= 0; d--)
            {
                int i = d - (outer.Count - own.Count);
                if (i >= 0)
                {
                    strides[d] = own[i] == 1 ? 0 : step;
                    step *= own[i];
                }
            }

            return strides;
        }

        string List(IEnumerable<int> values) => e.IntSpan(values.Select(N));
        return (List(outer), List(Strides(la)), List(Strides(lb)), la.Aggregate(1, (p, d) => p * d), lb.Aggregate(1, (p, d) => p * d));
    }

    public override void Forward(NodeEmitter e)
    {
        var (count, m, k, n) = Geometry(e);
        if (BroadcastGeometry(e) is { } g)
        {
            e.Line($"{Kernels}DotKernels.MatMulBroadcast({e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, {e.Values(e.Node)}, batchSize, {g.Outer}, " +
                   $"{g.AStrides}, {g.BStrides}, {N(g.AMatrices)}, {N(g.BMatrices)}, {e.D(m)}, {e.D(k)}, {e.D(n)});");
            return;
        }

        e.Line($"{Kernels}DotKernels.MatMul({e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, {e.Values(e.Node)}, {e.Rows(count)}, {e.D(m)}, {e.D(k)}, {e.D(n)});");
    }

    public override void Backward(NodeEmitter e)
    {
        var (count, m, k, n) = Geometry(e);
        if (BroadcastGeometry(e) is { } g)
        {
            e.Line($"{Kernels}DotKernels.MatMulBroadcastBackward({e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, " +
                   $"{e.GradientOrEmpty(e.Inputs[0])}, {e.GradientOrEmpty(e.Inputs[1])}, batchSize, {g.Outer}, {g.AStrides}, {g.BStrides}, " +
                   $"{N(g.AMatrices)}, {N(g.BMatrices)}, {e.D(m)}, {e.D(k)}, {e.D(n)});");
            return;
        }

        e.Line($"{Kernels}DotKernels.MatMulBackward({e.Gradient(e.Node)}, {e.Values(e.Inputs[0])}, {e.Values(e.Inputs[1])}, {e.GradientOrEmpty(e.Inputs[0])}, " +
               $"{e.GradientOrEmpty(e.Inputs[1])}, {e.Rows(count)}, {e.D(m)}, {e.D(k)}, {e.D(n)});");
    }

    public override string KerasClass(LayerKind kind) => "TFOpLambda";

    public override bool IsKerasLayer(LayerKind kind) => false;

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("OperationSettings").Text("function", "linalg.matmul");

    /// <summary>Matrices per sample (the product of the leading axes), and m, k, n.</summary>
    private static (int Count, int M, int K, int N) Geometry(NodeEmitter e)
    {
        var a = e.ShapeOf(e.Inputs[0]).Dims;
        var b = e.ShapeOf(e.Inputs[1]).Dims;
        return (e.Dims.Product(a.Take(a.Count - 2)), a[a.Count - 2], a[a.Count - 1], b[b.Count - 1]);
    }
}
