using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// Which layers train, as the generated passes and the optimizer read it: one flag per layer that has weights (its
/// <em>slot</em>, in the order of <see cref="ModelDescription.Weights"/>, where each layer's weights are contiguous),
/// which nodes' gradients the backward pass must compute with those flags, and the runs of the weight buffer the
/// optimizer updates. Owned by one model and shared by reference with its workspaces, so a change is seen by the next step.
/// </summary>
internal sealed class TrainableState
{
    private readonly ModelDescription _description;
    private readonly Func<bool[], bool[]?> _gradientNeeds;

    public TrainableState(ModelDescription description, Func<bool[], bool[]?> gradientNeeds)
    {
        _description = description;
        _gradientNeeds = gradientNeeds;
        var weights = description.Weights;
        SlotOfWeight = new int[weights.Count];
        var names = new List<string>();
        for (int w = 0; w < weights.Count; w++)
        {
            if (w == 0 || weights[w].Layer != weights[w - 1].Layer)
            {
                names.Add(weights[w].Layer);
            }

            SlotOfWeight[w] = names.Count - 1;
        }

        SlotNames = names.ToArray();
        Slots = new bool[names.Count];
        Array.Fill(Slots, true);
        Refresh();
    }

    /// <summary>Per slot: whether the layer trains.</summary>
    public bool[] Slots { get; }

    /// <summary>Per slot: the layer's name.</summary>
    public string[] SlotNames { get; }

    /// <summary>Per weight of <see cref="ModelDescription.Weights"/>: its layer's slot.</summary>
    public int[] SlotOfWeight { get; }

    /// <summary>Per node of the generated graph: whether backward computes its gradient; empty when the model did not
    /// say (every node's then).</summary>
    public bool[] Needs { get; private set; } = [];

    /// <summary>The runs of the weight buffer the optimizer updates: the trainable weights of training layers, adjacent
    /// ones merged.</summary>
    public (int Offset, int Size)[] Ranges { get; private set; } = [];

    /// <summary>Weights the optimizer updates (Keras's <c>trainable_weights</c>' size).</summary>
    public int TrainableCount { get; private set; }

    /// <summary>Whether weight <paramref name="index"/> of <see cref="ModelDescription.Weights"/> is trained now.</summary>
    public bool Trains(int index) => _description.Weights[index].Trainable && Slots[SlotOfWeight[index]];

    /// <summary>Recomputes what follows from <see cref="Slots"/>; call after changing them.</summary>
    public void Refresh()
    {
        var ranges = new List<(int Offset, int Size)>();
        int count = 0;
        var weights = _description.Weights;
        for (int w = 0; w < weights.Count; w++)
        {
            if (!Trains(w))
            {
                continue;
            }

            var weight = weights[w];
            count += weight.Size;
            if (ranges.Count > 0 && ranges[^1].Offset + ranges[^1].Size == weight.Offset)
            {
                ranges[^1] = (ranges[^1].Offset, ranges[^1].Size + weight.Size);
            }
            else if (weight.Size > 0)
            {
                ranges.Add((weight.Offset, weight.Size));
            }
        }

        Ranges = ranges.ToArray();
        TrainableCount = count;
        Needs = _gradientNeeds((bool[])Slots.Clone()) ?? [];
    }
}
