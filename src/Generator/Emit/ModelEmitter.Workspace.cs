using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Emit;

/// <summary>The workspace and weight expressions the layer rules write their code with (see <see cref="NodeEmitter"/>).</summary>
internal sealed partial class ModelEmitter
{
    /// <summary>Whether some layer keeps state in the weight buffer (BatchNormalization's moving statistics).</summary>
    private bool HasState => _plan.Layers.Any(l => _plan.Model.WeightsOf(l).Any(w => !w.Trainable));

    /// <summary>The forward pass's weights: writable when a layer updates state in them while training.</summary>
    private string WeightsType => HasState ? Span : ReadOnlySpan;

    /// <summary>Whether a layer behaves differently while training (Dropout, BatchNormalization).</summary>
    private bool UsesTrainingFlag => _plan.Model.UsedNodes.Any(n => LayerRules.Of(_spec.Layers[_spec.Nodes[n].Layer].Kind).UsesTrainingFlag(_spec.Layers[_spec.Nodes[n].Layer]));

    internal string Slice(string buffer, int layer, string name)
        => Place(layer, name) is var (offset, size) && offset >= 0
            ? $"{buffer}.Slice({N(offset)}, {N(size)})"
            : $"{(buffer == "weights" ? ReadOnlySpan : Span)}.Empty";

    /// <summary>Where layer <paramref name="layer"/>'s weight <paramref name="name"/> starts in the weight buffer, or -1.</summary>
    internal int WeightOffset(int layer, string name) => Place(layer, name).Offset;

    /// <summary>Layer <paramref name="layer"/>'s weight <paramref name="name"/> in the weight buffer, or offset -1.</summary>
    private (int Offset, int Size) Place(int layer, string name)
    {
        var weights = _plan.Model.WeightsOf(layer);
        for (int w = 0; w < weights.Count; w++)
        {
            if (weights[w].Name == name)
            {
                return (_plan.WeightOffsets[layer][w], weights[w].Size);
            }
        }

        return (-1, 0);
    }

    /// <summary>A node's scratch: what its kernels need per row, times the rows of this call.</summary>
    internal string ScratchFor(int n) => _plan.BoundedScratch.Contains(n)
        ? "workspace.FixedScratch"
        : $"workspace.ScratchSpace(0, batchSize * {D(_plan.NodeScratch[n])})";

    /// <summary>
    /// The kernels' description of a window over a channels-last tensor: from <paramref name="from"/> (the window's
    /// input) to <paramref name="to"/> (its output), with Keras's (TensorFlow's) padding for same.
    /// </summary>
    internal string Geometry(int from, int to, int fromChannels, int toChannels, int kh, int kw, int sh, int sw, int dh, int dw, bool same, bool oneD)
    {
        var a = _plan.Model.ShapeOf(from).Dims;
        var b = _plan.Model.ShapeOf(to).Dims;
        int inH = oneD ? 1 : a[0], inW = a[oneD ? 0 : 1], outH = oneD ? 1 : b[0], outW = b[oneD ? 0 : 1];
        string Pad(int input, int output, int k, int s, int d)
        {
            if (!same)
            {
                return "0";
            }

            if (input >= 0 && output >= 0)
            {
                return N(System.Math.Max((output - 1) * s + (k - 1) * d + 1 - input, 0) / 2);
            }

            return $"global::Unrolled.Kernels.ConvGeometry.PadBefore({D(input)}, {D(output)}, {N(k)}, {N(s)}, {N(d)})";
        }

        return $"new global::Unrolled.Kernels.ConvGeometry({D(inH)}, {D(inW)}, {N(fromChannels)}, {D(outH)}, {D(outW)}, {N(toChannels)}, " +
               $"{N(kh)}, {N(kw)}, {N(sh)}, {N(sw)}, {N(dh)}, {N(dw)}, {(oneD ? "0" : Pad(inH, outH, kh, sh, dh))}, {Pad(inW, outW, kw, sw, dw)})";
    }
}
