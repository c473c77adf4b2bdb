using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Unrolled;

public abstract partial class CompiledModel
{
    private TrainableState? _trainableState;
    private List<ModelLayer>? _layers;
    private bool _modelTrainable = true;

    /// <summary>The model's layers, as Keras's <c>model.layers</c>: its inputs and layers in order, a nested model as one
    /// entry with its own <see cref="ModelLayer.Layers"/>.</summary>
    public IReadOnlyList<ModelLayer> Layers => LayerTree();

    /// <summary>A layer by name, as Keras's <c>model.get_layer(name)</c> (a layer inside a nested model:
    /// <c>model.GetLayer("base").GetLayer("conv2d")</c>).</summary>
    /// <param name="name">The layer's Keras name.</param>
    /// <returns>The layer, whose <see cref="ModelLayer.Trainable"/> freezes it.</returns>
    /// <exception cref="ArgumentException">The model has no layer of that name at its top level; the message lists those it has.</exception>
    public ModelLayer GetLayer(string name) => ModelLayer.Find(LayerTree(), name, $"'{Description.Name}'");

    /// <summary>
    /// Whether the model trains, as Keras's <c>model.trainable</c>: false freezes every layer (a training step then
    /// changes no weight); true makes every layer trainable again.
    /// </summary>
    /// <exception cref="InvalidOperationException">A call is running on the model.</exception>
    public bool Trainable
    {
        get => _modelTrainable;
        set
        {
            Enter();
            try
            {
                _modelTrainable = value;
                foreach (var layer in LayerTree().SelectMany(l => l.SelfAndDescendants()))
                {
                    layer.OwnTrainable = value;
                }

                RefreshTrainable();
            }
            finally
            {
                Exit();
            }
        }
    }

    /// <summary>The number of weights the optimizer updates now (Keras's <c>trainable_weights</c>, counted).</summary>
    public int TrainableParameterCount => Trainability.TrainableCount;

    /// <summary>
    /// For the generated code: which nodes' gradients the backward pass computes when the layers in
    /// <paramref name="slots"/> train (one flag per layer with weights, in the order of
    /// <see cref="ModelDescription.Weights"/>), indexed by the generated node numbers; null for every node.
    /// </summary>
    /// <param name="slots">Per layer with weights: whether it trains.</param>
    /// <returns>Per node: whether its gradient is needed; or null.</returns>
    protected virtual bool[]? GradientNeeds(bool[] slots) => null;

    /// <summary>The training workspace, for tests that look at the gradients a step computed.</summary>
    internal Workspace? TrainingWorkspace => _trainingWorkspace;

    /// <summary>Which layers train now, as the workspaces and the optimizer read it.</summary>
    internal TrainableState Trainability
    {
        get
        {
            if (_trainableState is null)
            {
                _trainableState = new TrainableState(Description, GradientNeeds);
                LayerTree(); // applies the builder's trainable: false
            }

            return _trainableState;
        }
    }

    /// <summary>Whether the optimizer updates <paramref name="weight"/> now.</summary>
    internal bool IsTrained(WeightInfo weight)
    {
        int index = IndexOfWeight(weight);
        return index >= 0 && Trainability.Trains(index);
    }

    private int IndexOfWeight(WeightInfo weight)
    {
        var weights = Description.Weights;
        for (int w = 0; w < weights.Count; w++)
        {
            if (ReferenceEquals(weights[w], weight))
            {
                return w;
            }
        }

        return -1;
    }

    internal void SetTrainable(ModelLayer layer, bool value)
    {
        Enter();
        try
        {
            foreach (var inner in layer.SelfAndDescendants())
            {
                inner.OwnTrainable = value;
            }

            RefreshTrainable();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Sets each layer slot from the tree's flags: a slot trains when a layer holding it and every model around
    /// that layer train (Keras collects a model's trainable weights through its trainable layers).</summary>
    private void RefreshTrainable()
    {
        var state = Trainability;
        Array.Fill(state.Slots, false);
        var held = new bool[state.Slots.Length];
        foreach (var layer in LayerTree().SelectMany(l => l.SelfAndDescendants()))
        {
            foreach (int slot in layer.OwnSlots)
            {
                held[slot] = true;
                state.Slots[slot] |= _modelTrainable && layer.EffectivelyTrainable;
            }
        }

        for (int slot = 0; slot < held.Length; slot++)
        {
            // A slot no listed layer holds (a weight of a step the generator added) follows the model.
            state.Slots[slot] |= !held[slot] && _modelTrainable;
        }

        state.Refresh();
    }

    private List<ModelLayer> LayerTree()
    {
        if (_layers is not null)
        {
            return _layers;
        }

        var state = Trainability;
        var top = new List<ModelLayer>();
        var graph = Description.Graph;
        var handles = new Dictionary<(ModelLayer? Parent, string Name), ModelLayer>();
        var ofNode = new ModelLayer?[graph.Nodes.Count];
        foreach (var node in graph.Nodes)
        {
            ModelLayer? parent = node.Parent >= 0 ? ofNode[node.Parent] : null;
            ModelLayer? handle = parent;
            if (!node.Name.StartsWith('/'))
            {
                if (!handles.TryGetValue((parent, node.Name), out handle))
                {
                    handle = new ModelLayer(this, node.Name, node.ClassName, node.Kind, parent);
                    handles[(parent, node.Name)] = handle;
                    (parent?.Children ?? top).Add(handle);
                }
            }

            ofNode[node.Id] = handle;
            for (int w = 0; w < node.WeightCount && node.FirstWeight >= 0; w++)
            {
                int index = node.FirstWeight + w;
                if (handle is not null && index < Description.Weights.Count)
                {
                    handle.AddWeight(Description.Weights[index], state.SlotOfWeight[index]);
                }
            }
        }

        if (graph.Nodes.Count == 0)
        {
            // A description without its graph: one entry per layer with weights.
            for (int w = 0; w < Description.Weights.Count; w++)
            {
                var weight = Description.Weights[w];
                if (!handles.TryGetValue((null, weight.Layer), out var handle))
                {
                    handle = new ModelLayer(this, weight.Layer, "Layer", GraphNodeKind.Dense, null);
                    handles[(null, weight.Layer)] = handle;
                    top.Add(handle);
                }

                handle.AddWeight(weight, state.SlotOfWeight[w]);
            }
        }

        _layers = top;

        // The builder's trainable: false (a layer's argument, or Model.Trainable = false on a nested model).
        foreach (string name in Description.FrozenLayers)
        {
            foreach (var layer in top.SelectMany(l => l.SelfAndDescendants()).Where(l => l.Name == name))
            {
                foreach (var inner in layer.SelfAndDescendants())
                {
                    inner.OwnTrainable = false;
                }
            }

            _modelTrainable &= name != Description.Name;
        }

        RefreshTrainable();
        return top;
    }

    /// <summary>The summary with the parameter counts of now: frozen layers count as non-trainable, as in Keras.</summary>
    private string SummaryNow()
    {
        string summary = Description.Summary;
        int trainable = Trainability.TrainableCount;
        int total = Description.ParameterCount;
        return ReplaceLine(ReplaceLine(summary, "Trainable params: ", trainable), "Non-trainable params: ", total - trainable);

        static string ReplaceLine(string text, string prefix, int count)
        {
            int at = text.StartsWith(prefix, StringComparison.Ordinal) ? 0 : text.IndexOf("\n" + prefix, StringComparison.Ordinal);
            if (at < 0)
            {
                return text;
            }

            int start = at == 0 ? 0 : at + 1;
            int end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end;
            return text[..start] + prefix + count.ToString("N0", CultureInfo.InvariantCulture) + text[end..];
        }
    }
}
