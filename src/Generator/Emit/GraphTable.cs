using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Planning;

namespace Unrolled.Generator.Emit;

/// <summary>
/// The rows of the run-time <c>ModelGraph</c>: every used node, in order, with the groups (calls of nested models,
/// Lambdas, TimeDistributed layers) placed before their first member, and a nested model's Input layers as the first
/// members of its group (passing on the tensor the model is applied to, as Keras draws them).
/// </summary>
internal static class GraphTable
{
    /// <summary>One <c>GraphNode</c>: its constructor's arguments.</summary>
    internal sealed class Row
    {
        public Row(string name, string className, string kind, int parent)
            => (Name, ClassName, Kind, Parent) = (name, className, kind, parent);

        public string Name { get; }

        public string ClassName { get; }

        /// <summary>The member of <c>Unrolled.GraphNodeKind</c>.</summary>
        public string Kind { get; }

        public int Parent { get; }

        public List<int> Inputs { get; } = new();

        public int[] Shape { get; set; } = System.Array.Empty<int>();

        /// <summary>The settings as Python keyword arguments (<c>units=64, use_bias=True</c>).</summary>
        public string Config { get; set; } = string.Empty;

        public int FirstWeight { get; set; } = -1;

        public int WeightCount { get; set; }

        /// <summary>For a group: the rows of its outputs.</summary>
        public List<int>? Outputs { get; set; }

        public bool IsInt32 { get; set; }
    }

    /// <summary>The table: rows, then the model's inputs and outputs as row indices.</summary>
    internal sealed record Table(List<Row> Rows, List<int> Inputs, List<int> Outputs);

    public static Table Build(ExecutionPlan plan)
    {
        var model = plan.Model;
        var spec = model.Spec;
        var rows = new List<Row>();
        var rowOfNode = new Dictionary<int, int>();
        var rowOfGroup = new Dictionary<int, int>();
        var inputLayerRows = new Dictionary<int, int[]>();

        // Weights are listed layer after layer in first-use order; a layer's tensors are contiguous.
        var firstWeight = new Dictionary<int, int>();
        int weightCount = 0;
        foreach (int layer in plan.Layers)
        {
            firstWeight[layer] = weightCount;
            weightCount += model.WeightsOf(layer).Count;
        }

        int[] ShapeOf(int node)
            => node >= 0 && node < model.Shapes.Count && model.Shapes[node].Shape is { } shape
                ? shape.Dims.Select(d => d >= 0 ? d : -1).ToArray()
                : System.Array.Empty<int>();

        // A tensor as the row that reads it sees it: inside a nested model, the model's input that carries it.
        int Resolve(int node, int context)
        {
            for (int g = context; g >= 0 && g < spec.Groups.Count; g = spec.Groups[g].Parent)
            {
                int index = spec.Groups[g].Inputs.ToList().IndexOf(node);
                if (spec.Groups[g].Type == "Functional" && index >= 0 && inputLayerRows.TryGetValue(g, out var inputs) && inputs[index] >= 0)
                {
                    return inputs[index];
                }
            }

            return rowOfNode.TryGetValue(node, out int row) ? row : -1;
        }

        int EnsureGroup(int group)
        {
            if (group < 0 || group >= spec.Groups.Count)
            {
                return -1;
            }

            if (rowOfGroup.TryGetValue(group, out int existing))
            {
                return existing;
            }

            var g = spec.Groups[group];
            int parent = g.Parent == group ? -1 : EnsureGroup(g.Parent);
            string kind = g.Type is "Lambda" or "TimeDistributed" ? g.Type : "Functional";
            var row = new Row(g.Name, kind, kind, parent) { Outputs = new List<int>() };
            row.Inputs.AddRange(g.Inputs.Select(i => Resolve(i, g.Parent)).Where(i => i >= 0));
            int id = rows.Count;
            rows.Add(row);
            rowOfGroup[group] = id;
            if (kind == "Functional")
            {
                var inputs = new int[g.Inputs.Count];
                for (int i = 0; i < g.Inputs.Count; i++)
                {
                    int outer = Resolve(g.Inputs[i], g.Parent);
                    inputs[i] = -1;
                    if (outer < 0)
                    {
                        continue; // only a part of the model that does not need this input is used
                    }

                    var inputLayer = i < g.InputLayers.Count && g.InputLayers[i] >= 0 && g.InputLayers[i] < spec.Layers.Count
                        ? spec.Layers[g.InputLayers[i]]
                        : null;
                    var inputRow = new Row(inputLayer?.Name ?? "input", "InputLayer", "InputLayer", id)
                    {
                        Shape = rows[outer].Shape,
                        IsInt32 = rows[outer].IsInt32,
                        Config = "dtype=" + (rows[outer].IsInt32 ? "'int32'" : "'float32'"),
                    };
                    inputRow.Inputs.Add(outer);
                    inputs[i] = rows.Count;
                    rows.Add(inputRow);
                }

                inputLayerRows[group] = inputs;
            }

            return id;
        }

        foreach (int n in model.UsedNodes)
        {
            var node = spec.Nodes[n];
            var layer = spec.Layers[node.Layer];
            int parent = EnsureGroup(node.Group);
            bool listedInput = spec.Inputs.Contains(n);
            var kind = listedInput ? LayerKind.InputLayer : layer.Kind;
            var row = new Row(DisplayName(layer.Name), ClassName(kind), KindName(kind), parent)
            {
                Shape = ShapeOf(n),
                IsInt32 = kind == LayerKind.InputLayer && layer.DType == 1,
                Config = listedInput && layer.Kind != LayerKind.InputLayer ? "dtype='float32'" : Config(layer, kind),
            };
            if (!listedInput)
            {
                row.Inputs.AddRange(node.Inputs.Select(i => Resolve(i, node.Group)).Where(i => i >= 0));
                int weights = model.WeightsOf(node.Layer).Count;
                if (weights > 0 && firstWeight.TryGetValue(node.Layer, out int first))
                {
                    row.FirstWeight = first;
                    row.WeightCount = weights;
                }
            }

            rowOfNode[n] = rows.Count;
            rows.Add(row);
        }

        foreach (var entry in rowOfGroup)
        {
            var g = spec.Groups[entry.Key];
            var row = rows[entry.Value];
            row.Outputs!.AddRange(g.Outputs.Select(o => Resolve(o, entry.Key)).Where(o => o >= 0 && o != entry.Value));
            row.Shape = row.Outputs.Count > 0 ? rows[row.Outputs[0]].Shape : g.Outputs.Count > 0 ? ShapeOf(g.Outputs[0]) : System.Array.Empty<int>();
        }

        return new Table(
            rows,
            spec.Inputs.Select(i => Resolve(i, -1)).Where(i => i >= 0).ToList(),
            spec.Outputs.Select(o => Resolve(o, -1)).Where(o => o >= 0).ToList());
    }

    /// <summary>A layer's name; a hidden one's (<c>/tf.math.exp_0</c>, marked with the slash) as Keras would number it.</summary>
    private static string DisplayName(string name)
    {
        if (!name.StartsWith("/", System.StringComparison.Ordinal))
        {
            return name;
        }

        name = name.Substring(1);
        return name.EndsWith("_0", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - 2) : name;
    }

    internal static string KindName(LayerKind kind) => kind == LayerKind.Select ? "RecurrentState" : kind.ToString();

    /// <summary>The class <c>plot_model</c> prints: the Keras class, <c>TFOpLambda</c> for an operation.</summary>
    private static string ClassName(LayerKind kind) => kind switch
    {
        LayerKind.UnaryOp or LayerKind.ActivationOp or LayerKind.Affine or LayerKind.BinaryOp or LayerKind.Reduce => "TFOpLambda",
        _ => KindName(kind),
    };

    private static readonly string[] s_unary = { "math.abs", "math.exp", "math.log", "math.sqrt", "math.square" };
    private static readonly string[] s_binary = { "__operators__.add", "math.subtract", "math.multiply", "math.truediv", "math.maximum", "math.minimum" };

    /// <summary>The layer's settings, named as Keras's <c>get_config()</c>.</summary>
    internal static string Config(LayerSpec layer, LayerKind kind)
    {
        var c = new Settings();
        int Get(int i) => i < layer.Config.Count ? layer.Config[i] : 0;
        bool oneD = kind.IsOneDimensional();
        int[] Pair(int i) => oneD ? new[] { Get(i + 1) } : new[] { Get(i), Get(i + 1) };
        switch (kind)
        {
            case LayerKind.InputLayer:
                c.Text("dtype", layer.DType == 1 ? "int32" : "float32");
                break;
            case LayerKind.Dense:
                c.Int("units", layer.Units).Text("activation", Activation(layer.Activation)).Bool("use_bias", layer.UseBias);
                break;
            case LayerKind.Concatenate:
                c.Int("axis", layer.Axis);
                break;
            case LayerKind.Dot:
                c.Int("axes", layer.Axis).Bool("normalize", layer.UseBias);
                break;
            case LayerKind.UnaryOp:
                c.Text("function", layer.Units >= 0 && layer.Units < s_unary.Length ? s_unary[layer.Units] : "?");
                break;
            case LayerKind.ActivationOp:
                string activation = Activation(layer.Units);
                c.Text("function", activation switch { "tanh" => "math.tanh", "sigmoid" => "math.sigmoid", _ => "nn." + activation })
                    .Text("activation", activation);
                break;
            case LayerKind.Affine:
                c.Number("scale", layer.Scale).Number("shift", layer.Shift);
                break;
            case LayerKind.BinaryOp:
                c.Text("function", layer.Units >= 0 && layer.Units < s_binary.Length ? s_binary[layer.Units] : "?");
                break;
            case LayerKind.Reduce:
                c.Text("function", layer.Units == 0 ? "math.reduce_sum" : "math.reduce_mean").Int("axis", layer.Axis).Bool("keepdims", layer.UseBias);
                break;
            case LayerKind.Fold or LayerKind.Unfold:
                c.Int("steps", layer.Units >= 0 ? layer.Units : -1);
                break;
            case LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose or LayerKind.SeparableConv2D:
                c.Int("filters", layer.Units).Ints("kernel_size", Pair(0)).Ints("strides", Pair(2)).Text("padding", Get(6) == 1 ? "same" : "valid")
                    .Text("data_format", "channels_last").Ints("dilation_rate", Pair(4));
                if (kind == LayerKind.SeparableConv2D)
                {
                    c.Int("depth_multiplier", Get(7));
                }

                c.Text("activation", Activation(layer.Activation)).Bool("use_bias", layer.UseBias);
                break;
            case LayerKind.MaxPooling1D or LayerKind.MaxPooling2D or LayerKind.AveragePooling1D or LayerKind.AveragePooling2D:
                c.Ints("pool_size", Pair(0)).Text("padding", Get(4) == 1 ? "same" : "valid").Ints("strides", Pair(2)).Text("data_format", "channels_last");
                break;
            case LayerKind.GlobalMaxPooling1D or LayerKind.GlobalMaxPooling2D or LayerKind.GlobalAveragePooling1D or LayerKind.GlobalAveragePooling2D:
                c.Text("data_format", "channels_last").Bool("keepdims", false);
                break;
            case LayerKind.UpSampling2D:
                c.Ints("size", new[] { Get(0), Get(1) }).Text("data_format", "channels_last").Text("interpolation", "nearest");
                break;
            case LayerKind.Reshape:
                c.Ints("target_shape", layer.Shape.ToArray());
                break;
            case LayerKind.Flatten:
                c.Text("data_format", "channels_last");
                break;
            case LayerKind.Embedding:
                c.Int("input_dim", Get(0)).Int("output_dim", layer.Units);
                break;
            case LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN:
                c.Int("units", layer.Units).Text("activation", "tanh");
                if (kind != LayerKind.SimpleRNN)
                {
                    c.Text("recurrent_activation", "sigmoid");
                }

                c.Bool("use_bias", layer.UseBias).Bool("return_sequences", Get(0) == 1).Bool("return_state", Get(2) == 1);
                if (kind == LayerKind.LSTM)
                {
                    c.Bool("unit_forget_bias", Get(1) == 1);
                }
                else if (kind == LayerKind.GRU)
                {
                    c.Bool("reset_after", Get(1) == 1);
                }

                break;
            case LayerKind.Dropout:
                c.Number("rate", layer.Scale);
                break;
            case LayerKind.Activation:
                c.Text("activation", Activation(layer.Activation));
                break;
            case LayerKind.BatchNormalization:
                c.Int("axis", -1).Number("momentum", layer.Scale).Number("epsilon", layer.Shift).Bool("center", Get(0) == 1).Bool("scale", Get(1) == 1);
                break;
            case LayerKind.Select:
                c.Int("index", layer.Units);
                break;
        }

        return c.ToString();
    }

    /// <summary>Keras's name of an activation (<c>relu</c>, <c>hard_sigmoid</c>).</summary>
    private static string Activation(int activation)
        => activation >= 0 && activation < ActivationInfo.Count ? KerasNames.SnakeCase(ActivationInfo.Names[activation]) : "linear";

    /// <summary>Settings written as Python keyword arguments, which <c>LayerSetting.ParseList</c> reads.</summary>
    private sealed class Settings
    {
        private readonly StringBuilder _text = new();

        public Settings Int(string name, int value) => Add(name, N(value));

        public Settings Bool(string name, bool value) => Add(name, value ? "True" : "False");

        public Settings Text(string name, string value) => Add(name, "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'");

        public Settings Ints(string name, int[] values) => Add(name, "(" + string.Join(", ", values.Select(N)) + (values.Length == 1 ? ",)" : ")"));

        public Settings Number(string name, double value)
        {
            if (double.IsNaN(value))
            {
                return Add(name, "nan");
            }

            if (double.IsInfinity(value))
            {
                return Add(name, value > 0 ? "inf" : "-inf");
            }

            // As Python's repr: 0.5, 2.0, 1e-05.
            string text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
            return Add(name, text.IndexOfAny(new[] { '.', 'e' }) >= 0 ? text : text + ".0");
        }

        public override string ToString() => _text.ToString();

        private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

        private Settings Add(string name, string value)
        {
            _text.Append(_text.Length > 0 ? ", " : string.Empty).Append(name).Append('=').Append(value);
            return this;
        }
    }
}
