using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Parsing;

internal sealed partial class BuilderEvaluator
{
    /// <summary>
    /// Keras's node API: <c>Output</c>, <c>Input</c>, <c>OutputShape</c>, <c>InputShape</c> (defined only for a layer with
    /// one node) and their <c>Get…At(nodeIndex)</c> forms. On a shared layer the properties are ambiguous: Keras 2
    /// raises at run time and Keras 3 silently picks node 0; here it is a compile-time error with a code fix.
    /// </summary>
    private Value NodeApi(IOperation at, string member, Value layer, IArgumentOperation? indexArgument, Frame frame)
    {
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        if (layer.Kind != ValueKind.Layer)
        {
            return Unsupported(at, $"'{member}' here", layer.Kind == ValueKind.Unknown ? ": " + layer.Reason : "; the layer was not created in the builder");
        }

        var spec = Graph.Layers[layer.Id];
        var nodes = Graph.NodesOfLayer[layer.Id];
        int node;
        if (indexArgument is null)
        {
            if (nodes.Count != 1)
            {
                if (nodes.Count == 0)
                {
                    Report(DiagnosticIds.InvalidArgument, Spans.Of(at.Syntax),
                        $"Layer '{spec.Name}' has not been applied to a tensor yet, so it has no {member.ToLowerInvariant()}");
                }
                else
                {
                    Report(DiagnosticIds.AmbiguousNode, Spans.Of(at.Syntax), spec.Name, nodes.Count.ToString(CultureInfo.InvariantCulture), member,
                        "Get" + member + "At");
                }

                return Value.Unknown($"'{member}' of a layer with {nodes.Count} nodes");
            }

            node = nodes[0];
        }
        else
        {
            var index = Evaluate(indexArgument.Value, frame);
            if (index.Kind == ValueKind.Unknown)
            {
                Report(DiagnosticIds.NonConstantArgument, Spans.OfArgument(indexArgument), "nodeIndex", member, index.Reason ?? "it is not constant");
                return Value.Unknown("unknown node index");
            }

            int i = index is { Kind: ValueKind.Number, IsInteger: true } ? (int)index.Number : -1;
            if (i < 0 || i >= nodes.Count)
            {
                Report(DiagnosticIds.InvalidArgument, Spans.OfArgument(indexArgument),
                    $"Layer '{spec.Name}' has {nodes.Count} node(s){(nodes.Count > 0 ? $", indexed 0 to {nodes.Count - 1}" : string.Empty)}; node {index} does not exist");
                return Value.Unknown("node index out of range");
            }

            node = nodes[i];
        }

        var origin = Spans.Of(at.Syntax);
        // A Lambda's or TimeDistributed's node is its output; its inputs are those of the call, not of that node.
        var inputs = spec.Kind is LayerKind.Lambda or LayerKind.TimeDistributed or LayerKind.Bidirectional
            ? Graph.Applications.First(a => a.Type != "Functional" && a.Model == layer.Id && a.Outputs.Contains(node)).Inputs
            : Graph.Nodes[node].Inputs;
        bool merge = LayerRules.TryOf(spec.Kind)?.Arity(spec).Max > 1 || (spec.Kind == LayerKind.Lambda && inputs.Count > 1);
        return member.Replace("Get", string.Empty).Replace("At", string.Empty) switch
        {
            "Output" => Value.Tensor(node, origin),
            "Input" => merge ? Value.List(inputs.Select(n => Value.Tensor(n, origin)).ToList()) : Value.Tensor(inputs[0], origin),
            "OutputShape" => ShapeValue(node),
            "InputShape" => ShapeValue(inputs[0]),
            _ => Unsupported(at, $"'{member}'"),
        };
    }

    /// <summary>A node's shape as the builder sees it: an array of its per-sample dimensions.</summary>
    private Value ShapeValue(int node)
    {
        var shape = Graph.ShapeOf(node);
        return shape is null
            ? Value.Unknown("the tensor's shape is not defined because of an error at an earlier layer")
            : Value.List(shape.Dims.Select(d => d >= 0 ? Value.Integer(d) : Value.Unknown("that axis is None: its length is given only at run time")).ToList());
    }

    /// <summary>
    /// The node API on a model: node 0 is the model as built, node i its i-th call as a layer, as Keras counts them.
    /// </summary>
    private Value ModelNodeApi(IOperation at, string member, Value model, IArgumentOperation? indexArgument, Frame frame)
    {
        if (model.Kind != ValueKind.Model)
        {
            return model.Kind == ValueKind.Unknown ? model : Unsupported(at, $"'{member}' here");
        }

        var built = model.Model!;
        var calls = Graph.Applications.Where(a => a.Type == "Functional" && a.Model == built.Id).ToList();
        int nodes = 1 + calls.Count;
        if (member is "Outputs" or "Inputs")
        {
            var list = member == "Outputs" ? built.Outputs : built.Inputs;
            return Value.List(list.Select(v => Value.Tensor(v.Id, Spans.Of(at.Syntax))).ToList());
        }

        int node = 0;
        if (indexArgument is null)
        {
            if (nodes > 1)
            {
                Report(DiagnosticIds.AmbiguousNode, Spans.Of(at.Syntax), built.Name ?? "model", nodes.ToString(CultureInfo.InvariantCulture), member,
                    "Get" + member + "At");
                return Value.Unknown("ambiguous model node");
            }
        }
        else
        {
            var index = Evaluate(indexArgument.Value, frame);
            if (index is not { Kind: ValueKind.Number, IsInteger: true } || index.Number < 0 || index.Number >= nodes)
            {
                Report(index.Kind == ValueKind.Unknown ? DiagnosticIds.NonConstantArgument : DiagnosticIds.InvalidArgument, Spans.OfArgument(indexArgument),
                    index.Kind == ValueKind.Unknown ? new[] { "nodeIndex", member, index.Reason ?? "it is not constant" }
                        : new[] { $"Model '{built.Name}' has {nodes} node(s), indexed 0 to {nodes - 1}; node {index} does not exist" });
                return Value.Unknown("invalid node index");
            }

            node = (int)index.Number;
        }

        bool output = member.Contains("Output");
        var tensors = node == 0
            ? (output ? built.Outputs.Select(v => v.Id) : built.Inputs.Select(v => v.Id)).ToList()
            : (output ? calls[node - 1].Outputs : calls[node - 1].Inputs).ToList();
        if (tensors.Count != 1)
        {
            Report(DiagnosticIds.InvalidArgument, Spans.Of(at.Syntax),
                $"Model '{built.Name}' has {tensors.Count} {(output ? "outputs" : "inputs")}; use {(output ? "Outputs" : "Inputs")} for the list");
            return Value.Unknown("several tensors");
        }

        return Value.Tensor(tensors[0], Spans.Of(at.Syntax));
    }
}
