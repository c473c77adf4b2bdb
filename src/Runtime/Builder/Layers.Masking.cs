using System.Collections.Generic;
using Unrolled.Onnx;

namespace Unrolled;

public static partial class Layers
{
    /// <summary>
    /// Masks the steps of a sequence whose features all equal <paramref name="maskValue"/>, as Keras's
    /// <c>Masking(mask_value)</c>: those steps are zeroed, and the layers after it skip them as they skip an
    /// <c>Embedding(maskZero: true)</c>'s padding (recurrent layers carry their state over them,
    /// <c>GlobalAveragePooling1D</c> leaves them out, attention ignores them, a loss on a sequence output does not
    /// count them; docs/masking.md).
    /// </summary>
    /// <param name="maskValue">The padding value (0 by default).</param>
    /// <param name="name">The layer's name (<c>masking</c>, … by default).</param>
    /// <returns>A layer to apply to a (None, steps, features) tensor; the output has the input's shape.</returns>
    public static Layer Masking(double maskValue = 0.0, string? name = null) => throw BuilderOnlyException.For(nameof(Masking));
}

/// <summary>The settings of a <see cref="Layers.Masking"/> layer.</summary>
/// <param name="MaskValue">A step whose features all equal it is masked.</param>
public sealed record MaskingSettings(double MaskValue) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Masking;

    /// <summary>x times whether some feature of the step differs from the mask value.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        string differs = onnx.Op("Not", new[] { onnx.Op("Equal", new[] { x[0], onnx.Scalar((float)MaskValue) }, "equal") }, "differs");
        string kept = onnx.Reduce("ReduceMax", onnx.Op("Cast", new[] { differs }, "cast", OnnxAttribute.Int("to", 1)), new long[] { -1 }, keepDims: true, "kept");
        return onnx.Op("Mul", new[] { x[0], kept }, null);
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("mask_value", MaskValue);
    }
}

/// <summary>The settings of a <see cref="GraphNodeKind.Mask"/> node, a step the generator adds for Keras's masks: one
/// value per step, 1 kept and 0 masked.</summary>
/// <param name="Op"><c>not_equal</c>: a step is kept when some value differs from <paramref name="Value"/> (over the
/// last axis when <paramref name="OverLastAxis"/>, else each value on its own, as ids); <c>or</c>: kept when kept in some
/// input.</param>
/// <param name="Value">The padding value <c>not_equal</c> compares with.</param>
/// <param name="OverLastAxis">Whether a step is a row of the last axis (Masking) or one value (ids).</param>
/// <param name="Axis">For <c>concat</c> (a Concatenate along the steps: the inputs' masks side by side, <c>ones</c> for
/// an unmasked input, every step of it kept), the axis among the mask's own, batch excluded.</param>
public sealed record MaskSettings(string Op, double Value, bool OverLastAxis, int Axis = 0) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Mask;

    /// <summary>1 where a step is kept, as floats: <c>Cast(Not(Equal(x, value)))</c> (a <c>ReduceMax</c> over the
    /// features for Masking), the <c>Max</c> of the inputs' masks for <c>or</c>, <c>Expand</c> of 1 to the input's shape
    /// without its last axis for <c>ones</c>, <c>Concat</c> for <c>concat</c>.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Mask(node, this, x);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("op", Op);
        yield return new("value", Value);
        yield return new("over_last_axis", OverLastAxis);
        if (Op == "concat")
        {
            yield return new("axis", Axis);
        }
    }
}
