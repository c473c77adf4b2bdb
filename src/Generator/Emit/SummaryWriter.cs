using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;

namespace Unrolled.Generator.Emit;

/// <summary>
/// Writes <c>model.summary()</c> as Keras 2 prints it (the format of the tutorials): a three-column table for a
/// plain chain, a four-column table with "Connected to" for any other graph. A model used as a layer is one row,
/// <c>encoder (Functional)</c>, as in Keras.
/// </summary>
internal static class SummaryWriter
{
    /// <summary>A row of the table: a layer's top-level nodes, or a nested model's calls.</summary>
    private sealed class Row
    {
        public Row(string name, string type) => (Name, Type) = (name, type);

        public string Name { get; }

        public string Type { get; }

        /// <summary>Each call: the tensors it takes and the tensors it gives.</summary>
        public List<(IReadOnlyList<int> Inputs, IReadOnlyList<int> Outputs)> Calls { get; } = new();

        public HashSet<int> Layers { get; } = new();

        /// <summary>A nested model's or Lambda's row: its calls are numbered by call, not by layer node.</summary>
        public bool IsGroup { get; init; }
    }

    public static string Write(ExecutionPlan plan)
    {
        var model = plan.Model;
        var spec = model.Spec;
        var rows = Rows(plan);
        bool sequential = IsSequentialLike(spec, rows);
        int lineLength = sequential ? 65 : 98;
        int[] positions = sequential
            ? new[] { (int)(lineLength * 0.45), (int)(lineLength * 0.85), lineLength }
            : new[] { (int)(lineLength * 0.33), (int)(lineLength * 0.55), (int)(lineLength * 0.67), lineLength };
        string[] header = sequential
            ? new[] { "Layer (type)", "Output Shape", "Param #" }
            : new[] { "Layer (type)", "Output Shape", "Param #", "Connected to" };

        // Keras names a connection after the row that produced the tensor, that row's call and the tensor's index.
        var producedBy = new Dictionary<int, string>();
        foreach (var row in rows)
        {
            for (int c = 0; c < row.Calls.Count; c++)
            {
                for (int t = 0; t < row.Calls[c].Outputs.Count; t++)
                {
                    int call = row.IsGroup ? c : plan.NodeIndexInLayer[row.Calls[c].Outputs[0]];
                    producedBy[row.Calls[c].Outputs[t]] = $"{row.Name}[{call}][{t}]";
                }
            }
        }

        var text = new StringBuilder();
        text.Append("Model: \"").Append(spec.ModelName).Append("\"\n");
        text.Append('_', lineLength).Append('\n');
        text.Append(Format(header, positions)).Append('\n');
        text.Append('=', lineLength).Append('\n');
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            string shape = OutputShape(plan, row);
            string parameters = row.Layers.Sum(l => model.ParameterCounts[l]).ToString(CultureInfo.InvariantCulture);
            string name = row.Name + " (" + row.Type + ")";
            if (sequential)
            {
                text.Append(Format(new[] { name, shape, parameters }, positions)).Append('\n');
            }
            else
            {
                var connections = row.Calls.SelectMany(c => c.Inputs).Select(n => producedBy.TryGetValue(n, out var p) ? p : "?").ToList();
                text.Append(Format(new[] { name, shape, parameters, connections.FirstOrDefault() ?? string.Empty }, positions)).Append('\n');
                foreach (string connection in connections.Skip(1))
                {
                    text.Append(Format(new[] { string.Empty, string.Empty, string.Empty, connection }, positions)).Append('\n');
                }
            }

            text.Append(i == rows.Count - 1 ? '=' : '_', lineLength).Append('\n');
        }

        // State (BatchNormalization's moving statistics) and every weight of a layer the builder froze, as Keras counts them.
        int frozen = plan.Layers.Sum(l => model.WeightsOf(l).Where(w => !w.Trainable || !model.Spec.Layers[l].Trainable).Sum(w => w.Size));
        text.Append("Total params: ").Append(plan.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("Trainable params: ").Append((plan.ParameterCount - frozen).ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("Non-trainable params: ").Append(frozen.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        text.Append('_', lineLength).Append('\n');

        // Not in Keras's table: the memory a call works in, fixed at compile time.
        if (plan.ActivationSize >= 0 && plan.Predict.ActivationSize >= 0 && plan.Gradients.ActivationSize >= 0 && plan.Scratch >= 0)
        {
            // Prediction reuses regions once read; training keeps every activation for backward, and reuses gradients.
            long predict = (long)plan.Predict.ActivationSize + plan.Scratch;
            long train = (long)plan.ActivationSize + plan.Gradients.ActivationSize + plan.Scratch;
            text.Append("Workspace: ").Append(Floats(predict)).Append(" per sample to predict; ")
                .Append(Floats(train)).Append(" per sample to train, plus a gradient per weight")
                .Append(plan.BoundedScratch.Count > 0 ? ", and the fixed-shape layers' working space once, whatever the batch\n" : "\n");
        }
        else
        {
            text.Append("Workspace: sized per call from the run-time lengths\n");
        }
        return text.ToString();
    }

    private static string Floats(long floats)
        => floats.ToString("N0", CultureInfo.InvariantCulture) + " floats (" + (floats * 4 / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " KiB)";

    /// <summary>The table's rows in first-use order: top-level layers, and one row per nested model.</summary>
    private static List<Row> Rows(ExecutionPlan plan)
    {
        var spec = plan.Model.Spec;
        var rows = new List<Row>();
        var byLayer = new Dictionary<int, Row>();
        var byModel = new Dictionary<(string, int), Row>();
        var seenApplications = new HashSet<int>();
        foreach (int n in plan.Model.UsedNodes)
        {
            var node = spec.Nodes[n];
            if (node.Application >= 0)
            {
                var application = spec.Applications[node.Application];
                if (!byModel.TryGetValue((application.Type, application.Model), out var modelRow))
                {
                    modelRow = new Row(application.ModelName, application.Type) { IsGroup = true };
                    byModel[(application.Type, application.Model)] = modelRow;
                    rows.Add(modelRow);
                }

                modelRow.Layers.Add(node.Layer);
                if (seenApplications.Add(node.Application))
                {
                    modelRow.Calls.Add((application.Inputs, application.Outputs));
                }

                continue;
            }

            if (spec.Layers[node.Layer].Kind == LayerKind.RecurrentState && byLayer.TryGetValue(spec.Nodes[node.Inputs[0]].Layer, out var producer))
            {
                // A recurrent layer's returned state is one more output of that layer's call, as Keras lists it.
                int call = producer.Calls.FindIndex(c => c.Outputs[0] == node.Inputs[0]);
                producer.Calls[call] = (producer.Calls[call].Inputs, producer.Calls[call].Outputs.Concat(new[] { n }).ToList());
                continue;
            }

            if (!byLayer.TryGetValue(node.Layer, out var row))
            {
                var kind = spec.Layers[node.Layer].Kind;
                row = new Row(spec.Layers[node.Layer].Name, LayerRules.Of(kind).KerasClass(kind));
                row.Layers.Add(node.Layer);
                byLayer[node.Layer] = row;
                rows.Add(row);
            }

            row.Calls.Add((node.Inputs, new[] { n }));
        }

        return rows;
    }

    /// <summary>Keras's test: one input and output, each row called once on the previous row's output.</summary>
    private static bool IsSequentialLike(ModelSpec spec, List<Row> rows)
    {
        if (spec.Inputs.Count != 1 || spec.Outputs.Count != 1 || rows.Any(r => r.Calls.Count != 1))
        {
            return false;
        }

        for (int i = 1; i < rows.Count; i++)
        {
            var inputs = rows[i].Calls[0].Inputs;
            if (inputs.Count != 1 || rows[i - 1].Calls[0].Outputs.Count != 1 || inputs[0] != rows[i - 1].Calls[0].Outputs[0])
            {
                return false;
            }
        }

        return rows[rows.Count - 1].Calls[0].Outputs.SequenceEqual(new[] { spec.Outputs[0] });
    }

    private static string OutputShape(ExecutionPlan plan, Row row)
    {
        var shapes = row.Calls.Select(c => c.Outputs.Count == 1
            ? plan.Model.ShapeOf(c.Outputs[0]).Keras
            : "[" + string.Join(", ", c.Outputs.Select(o => plan.Model.ShapeOf(o).Keras)) + "]").Distinct().ToList();
        if (shapes.Count != 1)
        {
            return "multiple";
        }

        return row.Type == nameof(LayerKind.InputLayer) ? "[" + shapes[0] + "]" : shapes[0];
    }

    /// <summary>Keras's print_row: each field cut or padded to end at its column, one space kept between fields.</summary>
    private static string Format(string[] fields, int[] positions)
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
