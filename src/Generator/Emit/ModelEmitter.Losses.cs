using System.Linq;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>
/// Custom losses: the class's <c>Losses</c>, one property per <c>[LossFunction]</c> method, and for each output shape
/// the method compiled for a private nested model whose inputs are the targets and predictions and whose output is the
/// loss values. Its forward and backward passes are written like any model's, so the loss is differentiated at compile
/// time and its gradient with respect to the predictions comes out of the ordinary backward pass.
/// </summary>
internal sealed partial class ModelEmitter
{
    /// <summary>Set for a loss graph's emitter: its class is nested in the model's, private and sealed.</summary>
    private bool _nested;

    private void WriteLossFunctions()
    {
        if (_spec.LossFunctions.Count == 0)
        {
            return;
        }

        _w.Line();
        _w.Line("/// <summary>The custom losses of this class (its <c>[LossFunction]</c> methods), compiled at build time for its outputs;");
        _w.Line("/// pass one to <c>Compile</c> as a loss.</summary>");
        _w.Open("public static class Losses");
        foreach (var loss in _spec.LossFunctions)
        {
            _w.Line($"/// <summary>The loss <see cref=\"{loss.MethodName}\"/> (\"{Xml(loss.KerasName)}\"), differentiated at compile time.</summary>");
            _w.Open($"public static {Rt}CustomLoss {loss.MethodName} {{ get; }} = new {Rt}CustomLoss({Naming.Literal(loss.KerasName)}, new {Rt}CustomLossGraph[]");
            for (int g = 0; g < loss.Graphs.Count; g++)
            {
                var graph = loss.Graphs[g];
                string shape = "new int[] { " + string.Join(", ", graph.Shape.Select(N)) + " }";
                _w.Line(graph.Graph is null
                    ? $"new {Rt}CustomLossGraph({shape}, {Naming.Literal(graph.Failure ?? "it could not be compiled")}),"
                    : $"new {Rt}CustomLossGraph({shape}, static () => new {GraphClass(loss, g)}()),");
            }

            _w.Close(");");
        }

        _w.Close();
        foreach (var loss in _spec.LossFunctions)
        {
            for (int g = 0; g < loss.Graphs.Count; g++)
            {
                if (loss.Graphs[g].Graph is not { } graph)
                {
                    continue;
                }

                var emitter = new ModelEmitter(ExecutionPlan.Create(ShapeInference.Analyze(graph with { ClassName = GraphClass(loss, g) })))
                {
                    _nested = true,
                };
                emitter.WriteClass();
                _w.Line();
                foreach (string line in emitter._w.ToString().TrimEnd('\n').Split('\n'))
                {
                    _w.Line(line);
                }
            }
        }
    }

    private static string GraphClass(LossFunctionSpec loss, int graph) => "__" + loss.MethodName + "Loss" + N(graph);
}
