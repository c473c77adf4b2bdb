using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;

namespace Unrolled.Generator.Emit;

/// <summary>
/// Writes <c>model.summary()</c> as Keras 2 prints it (the format of the tutorials): a three-column table for a
/// plain chain of layers, a four-column table with "Connected to" for any other graph.
/// </summary>
internal static class SummaryWriter
{
    public static string Write(ExecutionPlan plan)
    {
        var model = plan.Model;
        var spec = model.Spec;
        bool sequential = IsSequentialLike(plan);
        int lineLength = sequential ? 65 : 98;
        int[] positions = sequential
            ? new[] { (int)(lineLength * 0.45), (int)(lineLength * 0.85), lineLength }
            : new[] { (int)(lineLength * 0.33), (int)(lineLength * 0.55), (int)(lineLength * 0.67), lineLength };
        string[] header = sequential
            ? new[] { "Layer (type)", "Output Shape", "Param #" }
            : new[] { "Layer (type)", "Output Shape", "Param #", "Connected to" };

        var text = new StringBuilder();
        text.Append("Model: \"").Append(spec.ModelName).Append("\"\n");
        text.Append('_', lineLength).Append('\n');
        text.Append(Row(header, positions)).Append('\n');
        text.Append('=', lineLength).Append('\n');
        var used = new HashSet<int>(model.UsedNodes);
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            int layerIndex = plan.Layers[i];
            var layer = spec.Layers[layerIndex];
            var nodes = model.UsedNodes.Where(n => spec.Nodes[n].Layer == layerIndex).ToList();
            string shape = OutputShape(plan, layer, nodes);
            string parameters = model.ParameterCounts[layerIndex].ToString(CultureInfo.InvariantCulture);
            string name = layer.Name + " (" + layer.Kind + ")";
            if (sequential)
            {
                text.Append(Row(new[] { name, shape, parameters }, positions)).Append('\n');
            }
            else
            {
                var connections = new List<string>();
                foreach (int n in nodes)
                {
                    foreach (int input in spec.Nodes[n].Inputs)
                    {
                        connections.Add($"{spec.Layers[spec.Nodes[input].Layer].Name}[{plan.NodeIndexInLayer[input]}][0]");
                    }
                }

                text.Append(Row(new[] { name, shape, parameters, connections.FirstOrDefault() ?? string.Empty }, positions)).Append('\n');
                foreach (string connection in connections.Skip(1))
                {
                    text.Append(Row(new[] { string.Empty, string.Empty, string.Empty, connection }, positions)).Append('\n');
                }
            }

            text.Append(i == plan.Layers.Count - 1 ? '=' : '_', lineLength).Append('\n');
        }

        string total = plan.ParameterCount.ToString("N0", CultureInfo.InvariantCulture);
        text.Append("Total params: ").Append(total).Append('\n');
        text.Append("Trainable params: ").Append(total).Append('\n');
        text.Append("Non-trainable params: 0\n");
        text.Append('_', lineLength).Append('\n');
        return text.ToString();
    }

    /// <summary>Keras's test: one input, every node has one input (the previous node), no shared layer.</summary>
    private static bool IsSequentialLike(ExecutionPlan plan)
    {
        var model = plan.Model;
        var spec = model.Spec;
        var used = model.UsedNodes;
        if (spec.Inputs.Count != 1 || spec.Outputs.Count != 1 || used.Count != plan.Layers.Count || spec.Outputs[0] != used[used.Count - 1])
        {
            return false;
        }

        for (int i = 1; i < used.Count; i++)
        {
            var inputs = spec.Nodes[used[i]].Inputs;
            if (inputs.Count != 1 || inputs[0] != used[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    private static string OutputShape(ExecutionPlan plan, LayerSpec layer, List<int> nodes)
    {
        var shapes = nodes.Select(n => plan.Model.ShapeOf(n).Keras).Distinct().ToList();
        if (shapes.Count != 1)
        {
            return "multiple";
        }

        return layer.Kind == LayerKind.InputLayer ? "[" + shapes[0] + "]" : shapes[0];
    }

    /// <summary>Keras's print_row: each field cut or padded to end at its column, one space kept between fields.</summary>
    private static string Row(string[] fields, int[] positions)
    {
        string line = string.Empty;
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                line = line.Substring(0, line.Length - 1) + " ";
            }

            line += fields[i];
            if (line.Length > positions[i])
            {
                line = line.Substring(0, positions[i]);
            }

            line += new string(' ', positions[i] - line.Length);
        }

        return line;
    }
}
