using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Keras's masks (<c>compute_mask</c>), followed while the builder is evaluated: <c>Embedding(maskZero: true)</c> and
/// <c>Masking</c> attach a mask to their output (a <see cref="LayerKind.Mask"/> node); each layer's rule says whether
/// its output keeps the mask, merges its inputs' masks, ends it, or does not support masking (UNR0019, as Keras warns);
/// the layers that use a mask list their inputs' masks in <see cref="NodeSpec.Masks"/>.
/// </summary>
internal sealed partial class BuilderEvaluator
{
    /// <summary>Where each mask was made, for messages: the layer whose output it is attached to first.</summary>
    private readonly Dictionary<int, string> _maskSource = new();

    /// <summary>Adds a layer's node with its masks: the masks it reads, and the mask its output carries.</summary>
    private int AddLayerNode(int layer, List<int> inputs, SourceSpan callSpan, List<SourceSpan> spans, LayerConfig? call,
        int application = -1, int? group = null, bool warn = true)
    {
        var spec = Graph.Layers[layer];
        var rule = LayerRules.TryOf(spec.Kind);
        if (rule is null)
        {
            return Graph.AddNode(layer, inputs, callSpan, spans, application, group, call);
        }

        List<int>? masks = null;
        int made = -1;
        if (spec.Kind == LayerKind.Masking)
        {
            // Masking reads the mask it makes (its input's steps that are not all mask_value), computed first.
            made = AddMask(new MaskConfig("not_equal", spec.Settings<MaskingConfig>().MaskValue, OverLastAxis: true), new List<int> { inputs[0] },
                callSpan, application, group, spec.Name);
            masks = new List<int> { made };
        }
        else if (rule.ConsumesMask(spec))
        {
            var found = inputs.Take(rule.MaskedInputs(spec)).Select(Graph.MaskOfNode).ToList();
            if (found.Any(m => m >= 0))
            {
                masks = found;
            }
        }

        int node = Graph.AddNode(layer, inputs, callSpan, spans, application, group, call, masks);
        var inputMasks = inputs.Select(Graph.MaskOfNode).ToList();
        switch (rule.Mask(spec))
        {
            case MaskFlow.Keeps when inputMasks.Count > 0 && inputMasks[0] >= 0:
                Graph.MaskOf[node] = inputMasks[0];
                break;
            case MaskFlow.Concatenates when inputMasks.Any(m => m >= 0) && StepsAxis(spec, inputs[0]) is null:
                break; // the inputs' shapes are not known (an error is reported): no mask rather than a wrong one
            case MaskFlow.Concatenates when inputMasks.Any(m => m >= 0) && StepsAxis(spec, inputs[0]) is { Steps: true } place:
                int axis = place.Axis;
                // Keras's Concatenate along the steps: the masks side by side, an unmasked input's steps all kept.
                var pieces = inputs.Select((input, i) => inputMasks[i] >= 0 ? inputMasks[i]
                    : AddMask(new MaskConfig("ones", 0, OverLastAxis: true), new List<int> { input }, callSpan, application, group, spec.Name)).ToList();
                Graph.MaskOf[node] = AddMask(new MaskConfig("concat", 0, OverLastAxis: false, Axis: axis), pieces, callSpan, application, group,
                    _maskSource[inputMasks.First(m => m >= 0)]);
                break;
            case MaskFlow.Merges or MaskFlow.Concatenates when inputMasks.Count > 0 && inputMasks.All(m => m >= 0):
                var distinct = inputMasks.Distinct().ToList();
                Graph.MaskOf[node] = distinct.Count == 1 ? distinct[0]
                    : AddMask(new MaskConfig("or", 0, OverLastAxis: false), distinct, callSpan, application, group, _maskSource[distinct[0]]);
                break;
            case MaskFlow.Produces:
                Graph.MaskOf[node] = made >= 0 ? made
                    : AddMask(new MaskConfig("not_equal", 0, OverLastAxis: false), new List<int> { inputs[0] }, callSpan, application, group, spec.Name);
                break;
            case MaskFlow.Unsupported when warn:
                WarnMaskDropped(spec, inputs, spans);
                break;
        }

        return node;
    }

    /// <summary>Where a Concatenate joins its inputs: along another axis than the features (<c>Steps</c>, with that axis
    /// among the input's axes, batch excluded, which is also the masks' axis) or along the features; null when the input's
    /// shape is not known.</summary>
    private (bool Steps, int Axis)? StepsAxis(LayerSpec concatenate, int input)
    {
        if (Graph.ShapeOf(input) is not { } shape || concatenate.Config is not ConcatenateConfig config)
        {
            return null;
        }

        int rank = shape.Dims.Count + 1, axis = config.Axis < 0 ? config.Axis + rank : config.Axis;
        return axis >= 1 && axis < rank - 1 ? (true, axis - 1) : (false, -1);
    }

    /// <summary>Reports UNR0019 at the first masked input of a layer that does not support masking.</summary>
    private void WarnMaskDropped(LayerSpec spec, List<int> inputs, List<SourceSpan> spans)
    {
        int masked = inputs.FindIndex(i => Graph.MaskOfNode(i) >= 0);
        if (masked >= 0)
        {
            Report(DiagnosticIds.MaskDropped, masked < spans.Count ? spans[masked] : spans.FirstOrDefault(),
                $"{spec.Kind} '{spec.Name}'", $"that '{_maskSource[Graph.MaskOfNode(inputs[masked])]}'");
        }
    }

    /// <summary>A Lambda does not support masking (Keras's Lambda without <c>mask</c>): a mask on its inputs stops
    /// there, and its outputs carry none, whatever the layers inside it did.</summary>
    private Value WithoutMasks(Value result, LayerSpec lambda, Value inputs, SourceSpan inputsSpan, int firstNewNode)
    {
        var tensors = inputs.Kind == ValueKind.List ? inputs.Items! : new List<Value> { inputs.WithOrigin(inputsSpan) };
        var ids = tensors.Where(t => t.Kind == ValueKind.Tensor).Select(t => t.Id).ToList();
        WarnMaskDropped(lambda, ids, tensors.Where(t => t.Kind == ValueKind.Tensor).Select(t => t.Origin ?? inputsSpan).ToList());
        foreach (var output in result.Kind == ValueKind.List ? result.Items! : new List<Value> { result })
        {
            if (output.Kind == ValueKind.Tensor && output.Id >= firstNewNode)
            {
                Graph.MaskOf.Remove(output.Id);
            }
        }

        return result;
    }

    private int AddMask(MaskConfig config, List<int> inputs, SourceSpan span, int application, int? group, string source)
    {
        int layer = Graph.AddLayer(LayerKind.Mask, null, span, null, config, prefix: "mask", hidden: true);
        int node = Graph.AddNode(layer, inputs, span, inputs.Select(_ => span).ToList(), application, group);
        _maskSource[node] = source;
        return node;
    }
}
