using System.Collections.Generic;
using System.Linq;
using Unrolled.Onnx;

namespace Unrolled;

public static partial class Layers
{
    /// <summary>
    /// Normalises each sample over the last axis, as Keras's <c>LayerNormalization</c>: y = (x − mean) / sqrt(variance
    /// + epsilon) · gamma + beta, the mean and (biased) variance taken over the normalised axes of each sample, gamma
    /// (ones) and beta (zeros) spanning those axes.
    /// </summary>
    /// <param name="axis">The axis to normalise over: -1 (the last, Keras's default), or a positive axis counting the
    /// batch axis as 0.</param>
    /// <param name="epsilon">Added to the variance (Keras's default 0.001).</param>
    /// <param name="center">Whether there is a beta (offset).</param>
    /// <param name="scale">Whether there is a gamma (scale).</param>
    /// <param name="rmsScaling">Keras's <c>rms_scaling</c> (deprecated in Keras 3.11): divide by sqrt(variance +
    /// epsilon) without subtracting the mean, always with gamma and never with beta. As in Keras, the variance is still
    /// the centred one, so this is not RMS normalisation.</param>
    /// <param name="name">The layer's name (<c>layer_normalization</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer LayerNormalization(int axis = -1, double epsilon = 0.001, bool center = true, bool scale = true, bool rmsScaling = false,
        string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(LayerNormalization));

    /// <summary>
    /// Normalises each sample over several adjacent axes (<c>axis: [-2, -1]</c>), as Keras's <c>LayerNormalization</c>
    /// with a list of axes; gamma and beta have the shape of those axes.
    /// </summary>
    /// <param name="axis">The adjacent axes to normalise over, counting the batch axis as 0 (or from the end, -1 the last).</param>
    /// <param name="epsilon">Added to the variance (Keras's default 0.001).</param>
    /// <param name="center">Whether there is a beta (offset).</param>
    /// <param name="scale">Whether there is a gamma (scale).</param>
    /// <param name="rmsScaling">Keras's <c>rms_scaling</c>; see the overload above.</param>
    /// <param name="name">The layer's name (<c>layer_normalization</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer LayerNormalization(int[] axis, double epsilon = 0.001, bool center = true, bool scale = true, bool rmsScaling = false,
        string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(LayerNormalization));
}

/// <summary>The settings of a <see cref="Layers.LayerNormalization(int, double, bool, bool, bool, string?, bool)"/> layer.</summary>
/// <param name="Axis">The normalised axes, counting the batch axis as 0, or from the end (-1 the last).</param>
/// <param name="Epsilon">Added to the variance.</param>
/// <param name="Center">Whether there is a beta (offset).</param>
/// <param name="Scale">Whether there is a gamma (scale).</param>
/// <param name="RmsScaling">Keras's <c>rms_scaling</c>.</param>
public sealed record LayerNormalizationSettings(IReadOnlyList<int> Axis, double Epsilon, bool Center, bool Scale, bool RmsScaling) : LayerSettings
{
    /// <summary>Settings over one axis, which Keras's <c>get_config()</c> gives as a number, not a list.</summary>
    /// <param name="Axis">The normalised axis, counting the batch axis as 0, or from the end (-1 the last).</param>
    /// <param name="Epsilon">Added to the variance.</param>
    /// <param name="Center">Whether there is a beta (offset).</param>
    /// <param name="Scale">Whether there is a gamma (scale).</param>
    /// <param name="RmsScaling">Keras's <c>rms_scaling</c>.</param>
#pragma warning disable IDE1006, CA1707 // named as the record's properties, so generated code names arguments once for either form
    public LayerNormalizationSettings(int Axis, double Epsilon, bool Center, bool Scale, bool RmsScaling)
#pragma warning restore IDE1006, CA1707
        : this(new[] { Axis }, Epsilon, Center, Scale, RmsScaling)
    {
        AxisIsList = false;
    }

    /// <summary>Whether the axes were given as a list (<c>axis=[1, 2]</c>) rather than one number (<c>axis=-1</c>).</summary>
    public bool AxisIsList { get; init; } = true;

    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.LayerNormalization;

    /// <summary>
    /// ONNX's LayerNormalization (opset 17) when the normalised axes end the shape and the input is centred, which is
    /// Keras's usual layer; otherwise (axes followed by others, or rms_scaling, which ONNX's operator cannot express) the
    /// same formula from ReduceMean, Sub, Mul, Add, Sqrt and Div.
    /// </summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        var input = node.InputShapes[0];
        int rank = input.Count + 1;
        int[] axes = Axis.Select(a => a < 0 ? a + rank : a).OrderBy(a => a).ToArray();
        float epsilon = (float)Epsilon;
        int[] normalised = axes.Select(a => input[a - 1]).ToArray();
        string? Parameter(string weight, long[] shape)
            => OnnxExporter.HasWeight(node, weight) ? onnx.Initializer(OnnxExporter.WeightName(node, weight), shape, () => onnx.Weight(node, weight)) : null;

        if (!RmsScaling && axes[^1] == rank - 1)
        {
            // ONNX requires a scale: ones when Keras has no gamma (scale=False).
            long[] shape = OnnxExporter.Longs(normalised);
            string scale = Parameter("gamma", shape)
                ?? onnx.Initializer(OnnxExporter.WeightName(node, "gamma"), shape, () => Enumerable.Repeat(1f, normalised.Aggregate(1, (a, d) => a * d)).ToArray());
            string? bias = Parameter("beta", shape);
            return onnx.Op("LayerNormalization", bias is null ? new[] { x[0], scale } : new[] { x[0], scale, bias }, null,
                OnnxAttribute.Int("axis", axes[0]), OnnxAttribute.Float("epsilon", epsilon));
        }

        // gamma and beta broadcast against the axes that follow the normalised ones as length 1.
        long[] broadcast = OnnxExporter.Longs(normalised.Concat(Enumerable.Repeat(1, rank - 1 - axes[^1])));
        long[] reduced = OnnxExporter.Longs(axes);
        string mean = onnx.Reduce("ReduceMean", x[0], reduced, true, "mean");
        string centred = onnx.Op("Sub", new[] { x[0], mean }, "centred");
        string variance = onnx.Reduce("ReduceMean", onnx.Op("Mul", new[] { centred, centred }, "squares"), reduced, true, "variance");
        string deviation = onnx.Op("Sqrt", new[] { onnx.Op("Add", new[] { variance, onnx.Scalar(epsilon) }, "variance_epsilon") }, "deviation");
        string y = onnx.Op("Div", new[] { RmsScaling ? x[0] : centred, deviation }, "normalized");
        if (Parameter("gamma", broadcast) is { } gamma)
        {
            y = onnx.Op("Mul", new[] { y, gamma }, "scaled");
        }

        if (Parameter("beta", broadcast) is { } beta)
        {
            y = onnx.Op("Add", new[] { y, beta }, null);
        }

        return y;
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return AxisIsList || Axis.Count != 1 ? new("axis", Axis) : new("axis", Axis[0]);
        yield return new("epsilon", Epsilon);
        yield return new("center", Center);
        yield return new("scale", Scale);
        yield return new("rms_scaling", RmsScaling);
    }
}
