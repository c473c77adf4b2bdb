using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Collects layers and nodes while a builder is evaluated, names layers as Keras does (<c>dense</c>, <c>dense_1</c>,
/// <c>input_1</c>) and reports duplicate names.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly Dictionary<string, int> _counters = new();
    private readonly Dictionary<string, int> _usedNames = new();
    private readonly Dictionary<string, int> _hiddenCounters = new();

    public List<LayerSpec> Layers { get; } = new();

    /// <summary>The models the builder froze with <c>Model.Trainable = false</c>, by name, in order.</summary>
    public List<string> FrozenModels { get; } = new();

    /// <summary>Sets the initialiser of one of a layer's weights (the builder's <c>kernelInitializer:</c>, …).</summary>
    public void SetInitializer(int layer, string weight, WeightInit init)
    {
        var entries = Layers[layer].Initializers.Where(e => !e.StartsWith(weight + "=", System.StringComparison.Ordinal))
            .Append(weight + "=" + init.ToString()).ToEquatableArray();
        Layers[layer] = Layers[layer] with { Initializers = entries };
    }

    /// <summary>Sets the regularizer of one of a layer's weights (the builder's <c>kernelRegularizer:</c>, …).</summary>
    public void SetRegularizer(int layer, string weight, string factors)
    {
        var entries = Layers[layer].Regularizers.Where(e => !e.StartsWith(weight + "=", System.StringComparison.Ordinal))
            .Append(weight + "=" + factors).ToEquatableArray();
        Layers[layer] = Layers[layer] with { Regularizers = entries };
    }

    /// <summary>Sets the constraint of one of a layer's weights (the builder's <c>kernelConstraint:</c>, …).</summary>
    public void SetConstraint(int layer, string weight, string constraint)
    {
        var entries = Layers[layer].Constraints.Where(e => !e.StartsWith(weight + "=", System.StringComparison.Ordinal))
            .Append(weight + "=" + constraint).ToEquatableArray();
        Layers[layer] = Layers[layer] with { Constraints = entries };
    }

    /// <summary>Sets a layer's <see cref="LayerSpec.Trainable"/> (the builder's <c>trainable:</c>).</summary>
    public void SetTrainable(int layer, bool trainable)
    {
        if (Layers[layer].Trainable != trainable)
        {
            Layers[layer] = Layers[layer] with { Trainable = trainable };
        }
    }

    public List<NodeSpec> Nodes { get; } = new();

    /// <summary>For each layer, the nodes created by applying it, in call order (Keras's node index).</summary>
    public List<List<int>> NodesOfLayer { get; } = new();

    public List<DiagnosticInfo> Diagnostics { get; } = new();

    /// <summary>Every <c>new Model(…)</c> the builder evaluated, in order (a model's id is its index).</summary>
    public List<BuiltModel> Models { get; } = new();

    /// <summary>Every call of a model as a layer.</summary>
    public List<ApplicationSpec> Applications { get; } = new();

    /// <summary>While a Lambda's function is evaluated: its application, which every new node joins; else -1.</summary>
    public int CurrentApplication { get; set; } = -1;

    /// <summary>How calls of models, Lambdas and TimeDistributed layers nest (see <see cref="GroupSpec"/>).</summary>
    public List<GroupSpec> Groups { get; } = new();

    /// <summary>The innermost group being evaluated, which new nodes join; else -1.</summary>
    public int CurrentGroup { get; set; } = -1;

    /// <summary>The shape of a node built so far, for a builder that asks while it is evaluated (<c>x.Shape</c>,
    /// <c>layer.OutputShape</c>); null where it is not defined (an error is reported once the builder has finished).
    /// Each node is inferred once, when first asked for.</summary>
    public Shapes.TensorShape? ShapeOf(int node)
    {
        _shapes ??= new Shapes.ShapeInference.Tracker(new Shapes.GraphView(Layers, Nodes), new List<DiagnosticInfo>(), new Shapes.DimTable(), applications: null);
        return _shapes.ShapeOf(node);
    }

    private Shapes.ShapeInference.Tracker? _shapes;

    /// <summary>Starts a group inside the current one; its outputs are set when the call is complete.</summary>
    public int AddGroup(string type, string name, IEnumerable<int> inputs, EquatableArray<int> inputLayers = default)
    {
        Groups.Add(new GroupSpec(type, name, CurrentGroup, inputs.ToEquatableArray(), EquatableArray<int>.Empty, inputLayers));
        return Groups.Count - 1;
    }

    /// <summary>Adds a layer with its typed settings; a hidden one (an operation inside a Lambda, TimeDistributed's
    /// views) is named from <paramref name="prefix"/> with counters of its own.</summary>
    public int AddLayer(LayerKind kind, string? explicitName, SourceSpan span, SourceSpan? nameSpan, LayerConfig config,
        string? prefix = null, bool hidden = false)
    {
        if (hidden)
        {
            // A layer the user never sees: its own counters, so it neither shifts Keras's default names nor collides
            // with the user's.
            _hiddenCounters.TryGetValue(prefix ?? kind.ToString(), out int n);
            _hiddenCounters[prefix ?? kind.ToString()] = n + 1;
            Layers.Add(new LayerSpec(kind, "/" + (prefix ?? kind.ToString()) + "_" + n.ToString(CultureInfo.InvariantCulture), config, span, nameSpan ?? span));
            NodesOfLayer.Add(new List<int>());
            return Layers.Count - 1;
        }

        string name = explicitName ?? DefaultName(kind, prefix);
        if (_usedNames.TryGetValue(name, out int other))
        {
            Diagnostics.Add(new DiagnosticInfo(DiagnosticIds.DuplicateName, nameSpan ?? span,
                new[] { name, Layers[other].Kind == LayerKind.InputLayer ? "input" : "layer" }.ToEquatableArray()));
        }
        else
        {
            _usedNames[name] = Layers.Count;
        }

        Layers.Add(new LayerSpec(kind, name, config, span, nameSpan ?? span));
        NodesOfLayer.Add(new List<int>());
        return Layers.Count - 1;
    }

    /// <summary>For each tensor that carries a Keras mask, the <see cref="LayerKind.Mask"/> node holding it.</summary>
    public Dictionary<int, int> MaskOf { get; } = new();

    /// <summary>The mask node of a tensor, or -1.</summary>
    public int MaskOfNode(int node) => MaskOf.TryGetValue(node, out int mask) ? mask : -1;

    public int AddNode(int layer, List<int> inputs, SourceSpan span, List<SourceSpan> inputSpans, int application = -1, int? group = null,
        LayerConfig? call = null, List<int>? masks = null)
    {
        if (application < 0)
        {
            application = CurrentApplication;
        }

        Nodes.Add(new NodeSpec(layer, inputs.ToEquatableArray(), span, inputSpans.ToEquatableArray(), application, group ?? CurrentGroup, call,
            masks is null ? default : masks.ToEquatableArray()));
        NodesOfLayer[layer].Add(Nodes.Count - 1);
        return Nodes.Count - 1;
    }

    /// <summary>Keras's default model names, in creation order: model, model_1, model_2, …</summary>
    public string DefaultModelName()
    {
        _counters.TryGetValue("model", out int count);
        _counters["model"] = count + 1;
        return count == 0 ? "model" : "model_" + count.ToString(CultureInfo.InvariantCulture);
    }

    private string DefaultName(LayerKind kind, string? prefix)
    {
        // Keras numbers inputs from 1 (input_1) and other layers from none (dense, dense_1, ...). Names the user has
        // already taken explicitly are skipped so that a default never collides with them.
        prefix ??= KerasNames.Prefix(kind);
        while (true)
        {
            _counters.TryGetValue(prefix, out int count);
            _counters[prefix] = count + 1;
            string name = kind == LayerKind.InputLayer
                ? prefix + "_" + (count + 1).ToString(CultureInfo.InvariantCulture)
                : count == 0 ? prefix : prefix + "_" + count.ToString(CultureInfo.InvariantCulture);
            if (!_usedNames.ContainsKey(name))
            {
                return name;
            }
        }
    }
}

/// <summary>Keras's names for layer types.</summary>
internal static class KerasNames
{
    /// <summary>The prefix of a layer's default name: <c>input</c> (numbered from 1), else the snake case of the class
    /// (<c>dense</c>, <c>conv2d_transpose</c>, <c>time_distributed</c>).</summary>
    public static string Prefix(LayerKind kind) => kind == LayerKind.InputLayer ? "input" : KerasNaming.SnakeCase(kind.ToString());
}
