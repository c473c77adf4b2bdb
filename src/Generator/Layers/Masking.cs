using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary>A mask step's settings: <c>not_equal</c> (a step is kept when some value of it differs from
/// <paramref name="Value"/>; over the last axis when <paramref name="OverLastAxis"/>), <c>or</c> of its inputs,
/// <c>ones</c> (every step of its input kept: an unmasked input of a concatenation), or <c>concat</c> of its inputs along
/// <paramref name="Axis"/> (of the mask's own axes, batch excluded).</summary>
internal sealed record MaskConfig(string Op, double Value, bool OverLastAxis, int Axis = 0) : LayerConfig;

/// <summary><c>Masking</c>'s settings: Keras's <c>mask_value</c>.</summary>
internal sealed record MaskingConfig(double MaskValue) : LayerConfig;

/// <summary>
/// Keras's masks. A <see cref="LayerKind.Mask"/> node is a step the generator adds: one float per step of a sequence
/// (1 kept, 0 masked), computed from an <c>Embedding(mask_zero=True)</c>'s ids (<c>ids != 0</c>), from a
/// <c>Masking</c> layer's input (some feature differs from the mask value), as the OR of a merge's inputs' masks, or
/// as a concatenation's (an unmasked input's steps all kept).
/// Layers that use masks read them through <see cref="NodeSpec.Masks"/>; masks carry no gradient.
/// <c>Masking(maskValue)</c> zeroes the masked steps (Keras's <c>where(mask, x, 0)</c>) and masks them for what follows.
/// </summary>
internal sealed class MaskingRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.Mask, LayerKind.Masking };

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => new[] { ("Masking", LayerKind.Masking) };

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        var value = args.Number("maskValue");
        if (value is not double v)
        {
            return null;
        }

        if (double.IsNaN(v) || double.IsInfinity(v))
        {
            args.Report(DiagnosticIds.InvalidArgument, args.SpanOf("maskValue"),
                $"Masking's maskValue must be a finite number (a step is masked when every feature equals it), but it is {v}");
            return null;
        }

        return new MaskingConfig(v);
    }

    public override MaskFlow Mask(LayerSpec layer) => layer.Kind == LayerKind.Masking ? MaskFlow.Produces : MaskFlow.Ends;

    /// <summary>Masking reads the mask it makes (its own <see cref="LayerKind.Mask"/> node, computed first).</summary>
    public override bool ConsumesMask(LayerSpec layer) => layer.Kind == LayerKind.Masking;

    public override bool IsKerasLayer(LayerKind kind) => kind == LayerKind.Masking;

    public override TensorShape? Infer(ShapeContext c)
    {
        if (c.Layer.Kind == LayerKind.Masking)
        {
            if (!c.IsFloat())
            {
                return null;
            }

            return c.Input.Dims.Count == 0 ? c.Fail($"its input has shape {c.Input.Keras}, but Masking needs (None, …, features)") : c.Input with { Repeat = 1 };
        }

        var s = c.Settings<MaskConfig>();
        if (s.Op == "or")
        {
            return c.Shape(c.Input.Dims);
        }

        if (s.Op == "concat")
        {
            // The concatenation's own shape rule has checked the inputs; the masks' axis sums.
            int total = 0;
            foreach (var input in c.Inputs)
            {
                total = c.Dims.Add(total, input.Dims[s.Axis]);
            }

            return c.Shape(c.Input.Dims.Select((d, i) => i == s.Axis ? total : d));
        }

        if (s.Op == "ones")
        {
            return c.Shape(c.Input.Dims.Take(c.Input.Dims.Count - 1));
        }

        return s.OverLastAxis ? c.Shape(c.Input.Dims.Take(c.Input.Dims.Count - 1)) : c.Shape(c.Input.Dims);
    }

    public override void Forward(NodeEmitter e)
    {
        if (e.Layer.Kind == LayerKind.Masking)
        {
            e.Line($"{Kernels}Masking.Apply({e.Values(e.Input)}, {e.Mask(0)}, {e.Values(e.Node)}, {e.Rows(e.PositionsOf(e.Input))}, {N(e.ChannelsOf(e.Input))});");
            return;
        }

        var s = e.Settings<MaskConfig>();
        int count = e.Dims.Product(e.ShapeOf(e.Node).Dims);
        if (s.Op == "or")
        {
            e.Line($"{e.Values(e.Inputs[0])}.CopyTo({e.Values(e.Node)});");
            foreach (int other in e.Inputs.Skip(1))
            {
                e.Line($"{Kernels}Masking.Or({e.Values(other)}, {e.Values(e.Node)}, batchSize * {e.D(count)});");
            }

            return;
        }

        if (s.Op == "ones")
        {
            e.Line($"{e.Values(e.Node)}[..(batchSize * {e.D(count)})].Fill(1f);");
            return;
        }

        if (s.Op == "concat")
        {
            // Per row of the axes before the concatenation axis, each input's block side by side.
            var dims = e.ShapeOf(e.Node).Dims;
            string outer = $"batchSize * {e.D(e.Dims.Product(dims.Take(s.Axis)))}";
            int offset = 0;
            foreach (int input in e.Inputs)
            {
                int inner = e.Dims.Product(e.ShapeOf(input).Dims.Skip(s.Axis));
                e.Line($"{Kernels}Masking.ConcatBlock({e.Values(input)}, {e.Values(e.Node)}, {outer}, {e.D(inner)}, {e.D(e.Dims.Product(dims.Skip(s.Axis)))}, {e.D(offset)});");
                offset = e.Dims.Add(offset, inner);
            }

            return;
        }

        int width = s.OverLastAxis ? e.ChannelsOf(e.Input) : 1;
        e.Line($"{Kernels}Masking.NotEqual({e.Values(e.Input)}, {Float(s.Value)}, {e.Values(e.Node)}, batchSize * {e.D(count)}, {N(width)});");
    }

    public override void Backward(NodeEmitter e)
    {
        if (e.Layer.Kind == LayerKind.Masking && e.NeedsGradient(e.Input))
        {
            e.Line($"{Kernels}Masking.ApplyBackward({e.Gradient(e.Node)}, {e.Mask(0)}, {e.Gradient(e.Input)}, {e.Rows(e.PositionsOf(e.Input))}, {N(e.ChannelsOf(e.Input))});");
        }
    }

    public override string KerasClass(LayerKind kind) => kind == LayerKind.Mask ? "Mask" : "Masking";

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        if (layer.Kind == LayerKind.Masking)
        {
            config.Settings("MaskingSettings").Number("mask_value", layer.Settings<MaskingConfig>().MaskValue);
            return;
        }

        var s = layer.Settings<MaskConfig>();
        config.Settings("MaskSettings").Text("op", s.Op).Number("value", s.Value).Bool("over_last_axis", s.OverLastAxis);
        if (s.Op == "concat")
        {
            config.Int("axis", s.Axis);
        }
    }
}
