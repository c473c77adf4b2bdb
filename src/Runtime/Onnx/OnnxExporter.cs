using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;

namespace Unrolled.Onnx;

/// <summary>
/// Turns a model's <see cref="ModelGraph"/> and weights into an ONNX model: the flat computation node by node (groups
/// skipped), each kind as one or a few ONNX operators, the weights as initializers named <c>layer/weight</c> in the
/// layout the operator wants. Values keep the model's own layout (batch first, channels last); operators that want
/// channels first (Conv, pooling, BatchNormalization) get a Transpose on each side, which ONNX Runtime fuses away.
/// Everything is built in memory, so a kind that cannot be expressed throws before anything is written.
/// </summary>
internal sealed partial class OnnxExporter
{
    /// <summary>The oldest operator set written: 17, the first with LayerNormalization, and what most runtimes load.</summary>
    public const int MinOpset = 17;

    /// <summary>The newest operator set written; every operator used is checked against its versions up to here.</summary>
    public const int MaxOpset = 22;

    private readonly ModelDescription _description;
    private readonly ModelGraph _graph;
    private readonly float[] _weights;
    private readonly int _opset;
    private readonly OnnxModel _onnx;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);
    private readonly string?[] _values;
    private readonly string[]?[] _states;
    private GraphNode? _node;

    private OnnxExporter(ModelDescription description, float[] weights, int opset)
    {
        _description = description;
        _graph = description.Graph;
        _weights = weights;
        _opset = opset;
        _values = new string?[_graph.Nodes.Count];
        _states = new string[]?[_graph.Nodes.Count];
        _onnx = new OnnxModel
        {
            IrVersion = IrVersionFor(opset),
            Opset = opset,
            ProducerName = "Unrolled",
            ProducerVersion = ProducerVersion(),
            GraphName = description.Name,
            DocString = $"{description.Name}, exported by Unrolled from its compiled model ({description.ParameterCount.ToString(CultureInfo.InvariantCulture)} parameters).",
        };
    }

    /// <summary>Builds the ONNX model of <paramref name="description"/> with the weights <paramref name="weights"/>.</summary>
    /// <exception cref="NotSupportedException">A node's kind or settings have no ONNX form; the message names the layer.</exception>
    public static OnnxModel Export(ModelDescription description, float[] weights, int opset)
    {
        var exporter = new OnnxExporter(description, weights, opset);
        exporter.Build();
        return exporter._onnx;
    }

    /// <summary>ONNX's IR version released with each operator set (onnx's own table: 17 and 18 came with IR 8, 19 and
    /// 20 with IR 9, 21 and 22 with IR 10).</summary>
    public static long IrVersionFor(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    private static string ProducerVersion()
    {
        var assembly = typeof(CompiledModel).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            version = assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }

    private void Build()
    {
        if (_graph.Nodes.Count == 0)
        {
            throw new NotSupportedException($"The model '{_description.Name}' has no graph description (ModelDescription.Graph is empty), so it cannot be exported to ONNX.");
        }

        // Graph inputs and outputs keep the model's names; every other value gets a name made unique from its layer's.
        foreach (var info in _description.Inputs)
        {
            Reserve(info.Name);
        }

        foreach (var info in _description.Outputs)
        {
            Reserve(info.Name);
        }

        for (int i = 0; i < _graph.Inputs.Count; i++)
        {
            var info = _description.Inputs[i];
            _values[_graph.Inputs[i]] = info.Name;
            _onnx.Inputs.Add(new OnnxValueInfo(info.Name, TypeOf(info.DType), InputShape(i, info)));
        }

        foreach (var node in _graph.Nodes)
        {
            if (node.IsGroup || _values[node.Id] is not null)
            {
                continue;
            }

            _node = node;
            var inputs = new string[node.Inputs.Count];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = _values[node.Inputs[i]] ?? throw new InvalidOperationException($"{node} reads node {node.Inputs[i]}, which has no value yet.");
            }

            _values[node.Id] = Map(node, inputs);
        }

        _node = null;
        for (int i = 0; i < _graph.Outputs.Count; i++)
        {
            var info = _description.Outputs[i];
            string value = _values[_graph.Outputs[i]]!;
            if (value != info.Name)
            {
                Add("Identity", new[] { value }, new[] { info.Name });
            }

            var shape = new OnnxDim[info.Shape.Count + 1];
            shape[0] = OnnxDim.Symbolic("batch");
            for (int d = 0; d < info.Shape.Count; d++)
            {
                shape[d + 1] = info.Shape[d] >= 0 ? OnnxDim.Fixed(info.Shape[d]) : OnnxDim.Symbolic(null);
            }

            _onnx.Outputs.Add(new OnnxValueInfo(info.Name, TypeOf(info.DType), shape));
        }
    }

    private OnnxDim[] InputShape(int input, TensorInfo info)
    {
        var shape = new OnnxDim[info.Shape.Count + 1];
        shape[0] = OnnxDim.Symbolic("batch");
        for (int d = 0; d < info.Shape.Count; d++)
        {
            if (info.Shape[d] >= 0)
            {
                shape[d + 1] = OnnxDim.Fixed(info.Shape[d]);
                continue;
            }

            // A length given at run time keeps the name the generated methods give it (titleLength).
            string? name = null;
            foreach (var length in _description.Lengths)
            {
                if (length.Input == input && length.Axis == d + 1)
                {
                    name = length.Name;
                }
            }

            shape[d + 1] = OnnxDim.Symbolic(name ?? $"{info.Name}_{(d + 1).ToString(CultureInfo.InvariantCulture)}");
        }

        return shape;
    }

    private static OnnxType TypeOf(DType dtype) => dtype == DType.Int32 ? OnnxType.Int32 : OnnxType.Float;

    // ---- names ----

    private void Reserve(string name)
    {
        if (!_names.Add(name))
        {
            throw new NotSupportedException($"The model '{_description.Name}' has two inputs or outputs called '{name}'; ONNX needs distinct names.");
        }
    }

    /// <summary>A value or node name not used yet, from <paramref name="hint"/>: <c>dense</c>, then <c>dense#1</c>, ….</summary>
    private string Fresh(string hint)
    {
        if (_names.Add(hint))
        {
            return hint;
        }

        for (int i = 1; ; i++)
        {
            string name = hint + "#" + i.ToString(CultureInfo.InvariantCulture);
            if (_names.Add(name))
            {
                return name;
            }
        }
    }

    /// <summary>A name for a value the current node computes: its layer's name, with <paramref name="step"/> for an
    /// intermediate one (<c>conv2d/transpose</c>).</summary>
    private string ValueName(string? step = null)
    {
        string layer = _node?.Name ?? "output";
        return Fresh(step is null ? layer : layer + "/" + step);
    }

    // ---- nodes and constants ----

    /// <summary>Adds an operator call with the given outputs.</summary>
    private void Add(string op, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
        => _onnx.Nodes.Add(new OnnxNode(op, Fresh((_node?.Name ?? "output") + "/" + op), inputs, outputs, attributes));

    /// <summary>Adds an operator call with one output, named after the current layer (with <paramref name="step"/>),
    /// and returns that name.</summary>
    internal string Op(string op, string[] inputs, string? step, params OnnxAttribute[] attributes)
    {
        string output = ValueName(step);
        Add(op, inputs, new[] { output }, attributes);
        return output;
    }

    /// <summary>A 1-D int64 constant (shapes, axes), shared by every node that needs the same values.</summary>
    internal string Int64s(params long[] values)
    {
        string key = "i64[" + string.Join(",", values) + "]";
        if (!_constants.TryGetValue(key, out string? name))
        {
            name = Fresh("const/" + key);
            _onnx.Initializers.Add(new OnnxTensor(name, new long[] { values.Length }, values));
            _constants[key] = name;
        }

        return name;
    }

    /// <summary>A float scalar constant.</summary>
    internal string Scalar(float value)
    {
        string key = "f32(" + value.ToString("R", CultureInfo.InvariantCulture) + ")";
        if (!_constants.TryGetValue(key, out string? name))
        {
            name = Fresh("const/" + key);
            _onnx.Initializers.Add(new OnnxTensor(name, Array.Empty<long>(), new[] { value }));
            _constants[key] = name;
        }

        return name;
    }

    /// <summary>A float tensor made from the model's weights, named <c>layer/weight</c>; made once however many calls
    /// of a shared layer use it.</summary>
    internal string Initializer(string name, long[] dims, Func<float[]> values)
    {
        if (_initializers.Contains(name))
        {
            return name;
        }

        if (!_names.Add(name))
        {
            throw new NotSupportedException($"Two weights of the model '{_description.Name}' would both be called '{name}' in ONNX.");
        }

        _initializers.Add(name);
        _onnx.Initializers.Add(new OnnxTensor(name, dims, values()));
        return name;
    }

    /// <summary>A weight of the current node as Keras holds it.</summary>
    internal float[] Weight(GraphNode node, string name)
    {
        foreach (var weight in node.Weights)
        {
            if (weight.Name == name)
            {
                return _weights.AsSpan(weight.Offset, weight.Size).ToArray();
            }
        }

        throw Unsupported(node, $"it has no weight '{name}'");
    }

    internal static int[] WeightShape(GraphNode node, string name)
    {
        foreach (var weight in node.Weights)
        {
            if (weight.Name == name)
            {
                return weight.Shape.ToArray();
            }
        }

        throw Unsupported(node, $"it has no weight '{name}'");
    }

    internal static bool HasWeight(GraphNode node, string name) => node.Weights.Any(w => w.Name == name);

    internal static string WeightName(GraphNode node, string name) => node.Name + "/" + name;

    internal static NotSupportedException Unsupported(GraphNode node, string why)
        => new($"Layer '{node.Name}' ({node.ClassName}, kind {node.Kind}) cannot be exported to ONNX: {why}.");

    // ---- operators whose form depends on the operator set ----

    /// <summary>A reduction over <paramref name="axes"/>: ReduceSum takes the axes as an input since opset 13, the
    /// others (ReduceMean, ReduceMax, ReduceSumSquare) since opset 18, before which they are an attribute.</summary>
    internal string Reduce(string op, string x, long[] axes, bool keepDims, string? step)
    {
        var keep = OnnxAttribute.Int("keepdims", keepDims ? 1 : 0);
        return op == "ReduceSum" || _opset >= 18
            ? Op(op, new[] { x, Int64s(axes) }, step, keep)
            : Op(op, new[] { x }, step, OnnxAttribute.Ints("axes", axes), keep);
    }

    internal string Transpose(string x, long[] perm, string step) => Op("Transpose", new[] { x }, step, OnnxAttribute.Ints("perm", perm));

    /// <summary>Batch-first channels-last [N, spatial…, C] to channels-first [N, C, spatial…].</summary>
    private string ToChannelsFirst(string x, int rank)
    {
        var perm = new long[rank];
        perm[1] = rank - 1;
        for (int i = 2; i < rank; i++)
        {
            perm[i] = i - 1;
        }

        return Transpose(x, perm, "to_channels_first");
    }

    /// <summary>Channels-first [N, C, spatial…] back to channels-last [N, spatial…, C].</summary>
    private string ToChannelsLast(string x, int rank, string? step = null)
    {
        var perm = new long[rank];
        for (int i = 1; i < rank - 1; i++)
        {
            perm[i] = i + 1;
        }

        perm[rank - 1] = 1;
        return Transpose(x, perm, step ?? "to_channels_last");
    }

    /// <summary>
    /// Aligns a per-sample shape of lower rank to <paramref name="rank"/> for broadcasting: Keras broadcasts the
    /// per-sample shapes from the right, but ONNX would line the batch axis up with a per-sample one, so the missing
    /// axes are inserted after the batch.
    /// </summary>
    private string Align(string x, int ownRank, int rank)
    {
        if (ownRank >= rank)
        {
            return x;
        }

        var axes = new long[rank - ownRank];
        for (int i = 0; i < axes.Length; i++)
        {
            axes[i] = i + 1;
        }

        return Op("Unsqueeze", new[] { x, Int64s(axes) }, "unsqueeze", Array.Empty<OnnxAttribute>());
    }

    /// <summary>Copies <paramref name="source"/>, of shape <paramref name="shape"/>, with its axes permuted as NumPy's
    /// <c>transpose(perm)</c>: result axis i is source axis perm[i].</summary>
    private static float[] Permute(float[] source, int[] shape, int[] perm)
    {
        int rank = shape.Length;
        var outShape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            outShape[i] = shape[perm[i]];
        }

        var sourceStrides = new int[rank];
        for (int i = rank - 1, stride = 1; i >= 0; stride *= shape[i], i--)
        {
            sourceStrides[i] = stride;
        }

        var result = new float[source.Length];
        var index = new int[rank];
        for (int o = 0; o < result.Length; o++)
        {
            int at = 0;
            for (int i = 0; i < rank; i++)
            {
                at += index[i] * sourceStrides[perm[i]];
            }

            result[o] = source[at];
            for (int i = rank - 1; i >= 0; i--)
            {
                if (++index[i] < outShape[i])
                {
                    break;
                }

                index[i] = 0;
            }
        }

        return result;
    }

    internal static long[] Longs(IEnumerable<int> values) => values.Select(v => (long)v).ToArray();
}
