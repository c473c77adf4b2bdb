using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator;

/// <summary>
/// Turns every <c>[ModelBuilder]</c> method into a compiled model. Parse (the only step that sees compiler objects)
/// → shapes (pure) → emit. It reports nothing: the analyzer reports the same diagnostics while the user types, and
/// for an invalid model the generator simply emits nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class UnrolledGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class Steps
    {
        /// <summary>The builder evaluated into plain data.</summary>
        public const string Parse = "Unrolled.Parse";

        /// <summary>Shapes inferred and checked.</summary>
        public const string Analyze = "Unrolled.Analyze";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var specs = context.SyntaxProvider.ForAttributeWithMetadataName(
                BuilderParser.AttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ctx.TargetSymbol is IMethodSymbol method && ctx.TargetNode is MethodDeclarationSyntax syntax
                    ? BuilderParser.Parse(method, syntax, ctx.SemanticModel, tree => ctx.SemanticModel.Compilation.GetSemanticModel(tree), ct)
                    : null)
            .Where(static spec => spec is not null)
            .WithTrackingName(Steps.Parse);

        var models = specs
            .Select(static (spec, _) => Guard.Run(() => ShapeInference.Analyze(spec!)))
            .WithTrackingName(Steps.Analyze);

        context.RegisterSourceOutput(models, static (output, model) =>
        {
            if (model is null || model.HasErrors || !model.Spec.HasGraph)
            {
                return;
            }

            var spec = model.Spec;
            string hint = (spec.Namespace.Length > 0 ? spec.Namespace + "." : string.Empty)
                          + string.Concat(System.Linq.Enumerable.Select(spec.ContainingTypes, t => t.Name + "."))
                          + spec.ClassName + ".g.cs";
            string? code = Guard.Run(() => ModelEmitter.Emit(ExecutionPlan.Create(model)));
            if (code is not null)
            {
                output.AddSource(hint, code);
            }
        });
    }
}
