using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Layers;

/// <summary>An <c>Input</c>'s settings.</summary>
/// <param name="Shape">The per-sample shape; -1 for an unknown (<c>null</c>) dimension, given at run time.</param>
/// <param name="DType">The element type, as the value of <c>Unrolled.DType</c> (0 float32, 1 int32).</param>
internal sealed record InputConfig(EquatableArray<int> Shape, int DType) : LayerConfig;

/// <summary>
/// <c>Input(shape, dtype)</c>: where the model starts. The evaluator creates it (it is a tensor, not a layer to apply);
/// the generated Predict and TrainOnBatch copy the caller's span into its region, so it has no forward code.
/// </summary>
internal sealed class InputRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.InputLayer };

    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Ends;

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => Enumerable.Empty<(string, LayerKind)>();

    public override (int Min, int Max) Arity(LayerSpec layer) => (0, 0);

    /// <summary>Each unknown (<c>null</c>) dimension becomes a length given at run time.</summary>
    public override TensorShape? Infer(ShapeContext c)
    {
        var config = c.Settings<InputConfig>();
        return new TensorShape(config.Shape.Select((d, axis) => d < 0 ? c.Dims.Length(c.Node, axis) : d).ToEquatableArray(), config.DType);
    }

    public override void Forward(NodeEmitter e)
    {
        // Nothing to compute: Predict and TrainOnBatch copy the input into this node's region.
    }

    public override void Backward(NodeEmitter e)
    {
        // Nothing to propagate: an input has no gradient.
    }

    public override void Describe(LayerSpec layer, KerasConfig config) => Describe(config, layer.Settings<InputConfig>().DType == 1);

    /// <summary>An input's settings; also those of the input a nested model's call or a listed tensor stands for.</summary>
    public static KerasConfig Describe(KerasConfig config, bool int32) => config.Settings("InputSettings").Text("dtype", int32 ? "int32" : "float32");
}
