using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// One node of a <see cref="ModelGraph"/>: a call of a layer (Keras's "node"), one step the generator adds between
/// layers, or a group (a nested model's call, a <c>Lambda</c>, a <c>TimeDistributed</c>) whose children compute it.
/// Immutable.
/// </summary>
/// <remarks>
/// <para><see cref="Inputs"/> are the flat edges: ids of the nodes whose values this node reads, never a group's id
/// (a value made inside a group is read from the child that makes it). Walking <see cref="ModelGraph.Nodes"/> in
/// order and skipping <see cref="IsGroup"/> nodes visits every computation once, after its inputs.</para>
/// <para><see cref="Inbound"/> are the edges as Keras draws them, between the nodes of one level: a node fed by a
/// group's output is fed by the group.</para>
/// </remarks>
public sealed class GraphNode
{
    private static readonly IReadOnlyList<int> s_none = Array.AsReadOnly(Array.Empty<int>());

    private static readonly IReadOnlyList<LayerSetting> s_noSettings = Array.AsReadOnly(Array.Empty<LayerSetting>());

    private IReadOnlyList<LayerSetting>? _config;
    private ModelGraph? _graph;

    /// <summary>Creates a node; generated model descriptions call this, and tools that build a graph by hand.</summary>
    /// <param name="name">The Keras layer name (the same for every call of a shared layer).</param>
    /// <param name="className">The Keras class name (<c>Dense</c>, <c>InputLayer</c>, <c>Functional</c>).</param>
    /// <param name="kind">What the node computes.</param>
    /// <param name="parent">The id of the group the node belongs to, or -1 at the model's top level.</param>
    /// <param name="inputs">The ids of the nodes whose values it reads, in order.</param>
    /// <param name="shape">Its output's per-sample shape; -1 for an axis known only at run time. For a group, its first
    /// output's.</param>
    /// <param name="settings">Its typed settings (<see cref="DenseSettings"/>, …), or null for a kind that has none (a
    /// merge, a group) or a hand-built node that omits them (then ONNX export refuses the node, naming it).</param>
    /// <param name="firstWeight">The index of its first weight tensor in <see cref="ModelDescription.Weights"/>, or -1.</param>
    /// <param name="weightCount">How many weight tensors follow from <paramref name="firstWeight"/>.</param>
    /// <param name="outputs">For a group: the ids of the children whose values are its outputs.</param>
    /// <param name="dtype">Its output's element type.</param>
    /// <param name="masks">For a layer that reads Keras masks: per input, the id of the <see cref="GraphNodeKind.Mask"/>
    /// node of its mask, or -1; null when no input is masked.</param>
    /// <param name="setup">How the builder set up the layer's weights and training, under Keras's <c>get_config()</c> names
    /// (<c>kernel_initializer</c>, <c>kernel_regularizer</c>, <c>activity_regularizer</c>, <c>kernel_constraint</c>,
    /// <c>trainable</c>): the arguments the builder gave, after <paramref name="settings"/> in <see cref="Config"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="settings"/> do not describe a layer of <paramref name="kind"/>.</exception>
    public GraphNode(string name, string className, GraphNodeKind kind, int parent, int[] inputs, int[] shape, LayerSettings? settings = null,
        int firstWeight = -1, int weightCount = 0, int[]? outputs = null, DType dtype = DType.Float32, int[]? masks = null,
        LayerSetting[]? setup = null)
    {
        _setup = setup is null || setup.Length == 0 ? null : (LayerSetting[])setup.Clone();
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfNegative(weightCount);
        Name = name ?? throw new ArgumentNullException(nameof(name));
        if (settings is not null && !settings.Describes(kind))
        {
            throw new ArgumentException($"The node '{name}' is a {kind}, which {settings.GetType().Name} ({settings}) does not describe.",
                nameof(settings));
        }

        Settings = settings;
        ClassName = className ?? throw new ArgumentNullException(nameof(className));
        Kind = kind;
        Parent = parent;
        Inputs = Array.AsReadOnly((int[])inputs.Clone());
        Shape = Array.AsReadOnly((int[])shape.Clone());
        FirstWeight = weightCount == 0 ? -1 : firstWeight;
        WeightCount = weightCount;
        DType = dtype;
        IsGroup = kind is GraphNodeKind.Functional or GraphNodeKind.Lambda or GraphNodeKind.TimeDistributed or GraphNodeKind.Bidirectional;
        Outputs = outputs is null ? s_none : Array.AsReadOnly((int[])outputs.Clone());
        Masks = masks is null ? s_none : Array.AsReadOnly((int[])masks.Clone());
    }

    /// <summary>The node's index in <see cref="ModelGraph.Nodes"/>.</summary>
    public int Id { get; private set; } = -1;

    /// <summary>
    /// The Keras layer name: <c>dense_1</c>, the same for every call of a shared layer (and of a nested model's layers
    /// in every call of that model), so names are not unique; <see cref="Id"/> is. A step that is not a Keras layer
    /// (an operation inside a <c>Lambda</c>, <c>TimeDistributed</c>'s folding) has a generated name such as
    /// <c>tf.math.subtract_2</c> or <c>fold</c>.
    /// </summary>
    public string Name { get; }

    /// <summary>The Keras class name as <c>plot_model</c> prints it: <c>Dense</c>, <c>Conv2D</c>, <c>InputLayer</c>,
    /// <c>Functional</c> for a nested model's call, <c>TFOpLambda</c> for a tensor operation.</summary>
    public string ClassName { get; }

    /// <summary>What the node computes.</summary>
    public GraphNodeKind Kind { get; }

    /// <summary>Whether the node is a group (<see cref="GraphNodeKind.Functional"/>, <see cref="GraphNodeKind.Lambda"/>,
    /// <see cref="GraphNodeKind.TimeDistributed"/>), which computes nothing itself.</summary>
    public bool IsGroup { get; }

    /// <summary>The id of the group the node belongs to, or -1 at the model's top level.</summary>
    public int Parent { get; }

    /// <summary>The ids of the nodes whose values it reads, in order (flat edges, never a group).</summary>
    public IReadOnlyList<int> Inputs { get; }

    /// <summary>For a layer that reads Keras masks (a recurrent layer after <c>Embedding(maskZero: true)</c>): per input,
    /// the id of the <see cref="GraphNodeKind.Mask"/> node holding its mask, or -1; empty when no input is masked.</summary>
    public IReadOnlyList<int> Masks { get; }

    /// <summary>For a group, the ids of the children whose values are its outputs; empty for other nodes.</summary>
    public IReadOnlyList<int> Outputs { get; }

    /// <summary>Its output's per-sample shape (no batch axis); -1 for an axis known only at run time. Inside
    /// <c>TimeDistributed</c>, one step's shape. For a group, its first output's.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Its output's element type.</summary>
    public DType DType { get; }

    /// <summary>The index of its first weight tensor in <see cref="ModelDescription.Weights"/>, or -1 when it has none.</summary>
    public int FirstWeight { get; }

    /// <summary>The number of its weight tensors (contiguous in <see cref="ModelDescription.Weights"/>).</summary>
    public int WeightCount { get; }

    /// <summary>The graph the node belongs to.</summary>
    /// <exception cref="InvalidOperationException">The node is not in a graph yet.</exception>
    public ModelGraph Graph => _graph ?? throw new InvalidOperationException($"The node '{Name}' is not in a ModelGraph.");

    /// <summary>Its typed settings (<see cref="DenseSettings"/>, <see cref="ConvolutionSettings"/>, …), or null when it has
    /// none.</summary>
    public LayerSettings? Settings { get; }

    /// <summary>Its constant settings, named and typed as Keras's <c>get_config()</c>, in Keras's order, then how the builder
    /// set up its weights and training (<c>kernel_initializer</c>, <c>kernel_regularizer</c>, <c>activity_regularizer</c>,
    /// <c>kernel_constraint</c>, <c>trainable</c>), as far as it gave them.</summary>
    public IReadOnlyList<LayerSetting> Config => _config ??= _setup is null
        ? Settings?.ToConfig() ?? s_noSettings
        : Array.AsReadOnly([.. Settings?.ToConfig() ?? s_noSettings, .. _setup]);

    private readonly LayerSetting[]? _setup;

    /// <summary>The setting called <paramref name="name"/>, or null.</summary>
    /// <param name="name">A Keras name such as <c>units</c>.</param>
    /// <returns>The setting, or null when the node has none of that name.</returns>
    public LayerSetting? Setting(string name)
    {
        foreach (var setting in Config)
        {
            if (string.Equals(setting.Name, name, StringComparison.Ordinal))
            {
                return setting;
            }
        }

        return null;
    }

    /// <summary>Its weight tensors, in Keras's order (<c>kernel</c>, <c>bias</c>, …): the same objects as in
    /// <see cref="ModelDescription.Weights"/>, shared by every call of the layer.</summary>
    public IReadOnlyList<WeightInfo> Weights => Graph.WeightsOf(this);

    /// <summary>The nodes directly inside this group, in order; empty for a node that is not a group.</summary>
    public IReadOnlyList<GraphNode> Children => Graph.ChildrenOf(Id);

    /// <summary>The per-sample shapes of what it reads, one per input.</summary>
    public IReadOnlyList<IReadOnlyList<int>> InputShapes => Graph.InputShapesOf(this);

    /// <summary>The per-sample shapes of what it gives: one, or a group's outputs, or a recurrent layer's output and
    /// states (<c>return_state</c>).</summary>
    public IReadOnlyList<IReadOnlyList<int>> OutputShapes => Graph.OutputShapesOf(this);

    /// <summary>Its input shape as Keras prints it: <c>(None, 28, 28, 1)</c>, a list <c>[(None, 32), (None, 5)]</c>
    /// for several inputs, <c>[(None, 784)]</c> for an <c>InputLayer</c>.</summary>
    public string KerasInputShape => Graph.KerasInputShapeOf(this);

    /// <summary>Its output shape as Keras prints it: <c>(None, 64)</c>, a list for several outputs, <c>[(None, 784)]</c>
    /// for an <c>InputLayer</c>.</summary>
    public string KerasOutputShape => Graph.KerasOutputShapeOf(this);

    /// <summary>The ids of the nodes that feed it as Keras draws them, one per input: nodes of its own level, or of an
    /// enclosing level (a group's child fed from outside the group), never the inside of a group it is not in (a
    /// value made inside a group comes from the group) nor a recurrent layer's state (it comes from the layer).</summary>
    public IReadOnlyList<int> Inbound => Graph.InboundOf(this);

    /// <inheritdoc/>
    public override string ToString() => $"{Id}: {Name} ({ClassName})";

    internal void Attach(ModelGraph graph, int id)
    {
        if (_graph is not null && !ReferenceEquals(_graph, graph))
        {
            throw new ArgumentException($"The node '{Name}' already belongs to another graph.");
        }

        _graph = graph;
        Id = id;
    }
}
