using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Planning;

/// <summary>
/// Where each node's regions (its value, the pre-activation a Swish or Gelu keeps, its temporaries) lie in a workspace's
/// activation buffer, in floats per sample (dimensions of <see cref="ExecutionPlan.Dims"/>).
/// </summary>
/// <remarks>
/// <para>The inputs, and the nodes whose regions hold an output, come first and in the same order in every layout, so
/// a training and a prediction workspace put the ports at the same offsets and the runtime needs one set of them.</para>
/// <para>Training keeps every region (backward reads what forward wrote). Prediction reuses them: the regions go into
/// slots, a region takes a free slot when its node runs and frees it after the last node that reads it, and a slot is
/// as large as the largest region it ever holds. A node's regions never share a slot with those of its inputs, since
/// they are taken before the inputs' are freed. Sizes that depend on run-time lengths share a slot only with regions
/// they are at least as large as, or no larger than, for every length.</para>
/// </remarks>
internal sealed class RegionLayout
{
    private RegionLayout(int nodes)
    {
        ValueOffset = new int[nodes];
        PreActivationOffset = Enumerable.Repeat(-1, nodes).ToArray();
        TemporaryOffsets = Enumerable.Repeat(System.Array.Empty<int>(), nodes).ToArray();
    }

    /// <summary>Per node: offset of its output, in floats per sample (a dimension).</summary>
    public int[] ValueOffset { get; }

    /// <summary>Per node: offset of its pre-activation (Swish, Gelu), or -1.</summary>
    public int[] PreActivationOffset { get; }

    /// <summary>Per node: offsets of its temporaries.</summary>
    public int[][] TemporaryOffsets { get; }

    /// <summary>Floats per sample of the activation buffer (a dimension).</summary>
    public int ActivationSize { get; private set; }

    /// <summary>
    /// For a reusing layout, per node: the regions (offset, size) whose gradient the backward pass must zero just before
    /// that node's backward step, because from there back to their own node they hold a gradient, and before it another
    /// region's gradient may have used the floats. A region's gradient lives over the same steps as its value (from its
    /// last reader back to its node), so the reusing layout serves the gradient buffer of a training workspace too.
    /// </summary>
    public List<(int Offset, int Size)>[] GradientClears { get; private set; } = System.Array.Empty<List<(int, int)>>();

    /// <summary>
    /// For a reusing layout: the pinned regions (those of nodes holding an output) whose gradient the backward pass
    /// must zero before it starts, all but the output ports themselves, which the loss writes (or the runtime zeroes
    /// for an output without a loss) before the backward pass runs.
    /// </summary>
    public List<(int Offset, int Size)> GradientClearsAtStart { get; } = new();

    /// <summary>Whether two layouts put every region at the same offset.</summary>
    public bool SameAs(RegionLayout other)
        => ActivationSize == other.ActivationSize && ValueOffset.SequenceEqual(other.ValueOffset)
           && PreActivationOffset.SequenceEqual(other.PreActivationOffset)
           && TemporaryOffsets.Zip(other.TemporaryOffsets, (a, b) => a.SequenceEqual(b)).All(x => x);

    /// <summary>Lays out <paramref name="regionSizes"/> (per node: its value, the pre-activation where
    /// <paramref name="hasPreActivation"/> says so, then its temporaries; null for a view), reusing regions by liveness
    /// when <paramref name="reuse"/> is set.</summary>
    public static RegionLayout Create(ExecutionPlan plan, int[]?[] regionSizes, bool[] hasPreActivation, bool reuse)
    {
        var model = plan.Model;
        var spec = model.Spec;
        var dims = plan.Dims;
        var layout = new RegionLayout(spec.Nodes.Count);
        var order = model.UsedNodes.ToList();
        var step = new Dictionary<int, int>();
        for (int s = 0; s < order.Count; s++)
        {
            step[order[s]] = s;
        }

        // A view reads its base's value, or for a returned state (Select) the recurrent node's temporaries.
        (int Node, bool Temporaries) Resolve(int n)
        {
            bool temporaries = false;
            while (plan.Aliased[n])
            {
                var layer = spec.Layers[spec.Nodes[n].Layer];
                temporaries |= Layers.LayerRules.Of(layer.Kind).AliasedTemporary(layer) is not null;
                n = spec.Nodes[n].Inputs[0];
            }

            return (n, temporaries);
        }

        // Pinned: inputs and whatever holds an output, in node order.
        var pinned = new HashSet<int>(spec.Inputs);
        foreach (int output in spec.Outputs)
        {
            pinned.Add(Resolve(output).Node);
        }

        foreach (int mask in spec.OutputMasks.Where(m => m >= 0))
        {
            pinned.Add(mask); // the loss and the metrics weigh the output's steps by it, after the forward pass
        }

        // The last step that reads each node's value and its temporaries.
        var valueEnd = new Dictionary<int, int>();
        var temporaryEnd = new Dictionary<int, int>();
        foreach (int n in order)
        {
            foreach (int input in spec.Nodes[n].Reads)
            {
                var (source, temporaries) = Resolve(input);
                var ends = temporaries ? temporaryEnd : valueEnd;
                ends[source] = System.Math.Max(ends.TryGetValue(source, out int end) ? end : 0, step[n]);
            }
        }

        // Regions laid end to end from offset (the pinned ones, and every one when not reusing).
        int offset = 0;
        void Append(int n, int[] sizes) => Place(layout, n, sizes, hasPreActivation[n], r =>
        {
            int at = offset;
            offset = dims.Add(offset, sizes[r]);
            return at;
        });

        // The pinned regions a port reads first (values, pre-activations, and temporaries an output views: a returned
        // state, returned attention scores), then the other pinned temporaries: a port then lies at the same offset in
        // every layout, as the runtime's single set of port offsets needs, even where a layout gives a temporary less
        // room (a prediction's, see LayerRule.PredictionTemporaries; a port's own regions never shrink).
        var portTemporaries = new HashSet<(int Node, int Temporary)>();
        foreach (int output in spec.Outputs)
        {
            for (int n = output; plan.Aliased[n]; n = spec.Nodes[n].Inputs[0])
            {
                var layer = spec.Layers[spec.Nodes[n].Layer];
                if (Layers.LayerRules.Of(layer.Kind).AliasedTemporary(layer) is int temporary)
                {
                    portTemporaries.Add((spec.Nodes[n].Inputs[0], temporary));
                }
            }
        }

        var pinnedOffsets = new Dictionary<(int Node, int Region), int>();
        foreach (bool ports in new[] { true, false })
        {
            foreach (int n in order.Where(pinned.Contains))
            {
                if (regionSizes[n] is not { } sizes)
                {
                    continue;
                }

                int first = hasPreActivation[n] ? 2 : 1;
                for (int r = 0; r < sizes.Length; r++)
                {
                    if ((r < first || portTemporaries.Contains((n, r - first))) == ports)
                    {
                        pinnedOffsets[(n, r)] = offset;
                        offset = dims.Add(offset, sizes[r]);
                    }
                }
            }
        }

        foreach (int n in order.Where(pinned.Contains))
        {
            if (regionSizes[n] is { } sizes)
            {
                Place(layout, n, sizes, hasPreActivation[n], r => pinnedOffsets[(n, r)]);
            }
        }

        var slots = new List<Slot>();
        var releases = new List<(int Step, Slot Slot)>();
        var regionSlots = new Dictionary<(int Node, int Region), Slot>();
        foreach (int n in order)
        {
            if (pinned.Contains(n) || regionSizes[n] is not { } sizes)
            {
                continue;
            }

            if (!reuse)
            {
                Append(n, sizes);
                continue;
            }

            int s = step[n];
            // Regions whose last reader ran before this node are free again; this node's own are taken next, while
            // its inputs' are still held.
            foreach (var release in releases.Where(x => x.Step < s).ToList())
            {
                release.Slot.Free = true;
                releases.Remove(release);
            }

            int temporariesFrom = hasPreActivation[n] ? 2 : 1;
            for (int r = 0; r < sizes.Length; r++)
            {
                var slot = Take(slots, sizes[r], dims);
                regionSlots[(n, r)] = slot;
                int end = r == 0 ? (valueEnd.TryGetValue(n, out int v) ? v : s)
                    : r < temporariesFrom ? s
                    : (temporaryEnd.TryGetValue(n, out int t) ? t : s);
                releases.Add((System.Math.Max(end, s), slot));
            }
        }

        if (reuse)
        {
            // The slots follow the pinned regions, each as large as the largest region it held.
            var slotOffset = new Dictionary<Slot, int>();
            foreach (var slot in slots)
            {
                slotOffset[slot] = offset;
                offset = dims.Add(offset, slot.Size);
            }

            layout.GradientClears = spec.Nodes.Select(_ => new List<(int, int)>()).ToArray();
            foreach (var group in regionSlots.GroupBy(x => x.Key.Node))
            {
                int n = group.Key;
                var sizes = regionSizes[n]!;
                Place(layout, n, sizes, hasPreActivation[n], r => slotOffset[regionSlots[(n, r)]]);
                if (!plan.NeedsGradient[n])
                {
                    continue;
                }

                // The value's gradient starts at its last reader (or at the node itself when nothing reads it), the
                // temporaries' (gradients of normalised inputs, returned states) likewise; a pre-activation has none.
                int s = step[n];
                int valueStart = System.Math.Max(s, valueEnd.TryGetValue(n, out int v) ? v : s);
                layout.GradientClears[order[valueStart]].Add((layout.ValueOffset[n], sizes[0]));
                int first = hasPreActivation[n] ? 2 : 1;
                int temporaryStart = System.Math.Max(s, temporaryEnd.TryGetValue(n, out int t) ? t : s);
                var layer = spec.Layers[spec.Nodes[n].Layer];
                for (int r = first; r < sizes.Length; r++)
                {
                    if (Layers.LayerRules.Of(layer.Kind).TemporaryHasGradient(layer, r - first))
                    {
                        layout.GradientClears[order[temporaryStart]].Add((layout.TemporaryOffsets[n][r - first], sizes[r]));
                    }
                }
            }
        }

        // Views last: a view's value is its base's region, or the recurrent node's returned-state temporary.
        foreach (int n in order.Where(n => plan.Aliased[n]))
        {
            var node = spec.Nodes[n];
            var layer = spec.Layers[node.Layer];
            layout.ValueOffset[n] = Layers.LayerRules.Of(layer.Kind).AliasedTemporary(layer) is int temporary
                ? layout.TemporaryOffsets[node.Inputs[0]][temporary]
                : layout.ValueOffset[node.Inputs[0]];
        }

        if (reuse)
        {
            var ports = new HashSet<int>(spec.Outputs.Select(o => layout.ValueOffset[o]));
            foreach (int n in order.Where(n => pinned.Contains(n) && plan.NeedsGradient[n] && regionSizes[n] is not null))
            {
                var sizes = regionSizes[n]!;
                int first = hasPreActivation[n] ? 2 : 1;
                var layer = spec.Layers[spec.Nodes[n].Layer];
                var rule = Layers.LayerRules.Of(layer.Kind);
                var regions = new[] { (layout.ValueOffset[n], sizes[0]) }
                    .Concat(layout.TemporaryOffsets[n].Select((at, t) => (at, sizes[first + t])).Where((_, t) => rule.TemporaryHasGradient(layer, t)));
                layout.GradientClearsAtStart.AddRange(regions.Where(r => !ports.Contains(r.Item1)));
            }
        }

        layout.ActivationSize = offset;
        return layout;
    }

    /// <summary>Sets a node's offsets, asking <paramref name="offsetOf"/> for each region in order.</summary>
    private static void Place(RegionLayout layout, int n, int[] sizes, bool hasPreActivation, System.Func<int, int> offsetOf)
    {
        layout.ValueOffset[n] = offsetOf(0);
        int first = 1;
        if (hasPreActivation)
        {
            layout.PreActivationOffset[n] = offsetOf(1);
            first = 2;
        }

        var temporaries = new int[sizes.Length - first];
        for (int t = 0; t < temporaries.Length; t++)
        {
            temporaries[t] = offsetOf(t + first);
        }

        layout.TemporaryOffsets[n] = temporaries;
    }

    /// <summary>
    /// A free slot for <paramref name="size"/> floats: one at least that large (the same size first, else the smallest
    /// constant one), else the largest free one that <paramref name="size"/> is at least as large as, grown to it, else a
    /// new one. For sizes given at run time "at least" must hold for every length (<see cref="Shapes.DimTable.AtLeast"/>),
    /// so a slot's size is always one of its regions' sizes.
    /// </summary>
    private static Slot Take(List<Slot> slots, int size, Shapes.DimTable dims)
    {
        var free = slots.Where(x => x.Free).ToList();
        var fits = free.Where(x => dims.AtLeast(x.Size, size)).ToList();
        var chosen = fits.FirstOrDefault(x => x.Size == size)
                     ?? fits.Where(x => x.Size >= 0).OrderBy(x => x.Size).FirstOrDefault()
                     ?? fits.FirstOrDefault();
        if (chosen is null)
        {
            var smaller = free.Where(x => dims.AtLeast(size, x.Size)).ToList();
            chosen = smaller.Where(x => x.Size >= 0).OrderByDescending(x => x.Size).FirstOrDefault() ?? smaller.FirstOrDefault();
            if (chosen is not null)
            {
                chosen.Size = size;
            }
        }

        if (chosen is null)
        {
            chosen = new Slot { Size = size };
            slots.Add(chosen);
        }

        chosen.Free = false;
        return chosen;
    }

    private sealed class Slot
    {
        public int Size { get; set; }

        public bool Free { get; set; }
    }
}
