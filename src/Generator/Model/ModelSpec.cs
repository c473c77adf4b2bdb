using System.Collections.Generic;
using System.Linq;

namespace Unrolled.Generator.Model;

/// <summary>
/// A layer: one set of weights and constant arguments. Applying it creates a <see cref="NodeSpec"/>; a layer applied
/// several times (a shared layer) has several nodes and one set of weights.
/// </summary>
/// <param name="Kind">The layer type.</param>
/// <param name="Name">The Keras name, explicit or defaulted (<c>dense_1</c>).</param>
/// <param name="Config">Its typed settings: the record its kind's rule defines (src/Generator/Layers).</param>
/// <param name="Span">Where the layer is created (the factory call).</param>
/// <param name="NameSpan">Where its explicit name is given, else <see cref="Span"/>.</param>
/// <param name="Trainable">False when the builder froze the layer (<c>trainable: false</c>, or <c>Model.Trainable = false</c>
/// on a model holding it): where the model's run-time flag starts.</param>
/// <param name="Initializers">The builder's initialisers by weight name (<c>kernel=HeNormal</c>), overriding the kind's.</param>
/// <param name="Regularizers">The builder's weight regularizers by weight name (<c>kernel=l1:l2</c>).</param>
/// <param name="Constraints">The builder's weight constraints by weight name (<c>kernel=MaxNorm:0:3:1:0</c>).</param>
internal sealed record LayerSpec(LayerKind Kind, string Name, LayerConfig Config, SourceSpan Span, SourceSpan NameSpan, bool Trainable = true,
    EquatableArray<string> Initializers = default, EquatableArray<string> Regularizers = default, EquatableArray<string> Constraints = default)
{
    /// <summary>The constraint the builder gave weight <paramref name="weight"/> as the runtime reads it, or null.</summary>
    public string? ConstraintOf(string weight)
    {
        foreach (string entry in Constraints)
        {
            if (entry.StartsWith(weight + "=", System.StringComparison.Ordinal))
            {
                return entry.Substring(weight.Length + 1);
            }
        }

        return null;
    }

    /// <summary>The L1 and L2 factors the builder gave weight <paramref name="weight"/>, or (0, 0).</summary>
    public (double L1, double L2) RegularizerOf(string weight)
    {
        foreach (string entry in Regularizers)
        {
            var parts = entry.Split('=', ':');
            if (parts.Length == 3 && parts[0] == weight)
            {
                return (double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return (0, 0);
    }

    /// <summary>The initialiser the builder gave for weight <paramref name="weight"/>, or <paramref name="fallback"/>.</summary>
    public WeightInit InitializerFor(string weight, WeightInit fallback)
    {
        foreach (string entry in Initializers)
        {
            int eq = entry.IndexOf('=');
            if (entry.Substring(0, eq) == weight && System.Enum.TryParse<WeightInit>(entry.Substring(eq + 1), out var init))
            {
                return init;
            }
        }

        return fallback;
    }

    /// <summary>The settings as the record its rule defines; a mismatch is a bug in Unrolled, reported as UNR0017.</summary>
    public T Settings<T>()
        where T : LayerConfig
        => Config as T ?? throw new System.InvalidOperationException(
            $"layer '{Name}' ({Kind}) has settings of type {Config.GetType().Name}, not {typeof(T).Name}");
}

/// <summary>
/// A layer kind's typed settings (Keras's constructor arguments, checked). Each rule in src/Generator/Layers defines
/// the records of its kinds; records compare by value, so the incremental pipeline can cache them.
/// </summary>
internal abstract record LayerConfig;

/// <summary>The settings of a kind that has none (Flatten, Add, the global poolings, the groups).</summary>
internal sealed record NoSettings : LayerConfig
{
    public static readonly NoSettings Instance = new();
}

/// <summary>One application of a layer to tensors. Node indices are topological: inputs come first.</summary>
/// <param name="Layer">Index of the layer in <see cref="ModelSpec.Layers"/>.</param>
/// <param name="Inputs">Indices of the nodes whose outputs this node consumes.</param>
/// <param name="Span">The call that created the node (<c>Dense(64)(x)</c>).</param>
/// <param name="InputSpans">Where each input is given in that call, for diagnostics that point at one input.</param>
/// <param name="Application">When the node was created by applying a nested model: that application's index in
/// <see cref="ModelSpec.Applications"/>; else -1.</param>
/// <param name="Group">The innermost group (<see cref="ModelSpec.Groups"/>) the node belongs to, or -1.</param>
/// <param name="Call">The call's own settings (Keras's call arguments, such as MultiHeadAttention's
/// <c>use_causal_mask</c>), a record the kind's rule defines; null when the call has none.</param>
/// <param name="Masks">For a layer that uses Keras's masks (<see cref="Layers.LayerRule.ConsumesMask"/>): per input, the
/// <see cref="LayerKind.Mask"/> node of the mask attached to it, or -1; empty when no input is masked. Masks are read
/// like inputs (they are computed first and kept alive until the node has run) but carry no gradient.</param>
internal sealed record NodeSpec(int Layer, EquatableArray<int> Inputs, SourceSpan Span, EquatableArray<SourceSpan> InputSpans, int Application = -1,
    int Group = -1, LayerConfig? Call = null, EquatableArray<int> Masks = default)
{
    /// <summary>The call's settings as the record its rule defines, or null when the call has none.</summary>
    public T? CallSettings<T>()
        where T : LayerConfig
        => Call as T;

    /// <summary>The mask attached to input <paramref name="input"/>, or -1.</summary>
    public int MaskOf(int input) => input < Masks.Count ? Masks[input] : -1;

    /// <summary>Every node this one reads: its inputs, then the masks of its inputs.</summary>
    public IEnumerable<int> Reads => Masks.Count == 0 ? Inputs : Inputs.Concat(Masks.Where(m => m >= 0));
}

/// <summary>
/// How the nodes nest, for the graph's description: one group per call of a nested model, Lambda or TimeDistributed,
/// including the calls inside a nested model each time that model is applied (which <see cref="ApplicationSpec"/>,
/// being about what the summary shows, does not record).
/// </summary>
/// <param name="Type"><c>Functional</c>, <c>Lambda</c> or <c>TimeDistributed</c>.</param>
/// <param name="Name">The model's or layer's name.</param>
/// <param name="Parent">The enclosing group, or -1.</param>
/// <param name="Inputs">The tensors the call is applied to (node indices, outside the group).</param>
/// <param name="Outputs">The call's outputs (node indices, inside the group).</param>
/// <param name="InputLayers">For a model: its Input layers (layer indices), one per input.</param>
internal sealed record GroupSpec(string Type, string Name, int Parent, EquatableArray<int> Inputs, EquatableArray<int> Outputs,
    EquatableArray<int> InputLayers);

/// <summary>
/// One call of a model used as a layer (<c>encoder(x)</c>). Its layers are applied again to the call's inputs, so the
/// nested model's weights are shared by every call of the same model; the summary shows the call as one row.
/// </summary>
/// <param name="Model">Which nested model (calls of the same model share this number).</param>
/// <param name="ModelName">The nested model's name.</param>
/// <param name="Inputs">The tensors the model is applied to (outer node indices).</param>
/// <param name="Outputs">The call's outputs (outer node indices).</param>
/// <param name="ExpectedShapes">The nested model's input shapes, to check the call against.</param>
/// <param name="Span">The call.</param>
/// <param name="Type">How the summary names the row's type: <c>Functional</c> for a model, <c>Lambda</c> for a Lambda
/// layer (whose function's operations are grouped the same way).</param>
internal sealed record ApplicationSpec(int Model, string ModelName, EquatableArray<int> Inputs, EquatableArray<int> Outputs,
    EquatableArray<EquatableArray<int>> ExpectedShapes, SourceSpan Span, string Type = "Functional");

/// <summary>A class that contains the model class (nested models need each containing class to be partial).</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// Everything the generator knows about one <c>[ModelBuilder]</c> method after evaluating it: plain, equatable data
/// with no compiler objects, so the incremental pipeline can cache it. <c>HasGraph</c> is false when the builder
/// produced no model (its diagnostics say why).
/// </summary>
internal sealed record ModelSpec(
    string Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string ClassName,
    string BuilderName,
    string ModelName,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<NodeSpec> Nodes,
    EquatableArray<int> Inputs,
    EquatableArray<int> Outputs,
    SourceSpan ModelSpan,
    EquatableArray<SourceSpan> InputSpans,
    EquatableArray<SourceSpan> OutputSpans,
    EquatableArray<DiagnosticInfo> Diagnostics,
    bool HasGraph,
    EquatableArray<ApplicationSpec> Applications = default,
    EquatableArray<GroupSpec> Groups = default,
    EquatableArray<int> OutputMasks = default,
    EquatableArray<string> FrozenModels = default,
    EquatableArray<LossFunctionSpec> LossFunctions = default,
    bool IsLossGraph = false,
    EquatableArray<UserMember> UserMembers = default)
{
    /// <summary>The <see cref="LayerKind.Mask"/> node of the mask Keras attaches to output <paramref name="output"/>
    /// (a sequence output after <c>Embedding(mask_zero=True)</c>), which the loss and metrics weigh the steps by; or -1.</summary>
    public int OutputMaskOf(int output) => output < OutputMasks.Count ? OutputMasks[output] : -1;

    /// <summary>
    /// The spec with every source position (and the diagnostics, which carry positions) cleared: what code generation
    /// reads, so that an edit that only moves the builder (a line added above it) leaves the generated code cached.
    /// </summary>
    public ModelSpec WithoutPositions() => this with
    {
        Layers = Layers.Select(l => l with { Span = SourceSpan.None, NameSpan = SourceSpan.None }).ToEquatableArray(),
        Nodes = Nodes.Select(n => n with { Span = SourceSpan.None, InputSpans = n.InputSpans.Select(_ => SourceSpan.None).ToEquatableArray() }).ToEquatableArray(),
        ModelSpan = SourceSpan.None,
        InputSpans = InputSpans.Select(_ => SourceSpan.None).ToEquatableArray(),
        OutputSpans = OutputSpans.Select(_ => SourceSpan.None).ToEquatableArray(),
        Diagnostics = EquatableArray<DiagnosticInfo>.Empty,
        Applications = Applications.Select(a => a with { Span = SourceSpan.None }).ToEquatableArray(),
        UserMembers = UserMembers.Select(m => m with { Span = SourceSpan.None }).ToEquatableArray(),
        LossFunctions = LossFunctions.Select(l => l with
        {
            Graphs = l.Graphs.Select(g => g with { Graph = g.Graph?.WithoutPositions() }).ToEquatableArray(),
        }).ToEquatableArray(),
    };
}

/// <summary>
/// A <c>[LossFunction]</c> method of the model's class: its graph for each distinct per-sample shape of the model's
/// outputs, so that the loss can be compiled for any output of that shape.
/// </summary>
/// <param name="MethodName">The C# method (and the generated <c>Losses</c> property).</param>
/// <param name="KerasName">Keras's name of a function loss, the function's name: <c>asymmetric_error</c>.</param>
/// <param name="Graphs">One per distinct output shape, in the outputs' order.</param>
internal sealed record LossFunctionSpec(string MethodName, string KerasName, EquatableArray<LossGraphSpec> Graphs);

/// <summary>
/// A loss function evaluated on targets and predictions of one per-sample shape: a model with the inputs <c>y_true</c>
/// and <c>y_pred</c> and the loss values as its output (<see cref="ModelSpec.IsLossGraph"/>), or why it has none.
/// </summary>
/// <param name="Shape">The per-sample shape of the output (and of the targets).</param>
/// <param name="Graph">The loss's graph, or null when it could not be compiled for this shape.</param>
/// <param name="Failure">Why not, for the run-time error of compiling the loss on such an output.</param>
internal sealed record LossGraphSpec(EquatableArray<int> Shape, ModelSpec? Graph, string? Failure);

/// <summary>A member the user declared in the model's class, by a key comparable with the generator's own members
/// (<c>ctor(int)</c>, a name, <c>Predict(float[])</c>).</summary>
/// <param name="Key">The key: <c>ctor(</c>parameter types<c>)</c>, a method's name and parameter types, or a name.</param>
/// <param name="Span">Where the user declared it.</param>
internal sealed record UserMember(string Key, SourceSpan Span);
