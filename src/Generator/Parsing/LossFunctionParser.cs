using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Custom losses: the <c>[LossFunction]</c> methods of a model's class, each evaluated at compile time, like a Lambda's
/// function, on a target and a prediction of each distinct output shape. Each evaluation is a small model of its own
/// (inputs <c>y_true</c> and <c>y_pred</c>, output the loss values) that the emitter compiles with the ordinary
/// forward and backward passes, so the loss is differentiated at compile time.
/// </summary>
internal static class LossFunctionParser
{
    public const string AttributeName = "Unrolled.LossFunctionAttribute";

    /// <summary>
    /// Parses the class's loss functions for outputs of <paramref name="outputShapes"/>. A loss that compiles for no
    /// output reports its errors (at the operation that fails); one that compiles for some outputs records why not for
    /// the others, for the error of compiling it there at run time. The outputs' shapes are asked for only when the class
    /// has loss functions.
    /// </summary>
    public static EquatableArray<LossFunctionSpec> Parse(INamedTypeSymbol type, Func<IReadOnlyList<TensorShape?>> outputShapes, Compilation compilation,
        Func<SyntaxTree, SemanticModel?> semanticModels, CancellationToken cancellationToken, List<DiagnosticInfo> diagnostics)
    {
        var methods = type.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName))
            .OrderBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            .ToList();
        if (methods.Count == 0)
        {
            return EquatableArray<LossFunctionSpec>.Empty;
        }

        var shapes = new List<TensorShape>();
        foreach (var shape in outputShapes())
        {
            if (shape is not null && !shapes.Contains(shape))
            {
                shapes.Add(shape);
            }
        }

        var result = new List<LossFunctionSpec>();
        foreach (var method in methods)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var span = IdentifierSpan(method);
            if (FormProblem(method, compilation) is { } problem)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticIds.InvalidBuilder, span, new[] { problem }.ToEquatableArray()));
                continue;
            }

            var graphs = new List<LossGraphSpec>();
            List<DiagnosticInfo>? firstErrors = null;
            bool invalidCode = false;
            foreach (var shape in shapes)
            {
                if (shape.Repeat != 1 || shape.Dims.Any(d => d < 0))
                {
                    graphs.Add(new LossGraphSpec(shape.Dims, null,
                        $"the output's shape {shape.Keras} has an axis known only at run time; a custom loss is compiled for fixed shapes"));
                    continue;
                }

                var (graph, errors, sawInvalidCode) = Evaluate(method, shape, span, type, compilation, semanticModels, cancellationToken);
                if (sawInvalidCode)
                {
                    // The compiler reports the method's errors; say nothing more about it.
                    invalidCode = true;
                    break;
                }

                if (errors.Count > 0)
                {
                    firstErrors ??= errors;
                    graphs.Add(new LossGraphSpec(shape.Dims, null, Describe(errors[0])));
                }
                else
                {
                    graphs.Add(new LossGraphSpec(shape.Dims, graph, null));
                }
            }

            if (invalidCode)
            {
                continue;
            }

            if (firstErrors is not null && graphs.All(g => g.Graph is null))
            {
                // It compiles for no output: the errors are the user's to fix, at the operation that fails.
                diagnostics.AddRange(firstErrors);
                continue;
            }

            result.Add(new LossFunctionSpec(method.Name, KerasNaming.SnakeCase(method.Name), graphs.ToEquatableArray()));
        }

        return result.ToEquatableArray();
    }

    private static (ModelSpec? Graph, List<DiagnosticInfo> Errors, bool SawInvalidCode) Evaluate(IMethodSymbol method, TensorShape shape,
        SourceSpan span, INamedTypeSymbol type, Compilation compilation, Func<SyntaxTree, SemanticModel?> semanticModels,
        CancellationToken cancellationToken)
    {
        var evaluator = new BuilderEvaluator(compilation, semanticModels, cancellationToken);
        Value value;
        int yTrue, yPred;
        try
        {
            (value, yTrue, yPred) = evaluator.RunLoss(method, shape.Dims, shape.DType, span);
        }
        catch (InsufficientExecutionStackException)
        {
            return (null, new List<DiagnosticInfo>
            {
                new(DiagnosticIds.NestedTooDeeply, span, new[] { SyntaxDepth.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) }.ToEquatableArray()),
            }, false);
        }

        if (evaluator.SawInvalidCode)
        {
            return (null, new List<DiagnosticInfo>(), true);
        }

        var graph = evaluator.Graph;
        var errors = graph.Diagnostics.Where(d => !DiagnosticIds.IsWarning(d.Id)).ToList();
        if (errors.Count > 0 || evaluator.Stopped)
        {
            return (null, errors, false);
        }

        if (value.Kind != ValueKind.Tensor)
        {
            errors.Add(new DiagnosticInfo(DiagnosticIds.InvalidArgument, span, new[]
            {
                $"The loss function '{method.Name}' must return a tensor computed from yTrue and yPred, but it returns " +
                (value.Kind == ValueKind.Unknown ? "an unknown value: " + value.Reason : value.Kind.ToString()),
            }.ToEquatableArray()));
            return (null, errors, false);
        }

        foreach (var layer in graph.Layers)
        {
            if (layer.Kind is not (LayerKind.InputLayer or LayerKind.Affine or LayerKind.BinaryOp or LayerKind.UnaryOp or LayerKind.ActivationOp
                or LayerKind.Reduce or LayerKind.MatMul or LayerKind.Permute or LayerKind.Softmax))
            {
                errors.Add(new DiagnosticInfo(DiagnosticIds.InvalidArgument, layer.Span, new[]
                {
                    $"A loss function is written with tensor operations (+ - * /, Ops.*), not layers; '{layer.Name}' is a {layer.Kind} layer",
                }.ToEquatableArray()));
                return (null, errors, false);
            }
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        var spec = new ModelSpec(
            ns,
            EquatableArray<ContainingType>.Empty,
            method.Name,
            method.Name,
            KerasNaming.SnakeCase(method.Name),
            graph.Layers.ToEquatableArray(),
            graph.Nodes.ToEquatableArray(),
            new[] { yTrue, yPred }.ToEquatableArray(),
            new[] { value.Id }.ToEquatableArray(),
            span,
            new[] { span, span }.ToEquatableArray(),
            new[] { value.Origin ?? span }.ToEquatableArray(),
            graph.Diagnostics.ToEquatableArray(),
            HasGraph: true,
            graph.Applications.ToEquatableArray(),
            graph.Groups.ToEquatableArray(),
            IsLossGraph: true);
        var analyzed = ShapeInference.Analyze(spec);
        errors.AddRange(analyzed.Diagnostics.Where(d => !DiagnosticIds.IsWarning(d.Id)));
        return errors.Count > 0 ? (null, errors, false) : (spec, errors, false);
    }

    /// <summary>A diagnostic as the run-time error quotes it.</summary>
    private static string Describe(DiagnosticInfo diagnostic)
        => $"{diagnostic.Id} at line {diagnostic.Span.StartLine + 1}: {string.Join("; ", diagnostic.Arguments)}";

    private static string? FormProblem(IMethodSymbol method, Compilation compilation)
    {
        var tensor = compilation.GetTypeByMetadataName("Unrolled.Tensor");
        bool takesTensors = method.Parameters.Length == 2
            && method.Parameters.All(p => SymbolEqualityComparer.Default.Equals(p.Type, tensor) && p.RefKind == RefKind.None);
        if (!method.IsStatic || method.IsGenericMethod || !takesTensors || !SymbolEqualityComparer.Default.Equals(method.ReturnType, tensor))
        {
            return $"The loss function '{method.Name}' must be a static, non-generic method 'static Tensor {method.Name}(Tensor yTrue, Tensor yPred)'";
        }

        return null;
    }

    private static SourceSpan IdentifierSpan(IMethodSymbol method)
    {
        var location = method.Locations.FirstOrDefault(l => l.IsInSource);
        if (location is null)
        {
            return SourceSpan.None;
        }

        var line = location.GetLineSpan();
        return new SourceSpan(location.SourceTree!.FilePath, location.SourceSpan.Start, location.SourceSpan.Length,
            line.StartLinePosition.Line, line.StartLinePosition.Character, line.EndLinePosition.Line, line.EndLinePosition.Character);
    }
}
