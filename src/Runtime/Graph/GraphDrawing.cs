using System;
using System.Collections.Generic;
using System.Linq;

namespace Unrolled;

/// <summary>
/// What <c>plot_model(show_shapes=True, show_layer_names=True, expand_nested=…)</c> draws for a graph: one box per
/// layer (a shared layer's calls are one box), nested models as clusters (or one box each when not expanded), a
/// Lambda or TimeDistributed layer as one box, and the edges between boxes. The DOT and Mermaid writers only print it.
/// </summary>
internal sealed class GraphDrawing
{
    /// <summary>A box: a layer, or a group drawn as one.</summary>
    internal sealed class Box
    {
        public Box(int index, string name, string type, int cluster) => (Index, Name, Type, Cluster) = (index, name, type, cluster);

        public int Index { get; }

        public string Name { get; }

        public string Type { get; }

        /// <summary>The cluster the box is drawn in, or -1.</summary>
        public int Cluster { get; }

        public List<GraphNode> Nodes { get; } = new();

        /// <summary>Keras's input shape: the calls' if they agree, else "?" (as <c>plot_model</c>).</summary>
        public string Input => Agreed(Nodes, n => n.KerasInputShape);

        /// <summary>Keras's output shape: the calls' if they agree, else "?".</summary>
        public string Output => Agreed(Nodes, n => n.KerasOutputShape);
    }

    /// <summary>A nested model drawn as a cluster of its layers' boxes.</summary>
    internal sealed class Cluster
    {
        public Cluster(int index, string name, int parent) => (Index, Name, Parent) = (index, name, parent);

        public int Index { get; }

        public string Name { get; }

        public int Parent { get; }
    }

    private readonly ModelGraph _graph;
    private readonly bool _expandNested;
    private readonly int[] _owner;
    private readonly Dictionary<string, int> _boxOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _clusterOf = new(StringComparer.Ordinal);
    private readonly int[] _boxOfNode;
    private readonly int[] _clusterOfGroup;

    public GraphDrawing(ModelGraph graph, bool expandNested)
    {
        _graph = graph;
        _expandNested = expandNested;
        int count = graph.Nodes.Count;
        _owner = new int[count];
        _boxOfNode = new int[count];
        _clusterOfGroup = new int[count];
        Array.Fill(_boxOfNode, -1);
        Array.Fill(_clusterOfGroup, -1);
        foreach (var node in graph.Nodes)
        {
            _owner[node.Id] = OwnerOf(node);
        }

        foreach (var node in graph.Nodes)
        {
            if (_owner[node.Id] != node.Id || node.Kind is GraphNodeKind.RecurrentState or GraphNodeKind.AttentionScores or GraphNodeKind.Fold or GraphNodeKind.Unfold or GraphNodeKind.Mask)
            {
                continue;
            }

            if (IsCluster(node))
            {
                string key = node.Name;
                if (!_clusterOf.TryGetValue(key, out int cluster))
                {
                    cluster = Clusters.Count;
                    Clusters.Add(new Cluster(cluster, node.Name, ClusterAround(node)));
                    _clusterOf.Add(key, cluster);
                }

                _clusterOfGroup[node.Id] = cluster;
                continue;
            }

            // A shared layer is one box whatever the number of its calls; a group drawn as a box is keyed apart from
            // layers, whose names it may share.
            string boxKey = (node.IsGroup ? "group:" : "layer:") + node.Name;
            if (!_boxOf.TryGetValue(boxKey, out int box))
            {
                var (name, type) = Label(node);
                box = Boxes.Count;
                Boxes.Add(new Box(box, name, type, ClusterAround(node)));
                _boxOf.Add(boxKey, box);
            }

            Boxes[box].Nodes.Add(node);
            _boxOfNode[node.Id] = box;
        }

        var seen = new HashSet<(int, int)>();
        foreach (var node in graph.Nodes)
        {
            // A cluster's edges are its input layers'; a step inside a box draws as that box, and its edges inside it
            // not at all; a recurrent state and an unfolding are drawn through (see Source).
            int to = _boxOfNode[_owner[node.Id]];
            bool inBox = _owner[node.Id] != node.Id;
            if (to < 0 || node.Kind is GraphNodeKind.RecurrentState or GraphNodeKind.AttentionScores or GraphNodeKind.Unfold)
            {
                continue;
            }

            foreach (int input in node.Inputs)
            {
                int from = _boxOfNode[_owner[Source(input)]];
                if (from >= 0 && !(inBox && from == to) && seen.Add((from, to)))
                {
                    Edges.Add((from, to));
                }
            }
        }
    }

    public List<Box> Boxes { get; } = new();

    public List<Cluster> Clusters { get; } = new();

    /// <summary>Edges between boxes, each once, in the order of the nodes that read them.</summary>
    public List<(int From, int To)> Edges { get; } = new();

    /// <summary>Whether a group is drawn as a cluster of its children rather than as a box.</summary>
    private bool IsCluster(GraphNode node) => node.Kind == GraphNodeKind.Functional && _expandNested;

    /// <summary>Whether <paramref name="group"/> draws its child <paramref name="child"/> (and all under it) as itself.</summary>
    private bool Hides(GraphNode group, GraphNode child) => group.Kind switch
    {
        GraphNodeKind.Lambda or GraphNodeKind.Bidirectional => true,
        GraphNodeKind.TimeDistributed => !(child.Kind == GraphNodeKind.Functional && _expandNested),
        GraphNodeKind.Functional => !_expandNested,
        _ => false,
    };

    /// <summary>The node whose box shows <paramref name="node"/>: the outermost group that hides it, or itself.</summary>
    private int OwnerOf(GraphNode node)
    {
        int owner = node.Id;
        var child = node;
        for (int parent = node.Parent; parent >= 0; parent = _graph[parent].Parent)
        {
            var group = _graph[parent];
            if (Hides(group, child))
            {
                owner = parent;
            }

            child = group;
        }

        return owner;
    }

    /// <summary>The node a value is drawn as coming from: a recurrent layer for its state, the wrapped model's last
    /// layer for what TimeDistributed unfolds (as Keras draws a wrapped model).</summary>
    private int Source(int id)
    {
        var node = _graph[id];
        while (node.Kind is GraphNodeKind.RecurrentState or GraphNodeKind.AttentionScores or GraphNodeKind.Unfold && node.Inputs.Count > 0)
        {
            node = _graph[node.Inputs[0]];
        }

        return node.Id;
    }

    /// <summary>The cluster of the nearest enclosing nested model drawn as one, or -1.</summary>
    private int ClusterAround(GraphNode node)
    {
        for (int parent = node.Parent; parent >= 0; parent = _graph[parent].Parent)
        {
            if (_clusterOfGroup[parent] >= 0)
            {
                return _clusterOfGroup[parent];
            }
        }

        return -1;
    }

    /// <summary>Keras's box label: <c>name</c> and <c>Type</c>, a wrapper's showing what it wraps when that is not
    /// drawn beside it: <c>time_distributed(dense)</c>, <c>TimeDistributed(Dense)</c>.</summary>
    private (string Name, string Type) Label(GraphNode node)
    {
        if (node.Kind == GraphNodeKind.TimeDistributed)
        {
            foreach (var child in node.Children)
            {
                if (child.Kind is GraphNodeKind.Fold or GraphNodeKind.Unfold || (child.Kind == GraphNodeKind.Functional && _expandNested))
                {
                    continue;
                }

                return ($"{node.Name}({child.Name})", $"{node.ClassName}({child.ClassName})");
            }
        }

        if (node.Kind == GraphNodeKind.Bidirectional && node.Children.FirstOrDefault(c => !c.IsGroup && c.Name.StartsWith("forward_", StringComparison.Ordinal)) is { } forward)
        {
            // As Keras draws a wrapper: the wrapped layer (the forward copy, named as the layer it was copied from).
            return ($"{node.Name}({forward.Name["forward_".Length..]})", $"{node.ClassName}({forward.ClassName})");
        }

        return (node.Name, node.ClassName);
    }

    private static string Agreed(List<GraphNode> nodes, Func<GraphNode, string> shape)
    {
        string first = shape(nodes[0]);
        for (int i = 1; i < nodes.Count; i++)
        {
            if (!string.Equals(shape(nodes[i]), first, StringComparison.Ordinal))
            {
                return "?";
            }
        }

        return first;
    }
}
