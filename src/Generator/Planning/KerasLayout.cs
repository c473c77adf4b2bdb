using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Planning;

/// <summary>Where Keras keeps one layer's weights: what <see cref="KerasLayout"/> computes per layer.</summary>
/// <param name="Path">The group of Keras 3's saving_lib that holds the layer's <c>vars</c> (<c>layers/dense_1</c>,
/// <c>layers/lstm/cell</c>, <c>layers/functional/layers/dense</c>).</param>
/// <param name="TopLayer">The name of the entry of the model's <c>model.layers</c> that holds the layer: the layer
/// itself, or the nested model or TimeDistributed wrapper around it (Keras 2 files group weights by it).</param>
/// <param name="FirstWeight">The position of the layer's first weight in Keras's <c>model.weights</c>.</param>
internal sealed record KerasPlace(string Path, string TopLayer, int FirstWeight);

/// <summary>
/// Keras's order of a model's layers and the paths its saving code gives them, so that weight files written by Keras
/// can be read by position as Keras reads them. <c>model.layers</c> is ordered by depth from the outputs (deepest
/// first), equal depths by first visit in a depth-first walk from the outputs (keras/src/ops/function.py,
/// <c>_build_map</c>); this is not always the order in which the builder created the layers. A container of layers is
/// saved as <c>snake_case(class name)</c>, with <c>_1</c>, <c>_2</c>, … for later layers of the same class
/// (keras/src/saving/saving_lib.py, <c>_save_container_state</c>).
/// </summary>
internal static class KerasLayout
{
    /// <summary>Per layer index: where Keras keeps its weights (null for layers without weights).</summary>
    public static KerasPlace?[] Compute(AnalyzedModel model)
    {
        var spec = model.Spec;
        var places = new KerasPlace?[spec.Layers.Count];
        var used = new HashSet<int>(model.UsedNodes);
        int weight = 0;
        var top = Order(spec, used, scope: -1, spec.Outputs.ToList(), new HashSet<int>());
        Place(model, used, top, "layers/", topLayer: null, places, ref weight);
        return places;
    }

    /// <summary>An operation of a Keras graph: a layer, or a nested model / wrapper / Lambda shown as one layer.</summary>
    private sealed record Operation(int Layer, int Application)
    {
        public bool IsApplication => Application >= 0;
    }

    private static void Place(AnalyzedModel model, HashSet<int> used, List<Operation> operations, string prefix, string? topLayer,
        KerasPlace?[] places, ref int weight)
    {
        var spec = model.Spec;
        var counters = new Dictionary<string, int>();
        foreach (var operation in operations)
        {
            string? className = ClassName(spec, operation);
            if (className is null)
            {
                continue; // a tensor operation: not a layer in Keras 3, so not in model.layers
            }

            string snake = KerasNaming.SnakeCase(className);
            if (counters.TryGetValue(snake, out int count))
            {
                counters[snake] = ++count;
                snake += "_" + count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                counters[snake] = 0;
            }

            string path = prefix + snake;
            if (!operation.IsApplication)
            {
                var layer = spec.Layers[operation.Layer];
                if (model.WeightsOf(operation.Layer).Count > 0 && places[operation.Layer] is null)
                {
                    places[operation.Layer] = new KerasPlace(path + LayerRules.Of(layer.Kind).WeightPathSuffix, topLayer ?? layer.Name, weight);
                    weight += model.WeightsOf(operation.Layer).Count;
                }

                continue;
            }

            var application = spec.Applications[operation.Application];
            string owner = topLayer ?? application.ModelName;
            if (application.Type == "Functional")
            {
                var inner = Order(spec, used, operation.Application, application.Outputs.ToList(), new HashSet<int>(application.Inputs));
                Place(model, used, inner, path + "/layers/", owner, places, ref weight);
            }
            else if (application.Type == "Bidirectional")
            {
                // Keras keeps the two directions under the wrapper's attributes forward_layer and backward_layer, in
                // that order (the forward layer is applied first).
                string[] attributes = { "/forward_layer", "/backward_layer" };
                int next = 0;
                foreach (int n in model.UsedNodes)
                {
                    var node = spec.Nodes[n];
                    if (node.Application == operation.Application && model.WeightsOf(node.Layer).Count > 0 && next < attributes.Length)
                    {
                        var layer = spec.Layers[node.Layer];
                        if (places[node.Layer] is null)
                        {
                            places[node.Layer] = new KerasPlace(path + attributes[next] + LayerRules.Of(layer.Kind).WeightPathSuffix, owner, weight);
                            weight += model.WeightsOf(node.Layer).Count;
                        }

                        next++;
                    }
                }
            }
            else if (application.Type == "TimeDistributed")
            {
                // The wrapped layer is the wrapper's attribute `layer`; a wrapped model keeps its layers below it.
                var wrappedModel = spec.Applications.Select((a, i) => (a, i))
                    .FirstOrDefault(x => x.a.Type == "Functional" && x.a.Outputs.Count > 0 && spec.Nodes[x.a.Outputs[0]].Application == operation.Application);
                if (wrappedModel.a is not null)
                {
                    var inner = Order(spec, used, operation.Application, wrappedModel.a.Outputs.ToList(), new HashSet<int>(wrappedModel.a.Inputs));
                    Place(model, used, inner, path + "/layer/layers/", owner, places, ref weight);
                }
                else
                {
                    foreach (int n in model.UsedNodes)
                    {
                        var node = spec.Nodes[n];
                        if (node.Application == operation.Application && model.WeightsOf(node.Layer).Count > 0 && places[node.Layer] is null)
                        {
                            var layer = spec.Layers[node.Layer];
                            places[node.Layer] = new KerasPlace(path + "/layer" + LayerRules.Of(layer.Kind).WeightPathSuffix, owner, weight);
                            weight += model.WeightsOf(node.Layer).Count;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Keras's class name of an operation, or null for a tensor operation (not a Keras 3 layer).</summary>
    private static string? ClassName(ModelSpec spec, Operation operation)
    {
        if (operation.IsApplication)
        {
            return spec.Applications[operation.Application].Type;
        }

        var kind = spec.Layers[operation.Layer].Kind;
        var rule = LayerRules.Of(kind);
        return rule.IsKerasLayer(kind) ? rule.KerasClass(kind) : null;
    }

    /// <summary>
    /// The operations of one graph (the model, or a nested model's application) in Keras's <c>model.layers</c> order:
    /// nodes of other applications are collapsed into one operation per application, as Keras sees a nested model.
    /// </summary>
    private static List<Operation> Order(ModelSpec spec, HashSet<int> used, int scope, List<int> outputs, HashSet<int> inputs)
    {
        // A Keras node: one call of an operation; identified by its producing spec node (or application).
        (string Key, Operation Op, List<int> Inputs)? NodeOf(int tensor)
        {
            var node = spec.Nodes[tensor];
            if (inputs.Contains(tensor))
            {
                return ("input:" + tensor, new Operation(-1 - tensor, -1), new List<int>());
            }

            if (scope >= 0 && node.Application != scope)
            {
                return ("input:" + tensor, new Operation(-1 - tensor, -1), new List<int>()); // outside the nested graph
            }

            if (node.Application == scope)
            {
                // A step the generator adds as a view (a returned state, TimeDistributed's folding) is no Keras node:
                // it belongs to the call of the layer it reads.
                var layer = spec.Layers[node.Layer];
                var rule = LayerRules.Of(layer.Kind);
                if (rule.IsView(layer) && !rule.IsKerasLayer(layer.Kind))
                {
                    return node.Inputs.Count > 0 ? NodeOf(node.Inputs[0]) : null;
                }

                return ("node:" + tensor, new Operation(node.Layer, -1), node.Inputs.ToList());
            }

            var application = spec.Applications[node.Application];
            // Every call of one nested model (or wrapper) is the same operation: its first application stands for it.
            int first = Enumerable.Range(0, spec.Applications.Count)
                .First(i => spec.Applications[i].Type == application.Type && spec.Applications[i].Model == application.Model);
            return ("app:" + node.Application, new Operation(-1, first), application.Inputs.ToList());
        }

        var finished = new HashSet<string>();
        var inProgress = new HashSet<string>();
        var decreasingDepth = new List<(string Key, Operation Op, List<int> Inputs)>();
        var operationIndex = new Dictionary<Operation, int>();

        void Visit(int tensor)
        {
            var found = NodeOf(tensor);
            if (found is not { } node || finished.Contains(node.Key) || inProgress.Contains(node.Key))
            {
                return;
            }

            if (!operationIndex.ContainsKey(node.Op))
            {
                operationIndex[node.Op] = operationIndex.Count;
            }

            inProgress.Add(node.Key);
            foreach (int input in node.Inputs)
            {
                if (used.Contains(input) || inputs.Contains(input))
                {
                    Visit(input);
                }
            }

            inProgress.Remove(node.Key);
            finished.Add(node.Key);
            decreasingDepth.Add(node);
        }

        foreach (int output in outputs)
        {
            Visit(output);
        }

        var nodeDepth = new Dictionary<string, int>();
        var operationDepth = new Dictionary<Operation, int>();
        for (int i = decreasingDepth.Count - 1; i >= 0; i--)
        {
            var node = decreasingDepth[i];
            nodeDepth.TryGetValue(node.Key, out int depth);
            operationDepth.TryGetValue(node.Op, out int previous);
            depth = System.Math.Max(depth, previous);
            operationDepth[node.Op] = depth;
            nodeDepth[node.Key] = depth;
            foreach (int input in node.Inputs)
            {
                if (NodeOf(input) is { } parent)
                {
                    nodeDepth.TryGetValue(parent.Key, out int parentDepth);
                    nodeDepth[parent.Key] = System.Math.Max(depth + 1, parentDepth);
                }
            }
        }

        return operationDepth.Keys
            .Where(op => op.Layer >= 0 || op.IsApplication)
            .OrderByDescending(op => operationDepth[op])
            .ThenBy(op => operationIndex[op])
            .ToList();
    }
}
