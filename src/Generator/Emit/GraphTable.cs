using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Layers;
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

        /// <summary>The settings under Keras's <c>get_config()</c> keys.</summary>
        public KerasConfig Config { get; set; } = new();

        public int FirstWeight { get; set; } = -1;

        public int WeightCount { get; set; }

        /// <summary>For a group: the rows of its outputs.</summary>
        public List<int>? Outputs { get; set; }

        public bool IsInt32 { get; set; }

        /// <summary>Per input, the row of its mask or -1; null when the node reads no mask.</summary>
        public List<int>? Masks { get; set; }

        /// <summary>How the builder set up the layer (initialisers, regularizers, constraints, trainable): Keras name and
        /// C# value of each <c>LayerSetting</c>.</summary>
        public List<(string Name, string Value)> Setup { get; set; } = new();
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
            string kind = g.Type is "Lambda" or "TimeDistributed" or "Bidirectional" ? g.Type : "Functional";
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
                        Config = InputRule.Describe(new KerasConfig(), rows[outer].IsInt32),
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
            var row = new Row(DisplayName(layer.Name), ClassName(kind), kind.ToString(), parent)
            {
                Shape = ShapeOf(n),
                IsInt32 = layer.Config is InputConfig { DType: 1 },
                Config = listedInput && layer.Kind != LayerKind.InputLayer ? InputRule.Describe(new KerasConfig(), int32: false) : Config(layer, node),
                Setup = listedInput ? new() : Initializers.Setup(layer),
            };
            if (!listedInput)
            {
                row.Inputs.AddRange(node.Inputs.Select(i => Resolve(i, node.Group)).Where(i => i >= 0));
                if (node.Masks.Any(m => m >= 0))
                {
                    row.Masks = node.Masks.Select(m => m >= 0 ? Resolve(m, node.Group) : -1).ToList();
                }

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

    /// <summary>The class <c>plot_model</c> prints: the Keras class, <c>TFOpLambda</c> for an operation.</summary>
    private static string ClassName(LayerKind kind) => LayerRules.Of(kind).KerasClass(kind);

    /// <summary>The layer's settings, named as Keras's <c>get_config()</c>.</summary>
    internal static KerasConfig Config(LayerSpec layer, NodeSpec? node = null)
    {
        var config = new KerasConfig();
        var rule = LayerRules.Of(layer.Kind);
        rule.Describe(layer, config);
        if (node is not null)
        {
            rule.DescribeCall(node, config);
        }

        return config;
    }
}
