using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Layers;

/// <summary>The number of time steps <c>Fold</c> and <c>Unfold</c> move between the sample and the rows (a dimension:
/// negative for a length given at run time).</summary>
internal sealed record StepsConfig(int Steps) : LayerConfig;

/// <summary>
/// The two views <c>TimeDistributed</c> is built from: <c>Fold</c> turns each sample's <c>steps</c> rows into rows of their
/// own, so the wrapped layer runs once over all of them; <c>Unfold</c> turns them back. Both alias their input's memory,
/// so they have no code.
/// </summary>
internal sealed class TimeStepRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Fold, LayerKind.Unfold };

    /// <summary>TimeDistributed's folding: the wrapper passes the mask on itself; its inner layer sees single steps.</summary>
    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Ends;

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => Enumerable.Empty<(string, LayerKind)>();

    public override bool ChangesRows => true;

    public override TensorShape? Infer(ShapeContext c)
    {
        int steps = c.Settings<StepsConfig>().Steps;
        var input = c.Input;
        if (c.Layer.Kind == LayerKind.Fold)
        {
            if (input.Dims.Count < 2)
            {
                c.ReportRaw(DiagnosticIds.ShapeMismatch, c.NodeSpec.InputSpans[0], "TimeDistributed",
                    $"its input has shape {input.Keras}, but TimeDistributed needs a time axis and at least one more: (None, steps, …)");
                return null;
            }

            return new TensorShape(input.Dims.Skip(1).ToEquatableArray(), input.DType, c.Dims.Mul(input.Repeat, steps));
        }

        int? unfolded = c.Dims.DivideExact(input.Repeat, steps);
        if (unfolded is null)
        {
            c.ReportRaw(DiagnosticIds.ShapeMismatch, c.NodeSpec.Span, "TimeDistributed",
                "the layer inside TimeDistributed must compute its result from each time step it is given");
            return null;
        }

        return new TensorShape(new[] { steps }.Concat(input.Dims).ToEquatableArray(), input.DType, unfolded.Value);
    }

    public override bool IsView(LayerSpec layer) => true;

    public override void Forward(NodeEmitter e) => throw new System.InvalidOperationException($"{e.Layer.Kind} is a view and has no code");

    public override void Backward(NodeEmitter e) => throw new System.InvalidOperationException($"{e.Layer.Kind} is a view and has no code");

    public override bool IsKerasLayer(LayerKind kind) => false;

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        int steps = layer.Settings<StepsConfig>().Steps;
        config.Settings("StepsSettings").Int("steps", steps >= 0 ? steps : -1);
    }
}
