using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Turns a <c>[ModelBuilder]</c> method into a <see cref="ModelSpec"/>: checks the method's form, evaluates its body
/// and flattens the result. The only place that touches compiler objects; what it returns holds none.
/// </summary>
internal static class BuilderParser
{
    public const string AttributeName = "Unrolled.ModelBuilderAttribute";

    /// <summary>The stack the builder is bound and evaluated on. Roslyn binds a method recursively, and some shapes of
    /// broken code cost it a hundred frames per level of nesting (declarations nested in each other's arguments, each
    /// 'var' inferring its type from the next); on the compiler's or the IDE's thread (1–1.5 MB) forty such levels
    /// overflowed the stack, which ends the process. Address space is reserved, not committed: a builder uses what it
    /// needs.</summary>
    internal const int StackSize = 64 * 1024 * 1024;

    /// <summary>Parses one builder method. Never throws (except for cancellation); returns null for code that is too
    /// broken to say anything about (the compiler reports that).</summary>
    public static ModelSpec? Parse(IMethodSymbol method, MethodDeclarationSyntax syntax, SemanticModel semanticModel,
        Func<SyntaxTree, SemanticModel?> semanticModels, CancellationToken cancellationToken)
    {
        // On a thread of our own, with a stack far larger than any builder within SyntaxDepth's bound can use, because a
        // stack overflow cannot be caught. Its cost, about a tenth of a millisecond, is small beside binding the method.
        ModelSpec? result = null;
        OperationCanceledException? cancelled = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = ParseCore(method, syntax, semanticModel, semanticModels, cancellationToken);
            }
            catch (OperationCanceledException e)
            {
                cancelled = e;
            }
            catch (Exception)
            {
                // The generator and analyzer must never take the compiler down, whatever the user has typed. A failure
                // here is our bug; the robustness tests hunt for it, and users see no model rather than a crash.
                result = null;
            }
        }, StackSize)
        {
            IsBackground = true,
            Name = "Unrolled builder evaluation",
        };
        thread.Start();
        thread.Join();
        if (cancelled is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cancelled).Throw();
        }

        return result;
    }

    private static ModelSpec? ParseCore(IMethodSymbol method, MethodDeclarationSyntax syntax, SemanticModel semanticModel,
        Func<SyntaxTree, SemanticModel?> semanticModels, CancellationToken cancellationToken)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        var containing = new List<ContainingType>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingType(Keyword(outer), outer.Name));
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        var diagnostics = new List<DiagnosticInfo>();
        var where = Spans.Of(syntax.Identifier.Parent is null ? syntax : (SyntaxNode)syntax);
        var identifierSpan = IdentifierSpan(syntax);

        string? problem = BuilderFormProblem(method, type, semanticModel.Compilation);
        if (problem is not null)
        {
            diagnostics.Add(new DiagnosticInfo(DiagnosticIds.InvalidBuilder, identifierSpan, new[] { problem }.ToEquatableArray()));
            return Empty(ns, containing, type, method, diagnostics, where);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (SyntaxDepth.FirstTooDeep(syntax, cancellationToken) is { } tooDeep)
        {
            // Measured on the syntax first: Roslyn's operation tree of such a method would overflow the stack.
            diagnostics.Add(TooDeep(Spans.Of(tooDeep)));
            return Empty(ns, containing, type, method, diagnostics, where);
        }

        if (semanticModel.GetOperation(syntax, cancellationToken) is not IMethodBodyOperation body)
        {
            return null;
        }

        var evaluator = new BuilderEvaluator(semanticModel.Compilation, semanticModels, cancellationToken);
        Value result;
        try
        {
            result = evaluator.Run(method, body);
        }
        catch (InsufficientExecutionStackException)
        {
            // Nesting that is shallow in the syntax but deep when evaluated (helpers calling helpers); the evaluator
            // checks its stack as it recurses.
            diagnostics.Add(TooDeep(identifierSpan));
            return Empty(ns, containing, type, method, diagnostics, where);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (evaluator.SawInvalidCode)
        {
            return null;
        }

        var graph = evaluator.Graph;
        diagnostics.AddRange(graph.Diagnostics);
        if (evaluator.Stopped)
        {
            return Empty(ns, containing, type, method, diagnostics, where);
        }

        if (result.Kind != ValueKind.Model)
        {
            diagnostics.Add(new DiagnosticInfo(DiagnosticIds.NoOutputs, identifierSpan,
                new[] { $"The builder '{method.Name}' must return a model created with 'new Model(inputs, outputs)'" +
                        (result.Kind == ValueKind.Unknown ? ", but what it returns is unknown: " + result.Reason : string.Empty) }.ToEquatableArray()));
            return Empty(ns, containing, type, method, diagnostics, where);
        }

        var model = result.Model!;
        var lossFunctions = LossFunctionParser.Parse(type, () => model.Outputs.Select(v => OutputShape(graph, v.Id)).ToList(),
            semanticModel.Compilation, semanticModels, cancellationToken, diagnostics);
        return new ModelSpec(
            ns,
            containing.ToEquatableArray(),
            type.Name,
            method.Name,
            model.Name ?? "model",
            graph.Layers.ToEquatableArray(),
            graph.Nodes.ToEquatableArray(),
            model.Inputs.Select(v => v.Id).ToEquatableArray(),
            model.Outputs.Select(v => v.Id).ToEquatableArray(),
            model.Span,
            model.Inputs.Select(v => v.Origin ?? model.InputsSpan).ToEquatableArray(),
            model.Outputs.Select(v => v.Origin ?? model.OutputsSpan).ToEquatableArray(),
            diagnostics.ToEquatableArray(),
            HasGraph: true,
            graph.Applications.ToEquatableArray(),
            graph.Groups.ToEquatableArray(),
            model.Outputs.Select(v => graph.MaskOfNode(v.Id)).ToEquatableArray(),
            graph.FrozenModels.ToEquatableArray(),
            lossFunctions,
            UserMembers: UserMembers(type));
    }

    /// <summary>The members the user declared in the model's class (not generated code), keyed as
    /// <see cref="Emit.GeneratedMembers"/> keys the generator's own.</summary>
    internal static EquatableArray<UserMember> UserMembers(INamedTypeSymbol type)
    {
        var members = new List<UserMember>();
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared || member.Locations.FirstOrDefault(l => l.IsInSource) is not { SourceTree: { } tree } location
                || IsGenerated(tree))
            {
                continue;
            }

            string? key = member switch
            {
                IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => "ctor(" + Parameters(constructor) + ")",
                IMethodSymbol { MethodKind: MethodKind.Ordinary } method => method.Name + "(" + Parameters(method) + ")",
                IFieldSymbol or IPropertySymbol or INamedTypeSymbol or IEventSymbol => member.Name,
                _ => null,
            };
            if (key is not null)
            {
                var line = location.GetLineSpan();
                members.Add(new UserMember(key, new SourceSpan(tree.FilePath, location.SourceSpan.Start, location.SourceSpan.Length,
                    line.StartLinePosition.Line, line.StartLinePosition.Character, line.EndLinePosition.Line, line.EndLinePosition.Character)));
            }
        }

        return members.ToEquatableArray();

        static string Parameters(IMethodSymbol method)
            => string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));

        // Generated files (ours, when the analyzer runs on the final compilation) start with an <auto-generated/> comment.
        static bool IsGenerated(SyntaxTree tree)
        {
            var text = tree.GetText();
            return text.Length > 0 && text.ToString(new Microsoft.CodeAnalysis.Text.TextSpan(0, System.Math.Min(200, text.Length)))
                .Contains("<auto-generated");
        }
    }

    /// <summary>An output's shape for the loss functions, or null when inferring it fails: the shape step infers it again
    /// and reports the failure (UNR0017) at the model.</summary>
    private static Shapes.TensorShape? OutputShape(GraphBuilder graph, int node)
    {
        try
        {
            return graph.ShapeOf(node);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    private static DiagnosticInfo TooDeep(SourceSpan span)
        => new(DiagnosticIds.NestedTooDeeply, span,
            new[] { SyntaxDepth.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) }.ToEquatableArray());

    private static ModelSpec Empty(string ns, List<ContainingType> containing, INamedTypeSymbol type, IMethodSymbol method,
        List<DiagnosticInfo> diagnostics, SourceSpan where)
        => new(ns, containing.ToEquatableArray(), type.Name, method.Name, "model",
            EquatableArray<LayerSpec>.Empty, EquatableArray<NodeSpec>.Empty, EquatableArray<int>.Empty, EquatableArray<int>.Empty,
            where, EquatableArray<SourceSpan>.Empty, EquatableArray<SourceSpan>.Empty, diagnostics.ToEquatableArray(), HasGraph: false,
            UserMembers: UserMembers(type));

    private static SourceSpan IdentifierSpan(MethodDeclarationSyntax syntax)
    {
        var tree = syntax.SyntaxTree;
        var span = syntax.Identifier.Span;
        var line = tree.GetLineSpan(span);
        return new SourceSpan(tree.FilePath, span.Start, span.Length, line.StartLinePosition.Line, line.StartLinePosition.Character,
            line.EndLinePosition.Line, line.EndLinePosition.Character);
    }

    private static string? BuilderFormProblem(IMethodSymbol method, INamedTypeSymbol type, Compilation compilation)
    {
        var modelType = compilation.GetTypeByMetadataName("Unrolled.Model");
        var baseType = compilation.GetTypeByMetadataName("Unrolled.CompiledModel");
        if (!method.IsStatic)
        {
            return $"The model builder '{method.Name}' must be static: it is evaluated at compile time, never called on an instance";
        }

        if (method.Parameters.Length > 0)
        {
            return $"The model builder '{method.Name}' must take no parameters; use constants or helper methods with constant arguments";
        }

        if (method.IsGenericMethod)
        {
            return $"The model builder '{method.Name}' must not be generic";
        }

        if (!SymbolEqualityComparer.Default.Equals(method.ReturnType, modelType))
        {
            return $"The model builder '{method.Name}' must return Unrolled.Model";
        }

        for (var t = type; t is not null; t = t.ContainingType)
        {
            if (!IsPartial(t))
            {
                return t.Equals(type, SymbolEqualityComparer.Default)
                    ? $"The class '{type.Name}' holding a model builder must be declared 'partial' so the generator can add the model to it"
                    : $"The class '{t.Name}' containing the model class '{type.Name}' must be declared 'partial'";
            }

            if (t.IsGenericType)
            {
                return $"The class '{t.Name}' holding a model builder must not be generic";
            }
        }

        if (type.TypeKind != TypeKind.Class || type.IsStatic || type.IsRecord)
        {
            return $"'{type.Name}' must be a non-static class (not a struct, record or static class) to hold a model";
        }

        if (type.BaseType is { SpecialType: not SpecialType.System_Object } b && !SymbolEqualityComparer.Default.Equals(b, baseType))
        {
            return $"The class '{type.Name}' must not declare a base class: the generated model derives from Unrolled.CompiledModel";
        }

        var builders = type.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName))
            .OrderBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            .ToList();
        if (builders.Count > 1 && !SymbolEqualityComparer.Default.Equals(builders[0], method))
        {
            return $"The class '{type.Name}' already has the model builder '{builders[0].Name}'; a class holds one model, so put this one in a class of its own";
        }

        return null;
    }

    private static bool IsPartial(INamedTypeSymbol type)
        => type.DeclaringSyntaxReferences.Length > 0 && type.DeclaringSyntaxReferences.All(r =>
            r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
        TypeKind.Interface => "interface",
        _ => type.IsRecord ? "record" : "class",
    };
}
