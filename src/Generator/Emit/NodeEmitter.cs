using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>
/// What a layer rule writes one node's forward or backward code with: the node's tensors, weights, temporaries and
/// scratch as C# expressions over the workspace, and the writer. Sizes and offsets are dimensions of the plan (literals,
/// or expressions in the run-time lengths); <c>batchSize</c> counts rows (samples, or time steps inside TimeDistributed).
/// </summary>
internal sealed class NodeEmitter
{
    /// <summary>The runtime's namespace, for types the generated code names.</summary>
    public const string Rt = "global::Unrolled.";

    /// <summary>The kernels' namespace.</summary>
    public const string Kernels = "global::Unrolled.Kernels.";

    public const string Span = "global::System.Span<float>";

    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    private readonly ModelEmitter _emitter;

    public NodeEmitter(ModelEmitter emitter, int node)
    {
        _emitter = emitter;
        Node = node;
        NodeSpec = emitter.Spec.Nodes[node];
        Layer = emitter.Spec.Layers[NodeSpec.Layer];
    }

    public int Node { get; }

    public NodeSpec NodeSpec { get; }

    public LayerSpec Layer { get; }

    /// <summary>The node's input nodes.</summary>
    public EquatableArray<int> Inputs => NodeSpec.Inputs;

    /// <summary>A node's inputs.</summary>
    public EquatableArray<int> InputsOf(int node) => _emitter.Spec.Nodes[node].Inputs;

    /// <summary>The first (for most layers the only) input node.</summary>
    public int Input => NodeSpec.Inputs[0];

    public T Settings<T>()
        where T : LayerConfig
        => Layer.Settings<T>();

    public DimTable Dims => _emitter.Plan.Dims;

    public TensorShape ShapeOf(int node) => _emitter.Plan.Model.ShapeOf(node);

    public TensorShape Output => ShapeOf(Node);

    /// <summary>Floats per row of a node's output.</summary>
    public int SizeOf(int node) => _emitter.Sz(node);

    // ---- code ----

    public void Line(string text) => _emitter.Writer.Line(text);

    public void Open(string text) => _emitter.Writer.Open(text);

    public void Close() => _emitter.Writer.Close();

    /// <summary>A dimension as code: a literal, or an expression in the run-time lengths.</summary>
    public string D(int dim) => _emitter.D(dim);

    public static string N(int value) => ModelEmitter.N(value);

    public static string Float(double value) => ModelEmitter.Float(value);

    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary><c>batchSize</c>, or <c>batchSize * rows</c> for a tensor with several rows per sample.</summary>
    public string Rows(int rowsPerSample) => _emitter.RowsExpression(rowsPerSample);

    /// <summary>The activation enum member: <c>global::Unrolled.Activation.Relu</c>.</summary>
    public static string Activation(int activation) => $"{Rt}Activation.{ActivationInfo.Names[activation]}";

    // ---- tensors ----

    /// <summary>A node's value in the workspace.</summary>
    public string Values(int node) => _emitter.Values(node);

    /// <summary>The Keras mask attached to input <paramref name="input"/> (one float per step, 1 kept and 0 masked), or
    /// null when that input is not masked (see <see cref="NodeSpec.Masks"/>).</summary>
    public string? Mask(int input) => NodeSpec.MaskOf(input) is >= 0 and var mask ? Values(mask) : null;

    /// <summary>The mask of input <paramref name="input"/> as a kernel argument, or nothing when it has none.</summary>
    public string MaskArgument(int input, string name = "mask") => Mask(input) is { } mask ? $", {name}: {mask}" : string.Empty;

    /// <summary>The gradient of a node's value.</summary>
    public string Gradient(int node) => _emitter.Gradient(node);

    /// <summary>Whether backward computes a node's gradient (false for inputs and what only they feed).</summary>
    public bool NeedsGradient(int node) => _emitter.Plan.NeedsGradient[node];

    /// <summary>The gradient of a node's value, or an empty span when nothing needs it: at compile time (an input, what only
    /// inputs feed) or at run time (below the lowest layer that trains, <c>workspace.NeedsGradient</c>).</summary>
    public string GradientOrEmpty(int node) => NeedsGradient(node) ? $"(workspace.NeedsGradient({N(node)}) ? {Gradient(node)} : {Span}.Empty)" : $"{Span}.Empty";

    /// <summary>Whether this node is the first in the backward pass to write input <paramref name="input"/>'s gradient and
    /// the pass left it uncleared, so Backward must write it with "=" (only for a rule whose
    /// <see cref="Layers.LayerRule.OverwritesInputGradient"/> says it can).</summary>
    public bool InputGradientFresh(int input) => _emitter.FreshInputs.Contains(input);

    /// <summary>Opens a block that runs only while the backward pass needs <paramref name="node"/>'s gradient (false below
    /// the lowest layer that trains); close it with <see cref="Close"/>.</summary>
    public void OpenIfNeedsGradient(int node) => Open($"if (workspace.NeedsGradient({N(node)}))");

    /// <summary>The pre-activation region (kept for Swish and Gelu), or null when the output holds it.</summary>
    public string? PreActivation => _emitter.PreActivation(Node);

    /// <summary>The node's temporary <paramref name="index"/> (see <c>LayerRule.Temporaries</c>), of
    /// <paramref name="size"/> floats per row.</summary>
    public string Temporary(int index, int size) => _emitter.Temporary(Node, index, size);

    /// <summary>The gradient region of the node's temporary <paramref name="index"/>.</summary>
    public string TemporaryGradient(int index, int size) => _emitter.TemporaryGradient(Node, index, size);

    /// <summary>The node's scratch.</summary>
    public string Scratch => _emitter.ScratchFor(Node);

    // ---- weights ----

    /// <summary>The layer's weight called <paramref name="name"/>, or an empty span when it has none of that name.</summary>
    public string Weight(string name) => _emitter.Slice("weights", NodeSpec.Layer, name);

    /// <summary>Where the layer's weight called <paramref name="name"/> starts in the weight buffer (a row table's key for
    /// <c>workspace.TouchedRows</c>).</summary>
    public int WeightOffset(string name) => _emitter.WeightOffset(NodeSpec.Layer, name);

    /// <summary>The gradient of the layer's weight called <paramref name="name"/>, or an empty span. For code inside
    /// <see cref="OpenIfTrains"/>; a kernel that takes the weight and input gradients together gets
    /// <see cref="WeightGradientOrEmpty"/>.</summary>
    public string WeightGradient(string name) => _emitter.Slice("gradients", NodeSpec.Layer, name);

    /// <summary>The gradient of the layer's weight called <paramref name="name"/> while the layer trains, else an empty
    /// span (the kernel then skips it).</summary>
    public string WeightGradientOrEmpty(string name)
        => Slot < 0 ? WeightGradient(name) : $"(workspace.Trains({N(Slot)}) ? {WeightGradient(name)} : {Span}.Empty)";

    /// <summary>The layer's run-time trainable slot (<c>workspace.Trains(slot)</c>), or -1 for a layer without weights.</summary>
    public int Slot => _emitter.Plan.TrainableSlot.TryGetValue(NodeSpec.Layer, out int slot) ? slot : -1;

    /// <summary>Opens a block that runs only while the layer trains (its weight gradients), and returns true; for a layer
    /// without weights opens nothing and returns false. Close it with <see cref="CloseIf"/>.</summary>
    public bool OpenIfTrains()
    {
        if (Slot < 0)
        {
            return false;
        }

        Open($"if (workspace.Trains({N(Slot)}))");
        return true;
    }

    /// <summary>Closes the block <see cref="OpenIfTrains"/> opened, if it did.</summary>
    public void CloseIf(bool opened)
    {
        if (opened)
        {
            Close();
        }
    }

    /// <summary>The layer's weights, in Keras's order.</summary>
    public EquatableArray<WeightSpec> Weights => _emitter.Plan.Model.WeightsOf(NodeSpec.Layer);

    // ---- geometry ----

    /// <summary>Rows of a channels-last tensor per sample: every axis but the last.</summary>
    public int PositionsOf(int node)
    {
        var dims = ShapeOf(node).Dims;
        return Dims.Product(dims.Take(dims.Count - 1));
    }

    /// <summary>The last axis of a node's shape.</summary>
    public int ChannelsOf(int node) => ShapeOf(node).Dims[ShapeOf(node).Dims.Count - 1];

    /// <summary>The shape as a collection expression of dimensions, for the broadcasting kernels.</summary>
    public string ShapeLiteral(int node) => _emitter.IntSpan(ShapeOf(node).Dims.Select(D).ToList());

    /// <summary>Constant ints (or dimensions' code) as an int span argument: a static array when all are constants.</summary>
    public string IntSpan(IEnumerable<string> values) => _emitter.IntSpan(values.ToList());

    /// <summary>One over a mean's length: a literal, or computed at run time for a run-time length.</summary>
    public string MeanScale(int length) => length >= 0 ? Float(1.0 / length) : $"1f / {D(length)}";

    /// <summary>Whether some input's shape differs from the output's (Keras's broadcasting merges).</summary>
    public bool Broadcasts => Inputs.Any(i => !ShapeOf(i).Dims.Equals(Output.Dims));

    /// <summary>
    /// The kernels' description of a window over a channels-last tensor: from <paramref name="from"/> (the window's
    /// input) to <paramref name="to"/> (its output), with Keras's (TensorFlow's) padding for same.
    /// </summary>
    public string Geometry(int from, int to, int fromChannels, int toChannels, int kh, int kw, int sh, int sw, int dh, int dw, bool same, bool oneD)
        => _emitter.Geometry(from, to, fromChannels, toChannels, kh, kw, sh, sw, dh, dw, same, oneD);

    /// <summary>The fold of this recurrent node's input projection into the Embedding feeding it, or null.</summary>
    public ProjectionFold? Fold => _emitter.Plan.Folds.FirstOrDefault(f => f.Recurrent == Node);

    /// <summary>This convolution's slot among those that may predict by Winograd, or null.</summary>
    public int? WinogradSlot
    {
        get
        {
            int slot = _emitter.Plan.WinogradNodes.IndexOf(Node);
            return slot < 0 ? null : slot;
        }
    }

    /// <summary>The folds that read this Embedding node and let a folded pass skip it (empty when it always runs).</summary>
    public IEnumerable<ProjectionFold> FoldsSkipping => _emitter.Plan.Folds.Where(f => f.Embedding == Node && f.SkipsEmbedding);

    /// <summary>The local holding fold <paramref name="fold"/>'s table in the forward pass (empty when not folded).</summary>
    public static string FoldedTable(ProjectionFold fold) => $"folded{fold.Slot}";

    /// <summary>Whether output port <c>i</c> is this node with an activation the loss may fuse (softmax or sigmoid
    /// with cross-entropy): its index, or -1.</summary>
    public int FusedOutput => _emitter.FusedOutputOf(Node);
}
