using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;

namespace Unrolled.Analyzers;

/// <summary>
/// Reports shape mismatches, disconnected graphs and builder code that cannot be evaluated, at the exact call or
/// argument, while the user types. It runs the same parse and shape steps as the generator.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModelBuilderAnalyzer : DiagnosticAnalyzer
{
    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = DiagnosticDescriptors.All.ToDictionary(d => d.Id);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = DiagnosticDescriptors.All.ToImmutableArray();

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(BuilderParser.AttributeName);
            if (attribute is null)
            {
                return;
            }

            var models = new ConcurrentDictionary<SyntaxTree, SemanticModel>();
            start.RegisterSyntaxNodeAction(ctx => AnalyzeMethod(ctx, attribute, models), SyntaxKind.MethodDeclaration);
        });
    }

    private static void AnalyzeMethod(SyntaxNodeAnalysisContext context, INamedTypeSymbol attribute, ConcurrentDictionary<SyntaxTree, SemanticModel> models)
    {
        var syntax = (MethodDeclarationSyntax)context.Node;
        if (syntax.AttributeLists.Count == 0
            || context.SemanticModel.GetDeclaredSymbol(syntax, context.CancellationToken) is not IMethodSymbol method
            || !method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute)))
        {
            return;
        }

        var compilation = context.Compilation;
        var spec = BuilderParser.Parse(method, syntax, context.SemanticModel, tree =>
        {
            if (tree == context.SemanticModel.SyntaxTree)
            {
                return context.SemanticModel;
            }

            if (!compilation.ContainsSyntaxTree(tree))
            {
                return null;
            }

#pragma warning disable RS1030 // Helpers called from a builder may live in other files; their bodies are evaluated too.
            return models.GetOrAdd(tree, t => compilation.GetSemanticModel(t));
#pragma warning restore RS1030
        }, context.CancellationToken);
        if (spec is null)
        {
            return;
        }

        var analyzed = Guard.Run(() => ShapeInference.Analyze(spec));
        if (analyzed is null)
        {
            return;
        }

        foreach (var diagnostic in analyzed.Diagnostics)
        {
            if (!s_byId.TryGetValue(diagnostic.Id, out var descriptor))
            {
                continue;
            }

            var location = ToLocation(diagnostic.Span, compilation, syntax);
            context.ReportDiagnostic(Diagnostic.Create(descriptor, location, PropertiesFor(diagnostic, compilation, syntax), diagnostic.Arguments.Cast<object>().ToArray()));
        }
    }

    /// <summary>
    /// What a code fix needs beyond the location: UNR0015 how many nodes and which method; UNR0002 the variable that
    /// holds the missing input (when the Input(…) call initialises a local).
    /// </summary>
    private static ImmutableDictionary<string, string?>? PropertiesFor(DiagnosticInfo diagnostic, Compilation compilation, MethodDeclarationSyntax builder)
    {
        if (diagnostic.Id == DiagnosticDescriptors.AmbiguousNode.Id && diagnostic.Arguments.Count == 4)
        {
            return ImmutableDictionary<string, string?>.Empty.Add("NodeCount", diagnostic.Arguments[1]).Add("Method", diagnostic.Arguments[3]);
        }

        if (diagnostic.Id == DiagnosticDescriptors.GraphDisconnected.Id && diagnostic.Related is { } related)
        {
            var location = ToLocation(related, compilation, builder);
            var node = location.SourceTree?.GetRoot().FindNode(location.SourceSpan, getInnermostNodeForTie: true);
            var use = ToLocation(diagnostic.Span, compilation, builder);
            var useNode = use.SourceTree?.GetRoot().FindNode(use.SourceSpan, getInnermostNodeForTie: true);
            // Only a local declared earlier in the same method as the Model call can be named there.
            if (node?.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                && useNode is not null && Enclosing(declarator) == Enclosing(useNode) && declarator.SpanStart < useNode.SpanStart)
            {
                return ImmutableDictionary<string, string?>.Empty.Add("InputVariable", declarator.Identifier.ValueText);
            }
        }

        return null;
    }

    private static SyntaxNode? Enclosing(SyntaxNode node)
        => node.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax);

    private static Location ToLocation(SourceSpan span, Compilation compilation, MethodDeclarationSyntax builder)
    {
        if (span.Length == 0 && span.FilePath.Length == 0)
        {
            return builder.Identifier.GetLocation();
        }

        var tree = builder.SyntaxTree.FilePath == span.FilePath
            ? builder.SyntaxTree
            : compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == span.FilePath);
        if (tree is null || span.Start + span.Length > tree.Length)
        {
            return builder.Identifier.GetLocation();
        }

        return Location.Create(tree, new TextSpan(span.Start, span.Length));
    }
}
