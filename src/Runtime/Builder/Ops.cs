using System.Collections.Generic;
using Unrolled.Onnx;

namespace Unrolled;

/// <summary>
/// Tensor operations for Lambda layers and builders, as Keras's backend (<c>K.exp</c>, <c>K.sum</c>, …) or
/// <c>keras.ops</c>. The generator differentiates every one at compile time. Together with the <see cref="Tensor"/>
/// operators (<c>a - b</c>, <c>1 - x</c>, <c>x / 2</c>) they express functions such as the tutorial's Manhattan
/// similarity <c>Exp(-Sum(Abs(v[0] - v[1]), axis: 1, keepDims: true))</c>.
/// </summary>
public static class Ops
{
    /// <summary>|x| element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Abs(Tensor x) => throw BuilderOnlyException.For(nameof(Abs));

    /// <summary>eˣ element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Exp(Tensor x) => throw BuilderOnlyException.For(nameof(Exp));

    /// <summary>The natural logarithm element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Log(Tensor x) => throw BuilderOnlyException.For(nameof(Log));

    /// <summary>√x element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Sqrt(Tensor x) => throw BuilderOnlyException.For(nameof(Sqrt));

    /// <summary>x² element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Square(Tensor x) => throw BuilderOnlyException.For(nameof(Square));

    /// <summary>The hyperbolic tangent element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Tanh(Tensor x) => throw BuilderOnlyException.For(nameof(Tanh));

    /// <summary>The logistic sigmoid element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Sigmoid(Tensor x) => throw BuilderOnlyException.For(nameof(Sigmoid));

    /// <summary>max(x, 0) element-wise.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Relu(Tensor x) => throw BuilderOnlyException.For(nameof(Relu));

    /// <summary>The element-wise maximum, with broadcasting.</summary>
    /// <param name="a">The first tensor.</param>
    /// <param name="b">The second tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Maximum(Tensor a, Tensor b) => throw BuilderOnlyException.For(nameof(Maximum));

    /// <summary>The element-wise minimum, with broadcasting.</summary>
    /// <param name="a">The first tensor.</param>
    /// <param name="b">The second tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor Minimum(Tensor a, Tensor b) => throw BuilderOnlyException.For(nameof(Minimum));

    /// <summary>The sum over an axis, as Keras's <c>K.sum(x, axis, keepdims)</c>.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis, counted as Keras does (the batch axis is 0; -1 is the last).</param>
    /// <param name="keepDims">Keep the reduced axis with length 1.</param>
    /// <returns>The sums.</returns>
    public static Tensor Sum(Tensor x, int axis = -1, bool keepDims = false) => throw BuilderOnlyException.For(nameof(Sum));

    /// <summary>
    /// The matrix product of the last two axes, as Keras's <c>ops.matmul(a, b)</c>: (…, m, k) by (…, k, n) gives
    /// (…, m, n), batched over the axes before the last two, which must be the same in both (they are not broadcast).
    /// With <see cref="Transpose"/> and <see cref="Softmax"/>, multi-head attention can be written by hand.
    /// </summary>
    /// <param name="a">The left tensor.</param>
    /// <param name="b">The right tensor.</param>
    /// <returns>The products.</returns>
    public static Tensor MatMul(Tensor a, Tensor b) => throw BuilderOnlyException.For(nameof(MatMul));

    /// <summary>
    /// Reorders the axes, as Keras's <c>ops.transpose(x, axes)</c>, counting the batch axis as 0: it must stay first
    /// (<c>Ops.Transpose(x, [0, 2, 1, 3])</c> turns (T, heads, d) into (heads, T, d)). The same as the
    /// <see cref="Layers.Permute"/> layer with the batch axis left out.
    /// </summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">Every axis of <paramref name="x"/>, the batch axis 0 first, in the new order.</param>
    /// <returns>The tensor with its axes reordered.</returns>
    public static Tensor Transpose(Tensor x, int[] axes) => throw BuilderOnlyException.For(nameof(Transpose));

    /// <summary>The softmax along an axis, as Keras's <c>ops.softmax(x, axis)</c>: exp(x − max) / Σ exp(x − max) over
    /// each line of that axis. Differentiated at compile time like the other operations.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis, counted as Keras does (the batch axis is 0; -1 is the last).</param>
    /// <returns>The normalised tensor, of <paramref name="x"/>'s shape.</returns>
    public static Tensor Softmax(Tensor x, int axis = -1) => throw BuilderOnlyException.For(nameof(Softmax));

    /// <summary>The mean over an axis, as Keras's <c>K.mean(x, axis, keepdims)</c>.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis, counted as Keras does (the batch axis is 0; -1 is the last).</param>
    /// <param name="keepDims">Keep the reduced axis with length 1.</param>
    /// <returns>The means.</returns>
    public static Tensor Mean(Tensor x, int axis = -1, bool keepDims = false) => throw BuilderOnlyException.For(nameof(Mean));
}

/// <summary>The settings of an element-wise operation inside a Lambda (<see cref="GraphNodeKind.UnaryOp"/>,
/// <see cref="GraphNodeKind.BinaryOp"/>).</summary>
/// <param name="Function">Keras's name of the TensorFlow function: <c>math.exp</c>, <c>math.subtract</c>,
/// <c>__operators__.add</c>.</param>
public sealed record OperationSettings(string Function) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind is GraphNodeKind.UnaryOp or GraphNodeKind.BinaryOp or GraphNodeKind.MatMul;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => node.Kind switch
    {
        GraphNodeKind.UnaryOp => onnx.Unary(node, this, x),
        GraphNodeKind.MatMul => MatMul(onnx, node, x),
        _ => onnx.Binary(node, this, x),
    };

    /// <summary>ONNX's MatMul, batched and broadcast over the leading axes as Keras's; an input with fewer axes gets
    /// axes of 1 after the batch axis first, since ONNX aligns axes from the right and would pair the batch axis with
    /// another.</summary>
    private static string MatMul(OnnxExporter onnx, GraphNode node, string[] x)
    {
        int ra = node.InputShapes[0].Count, rb = node.InputShapes[1].Count;
        string Expand(string input, int missing, string step)
            => missing <= 0 ? input : onnx.Op("Unsqueeze", new[] { input, onnx.Int64s(System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(System.Linq.Enumerable.Range(1, missing), i => (long)i))) }, step);
        return onnx.Op("MatMul", new[] { Expand(x[0], rb - ra, "a_expanded"), Expand(x[1], ra - rb, "b_expanded") }, null);
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("function", Function);
    }
}

/// <summary>The settings of an activation called inside a Lambda (<see cref="GraphNodeKind.ActivationOp"/>).</summary>
/// <param name="Function">Keras's name of the TensorFlow function: <c>nn.relu</c>, <c>math.tanh</c>.</param>
/// <param name="Activation">Keras's name of the activation: <c>relu</c>, <c>tanh</c>.</param>
public sealed record ActivationOpSettings(string Function, string Activation) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.ActivationOp;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Activate(node, x[0], Activation);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("function", Function);
        yield return new("activation", Activation);
    }
}

/// <summary>The settings of <c>x * scale + shift</c> with constants, inside a Lambda (<see cref="GraphNodeKind.Affine"/>).</summary>
/// <param name="Scale">The constant factor.</param>
/// <param name="Shift">The constant added.</param>
public sealed record AffineSettings(double Scale, double Shift) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Affine;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Affine(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("scale", Scale);
        yield return new("shift", Shift);
    }
}

/// <summary>The settings of a sum or mean over one axis, inside a Lambda (<see cref="GraphNodeKind.Reduce"/>).</summary>
/// <param name="Function"><c>math.reduce_sum</c> or <c>math.reduce_mean</c>.</param>
/// <param name="Axis">The reduced axis, counting the batch axis as 0, or from the end (-1 the last).</param>
/// <param name="KeepDims">Whether the reduced axis stays, with size 1.</param>
public sealed record ReduceSettings(string Function, int Axis, bool KeepDims) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Reduce;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.ReduceOp(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("function", Function);
        yield return new("axis", Axis);
        yield return new("keepdims", KeepDims);
    }
}
