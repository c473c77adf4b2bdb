using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Unrolled;

/// <summary>
/// A model's graph as the generator built it, available at run time through <see cref="ModelDescription.Graph"/>:
/// every call of every layer, Keras's view of it (names, classes, shapes, edges, nested models as groups) and the
/// flat computation under it (each node's kind, settings, weights and input edges). Immutable.
/// </summary>
/// <remarks>
/// <para><see cref="Nodes"/> are in topological order: a node's inputs and its group come before it. A group
/// (<see cref="GraphNode.IsGroup"/>) computes nothing itself; its children follow it.</para>
/// <para>To walk the computation, visit <see cref="Nodes"/> in order, skip groups, and read each node's
/// <see cref="GraphNode.Inputs"/>; <see cref="Outputs"/> name the nodes whose values the model returns. An
/// <see cref="GraphNodeKind.InputLayer"/> with an input (a nested model's) passes it through.</para>
/// </remarks>
public sealed class ModelGraph
{
    private readonly GraphNode[] _nodes;
    private readonly IReadOnlyList<GraphNode>[] _children;
    private IReadOnlyList<WeightInfo> _weights = Array.Empty<WeightInfo>();
    private bool _bound;

    /// <summary>Creates a graph; called by generated code.</summary>
    /// <param name="inputs">The ids of the model's inputs (top-level <see cref="GraphNodeKind.InputLayer"/> nodes), in
    /// the order the model lists them.</param>
    /// <param name="outputs">The ids of the nodes whose values are the model's outputs, in the order the model lists them.</param>
    /// <param name="nodes">The nodes, in topological order; a node's id is its index.</param>
    /// <exception cref="ArgumentException">An id is out of range, a node reads a later node or a group, or a node's
    /// parent is not an earlier group.</exception>
    public ModelGraph(int[] inputs, int[] outputs, GraphNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(nodes);
        _nodes = (GraphNode[])nodes.Clone();
        var children = new List<GraphNode>?[_nodes.Length];
        for (int id = 0; id < _nodes.Length; id++)
        {
            var node = _nodes[id] ?? throw new ArgumentException($"Node {id} is null.", nameof(nodes));
            if (node.Parent >= id || (node.Parent >= 0 && !_nodes[node.Parent].IsGroup) || node.Parent < -1)
            {
                throw new ArgumentException($"Node {id} ('{node.Name}') has parent {node.Parent}, which is not an earlier group.", nameof(nodes));
            }

            foreach (int input in node.Inputs)
            {
                if (input < 0 || input >= id || _nodes[input].IsGroup)
                {
                    throw new ArgumentException($"Node {id} ('{node.Name}') reads {input}, which is not an earlier node that is not a group.", nameof(nodes));
                }
            }

            if (node.Parent >= 0)
            {
                (children[node.Parent] ??= new List<GraphNode>()).Add(node);
            }

            node.Attach(this, id);
        }

        foreach (var node in _nodes)
        {
            foreach (int output in node.Outputs)
            {
                if (output < 0 || output >= _nodes.Length || _nodes[output].IsGroup)
                {
                    throw new ArgumentException($"Group {node.Id} ('{node.Name}') gives node {output}, which is not a node that is not a group.", nameof(nodes));
                }
            }
        }

        _children = new IReadOnlyList<GraphNode>[_nodes.Length];
        for (int id = 0; id < _nodes.Length; id++)
        {
            _children[id] = children[id]?.AsReadOnly() ?? (IReadOnlyList<GraphNode>)Array.Empty<GraphNode>();
        }

        Inputs = Array.AsReadOnly(Checked(inputs, nameof(inputs)));
        Outputs = Array.AsReadOnly(Checked(outputs, nameof(outputs)));
        Nodes = Array.AsReadOnly(_nodes);
    }

    /// <summary>The model's name (<c>model</c> until the graph is part of a <see cref="ModelDescription"/>).</summary>
    public string Name { get; private set; } = "model";

    /// <summary>Every node, in topological order; <c>Nodes[id].Id == id</c>.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>The ids of the model's inputs, in the order of <see cref="ModelDescription.Inputs"/>.</summary>
    public IReadOnlyList<int> Inputs { get; }

    /// <summary>The ids of the nodes whose values the model returns, in the order of <see cref="ModelDescription.Outputs"/>.</summary>
    public IReadOnlyList<int> Outputs { get; }

    /// <summary>The node with id <paramref name="id"/>.</summary>
    /// <param name="id">A node id.</param>
    public GraphNode this[int id] => _nodes[id];

    /// <summary>The nodes at the model's top level (no group), in order.</summary>
    public IEnumerable<GraphNode> TopLevel
    {
        get
        {
            foreach (var node in _nodes)
            {
                if (node.Parent < 0)
                {
                    yield return node;
                }
            }
        }
    }

    /// <summary>
    /// The graph as Keras's <c>plot_model(show_shapes=showShapes, show_layer_names=True, expand_nested=expandNested)</c>
    /// draws it: one box per layer with its name, class and shapes (a shared layer's calls are one box), an edge per
    /// connection, nested models as clusters (or one box each), a <c>Lambda</c> or <c>TimeDistributed</c> layer as one
    /// box (a wrapped model beside its box, as a cluster).
    /// </summary>
    /// <param name="format">DOT for Graphviz, or a Mermaid flowchart.</param>
    /// <param name="showShapes">Whether the boxes show the input and output shapes.</param>
    /// <param name="expandNested">Whether nested models are drawn as clusters of their layers rather than one box each.</param>
    /// <returns>The text.</returns>
    public string ToText(GraphFormat format = GraphFormat.Dot, bool showShapes = true, bool expandNested = true)
        => GraphText.Write(this, format, showShapes, expandNested);

    /// <summary>Binds the graph to its description, whose name and weights it reports.</summary>
    internal void Bind(string name, IReadOnlyList<WeightInfo> weights)
    {
        if (_bound)
        {
            throw new ArgumentException("The graph already belongs to a ModelDescription.");
        }

        foreach (var node in _nodes)
        {
            if (node.WeightCount > 0 && (node.FirstWeight < 0 || node.FirstWeight + node.WeightCount > weights.Count))
            {
                throw new ArgumentException($"Node {node.Id} ('{node.Name}') has weights {node.FirstWeight}..{node.FirstWeight + node.WeightCount - 1}, " +
                    $"but the model has {weights.Count} weight tensors.");
            }
        }

        Name = name;
        _weights = weights;
        _bound = true;
    }

    internal IReadOnlyList<WeightInfo> WeightsOf(GraphNode node)
    {
        if (node.WeightCount == 0)
        {
            return Array.Empty<WeightInfo>();
        }

        if (node.FirstWeight + node.WeightCount > _weights.Count)
        {
            throw new InvalidOperationException($"The graph is not part of a ModelDescription, so the weights of '{node.Name}' are unknown.");
        }

        var weights = new WeightInfo[node.WeightCount];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = _weights[node.FirstWeight + i];
        }

        return Array.AsReadOnly(weights);
    }

    internal IReadOnlyList<GraphNode> ChildrenOf(int id) => _children[id];

    internal IReadOnlyList<IReadOnlyList<int>> InputShapesOf(GraphNode node)
    {
        var shapes = new IReadOnlyList<int>[node.Inputs.Count];
        for (int i = 0; i < shapes.Length; i++)
        {
            shapes[i] = _nodes[node.Inputs[i]].Shape;
        }

        return Array.AsReadOnly(shapes);
    }

    internal IReadOnlyList<IReadOnlyList<int>> OutputShapesOf(GraphNode node)
    {
        var shapes = new List<IReadOnlyList<int>>();
        if (node.IsGroup)
        {
            foreach (int output in node.Outputs)
            {
                shapes.Add(_nodes[output].Shape);
            }

            return shapes.AsReadOnly();
        }

        shapes.Add(node.Shape);
        if (node.Settings is RecurrentSettings { ReturnState: true, Units: int units })
        {
            // Keras's result list: the output, then h (and LSTM's c), each (None, units).
            for (int i = node.Kind == GraphNodeKind.LSTM ? 2 : 1; i > 0; i--)
            {
                shapes.Add(Array.AsReadOnly(new[] { units }));
            }
        }

        return shapes.AsReadOnly();
    }

    internal string KerasInputShapeOf(GraphNode node)
    {
        if (node.Kind == GraphNodeKind.InputLayer)
        {
            return "[" + KerasShape(node.Shape) + "]";
        }

        return KerasShapes(InputShapesOf(node), node.Inputs.Count == 0 ? "?" : null);
    }

    internal string KerasOutputShapeOf(GraphNode node)
        => node.Kind == GraphNodeKind.InputLayer ? "[" + KerasShape(node.Shape) + "]" : KerasShapes(OutputShapesOf(node), "?");

    private static string KerasShapes(IReadOnlyList<IReadOnlyList<int>> shapes, string? none)
    {
        if (shapes.Count == 0)
        {
            return none ?? "?";
        }

        if (shapes.Count == 1)
        {
            return KerasShape(shapes[0]);
        }

        var text = new StringBuilder("[");
        for (int i = 0; i < shapes.Count; i++)
        {
            text.Append(i > 0 ? ", " : string.Empty).Append(KerasShape(shapes[i]));
        }

        return text.Append(']').ToString();
    }

    /// <summary>A per-sample shape as Keras prints it with the batch axis: <c>(None, 28, 28, 1)</c>, <c>(None,)</c>.</summary>
    /// <param name="shape">The per-sample shape; -1 for an axis known only at run time.</param>
    /// <returns>The text.</returns>
    public static string KerasShape(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count == 0)
        {
            return "(None,)";
        }

        var text = new StringBuilder("(None");
        foreach (int dim in shape)
        {
            text.Append(", ").Append(dim >= 0 ? dim.ToString(CultureInfo.InvariantCulture) : "None");
        }

        return text.Append(')').ToString();
    }

    internal IReadOnlyList<int> InboundOf(GraphNode node)
    {
        var levels = new HashSet<int> { -1 };
        for (int group = node.Parent; group >= 0; group = _nodes[group].Parent)
        {
            levels.Add(group);
        }

        var inbound = new int[node.Inputs.Count];
        for (int i = 0; i < inbound.Length; i++)
        {
            var from = _nodes[node.Inputs[i]];
            while (from.Kind == GraphNodeKind.RecurrentState && from.Inputs.Count > 0)
            {
                from = _nodes[from.Inputs[0]];
            }

            while (!levels.Contains(from.Parent))
            {
                from = _nodes[from.Parent];
            }

            inbound[i] = from.Id;
        }

        return Array.AsReadOnly(inbound);
    }

    private int[] Checked(int[] ids, string parameter)
    {
        foreach (int id in ids)
        {
            if (id < 0 || id >= _nodes.Length || _nodes[id].IsGroup)
            {
                throw new ArgumentException($"{id} is not the id of a node that is not a group.", parameter);
            }
        }

        return (int[])ids.Clone();
    }
}
