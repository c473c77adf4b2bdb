using System.Collections.Generic;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary><c>Dropout</c>'s settings: the fraction of inputs zeroed while training.</summary>
internal sealed record DropoutConfig(double Rate) : LayerConfig;

/// <summary><c>Dropout(rate)</c>: zeroes inputs at random while training, scaling the rest by 1 / (1 − rate); the
/// identity in prediction. The mask is kept for backward.</summary>
internal sealed class RegularizationRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Dropout };

    public override MaskFlow Mask(LayerSpec layer) => MaskFlow.Keeps;

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        var rate = args.Known("rate");
        if (rate is null)
        {
            return null;
        }

        // The rate is applied in single precision: it must stay below 1 there too.
        if (rate.Kind != ValueKind.Number || !(rate.Number >= 0 && (float)rate.Number < 1f))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("rate"), $"Dropout's rate must lie in [0, 1), but it is {rate}");
            return null;
        }

        return new DropoutConfig(rate.Number);
    }

    public override TensorShape? Infer(ShapeContext c) => c.IsFloat() ? c.Input with { Repeat = 1 } : null;

    public override bool UsesTrainingFlag(LayerSpec layer) => true;

    public override int[] Temporaries(PlanContext c) => new[] { c.OutputSize };

    public override void Forward(NodeEmitter e)
    {
        string x = e.Values(e.Input);
        e.Open("if (workspace.TrainingPass)");
        e.Line($"{Kernels}Dropout.Forward({x}, {e.Values(e.Node)}, {e.Temporary(0, e.SizeOf(e.Node))}, {Float(e.Settings<DropoutConfig>().Rate)}, workspace.NextRandomSeed());");
        e.Close();
        e.Open("else");
        e.Line($"{x}.CopyTo({e.Values(e.Node)});");
        e.Close();
    }

    public override void Backward(NodeEmitter e)
    {
        e.Line($"var dy = {e.Gradient(e.Node)};");
        e.Line($"{Kernels}Dropout.Backward(dy, {e.Temporary(0, e.SizeOf(e.Node))}, {e.Gradient(e.Input)});");
    }

    public override void Describe(LayerSpec layer, KerasConfig config) => config.Settings("DropoutSettings").Number("rate", layer.Settings<DropoutConfig>().Rate);
}
