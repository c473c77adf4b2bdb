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
/// → shapes (pure) → emit. It reports no model diagnostics: the analyzer reports them while the user types, and for
/// an invalid model the generator simply emits nothing. It reports one of its own, UNR0017, when a step of its own
/// fails on a model (a bug in Unrolled), so that the missing members are explained.
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
            .Select(static (spec, _) => Analyze(spec!))
            .WithTrackingName(Steps.Analyze);

        context.RegisterSourceOutput(models, static (output, result) =>
        {
            var spec = result.Spec;
            if (result.Failure is not null)
            {
                output.ReportDiagnostic(InternalError(spec, "shape inference", result.Failure));
                return;
            }

            var model = result.Model;
            if (model is null || model.HasErrors || !spec.HasGraph)
            {
                return;
            }

            string hint = (spec.Namespace.Length > 0 ? spec.Namespace + "." : string.Empty)
                          + string.Concat(System.Linq.Enumerable.Select(spec.ContainingTypes, t => t.Name + "."))
                          + spec.ClassName + ".g.cs";
            string? code = Guard.Run(() =>
            {
                Inject("code generation");
                return ModelEmitter.Emit(ExecutionPlan.Create(model));
            }, out string? failure);
            if (code is not null)
            {
                output.AddSource(hint, code);
            }
            else
            {
                output.ReportDiagnostic(InternalError(spec, "code generation", failure ?? "no code was produced"));
            }
        });
    }

    /// <summary>Tests set a step's name here to make that step fail as a bug in it would (per async flow, so that
    /// tests running in parallel do not see each other's faults).</summary>
    internal static readonly System.Threading.AsyncLocal<string?> FaultForTests = new();

    private static void Inject(string step)
    {
        if (FaultForTests.Value == step)
        {
            throw new System.InvalidOperationException("a fault injected by a test into " + step);
        }
    }

    private static AnalysisResult Analyze(ModelSpec spec)
    {
        var model = Guard.Run(() =>
        {
            Inject("shape inference");
            return ShapeInference.Analyze(spec);
        }, out string? failure);
        return new AnalysisResult(spec, model, failure);
    }

    private static Diagnostic InternalError(ModelSpec spec, string step, string failure)
    {
        var span = spec.ModelSpan.FilePath.Length > 0 ? spec.ModelSpan : spec.OutputSpans.Count > 0 ? spec.OutputSpans[0] : SourceSpan.None;
        string name = spec.ModelName.Length > 0 ? spec.ModelName : spec.ClassName;
        return Diagnostic.Create(GeneratorDiagnostics.InternalError, GeneratorDiagnostics.ToLocation(span), name, step, failure);
    }

    /// <summary>What the shape step produced for one builder: the analysed model, or why analysing it failed.</summary>
    private sealed record AnalysisResult(ModelSpec Spec, AnalyzedModel? Model, string? Failure);
}
