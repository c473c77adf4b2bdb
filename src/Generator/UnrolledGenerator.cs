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
/// an invalid model the generator emits only the model's public surface, whose members throw naming the errors. It reports one of its own, UNR0017, when a step of its own
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

        /// <summary>The model as code generation reads it, without source positions.</summary>
        public const string Prepare = "Unrolled.Prepare";

        /// <summary>The generated source (or why generating it failed).</summary>
        public const string Emit = "Unrolled.Emit";

        /// <summary>The public surface of a model whose builder has errors.</summary>
        public const string Stub = "Unrolled.Stub";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var specs = context.SyntaxProvider.ForAttributeWithMetadataName(
                BuilderParser.AttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ctx.TargetSymbol is IMethodSymbol method && ctx.TargetNode is MethodDeclarationSyntax syntax
                    ? BuilderParser.Parse(method, syntax, ctx.SemanticModel,
                        tree => tree == ctx.SemanticModel.SyntaxTree ? ctx.SemanticModel : ctx.SemanticModel.Compilation.GetSemanticModel(tree), ct)
                    : null)
            .Where(static spec => spec is not null)
            .WithTrackingName(Steps.Parse);

        var models = specs
            .Select(static (spec, _) => Analyze(spec!))
            .WithTrackingName(Steps.Analyze);

        // Code generation reads the model without positions: a line added above the builder re-runs parsing and
        // analysis (their diagnostics move), but this step's output is unchanged, so the emitted source stays cached.
        var emitted = models
            .Select(static (result, _) => result.Failure is null && result.Model is { HasErrors: false } model && result.Spec.HasGraph
                ? model.WithoutPositions()
                : null)
            .WithTrackingName(Steps.Prepare)
            .Select(static (model, _) => model is null ? null : Emit(model))
            .WithTrackingName(Steps.Emit);

        context.RegisterSourceOutput(emitted, static (output, result) =>
        {
            if (result?.Code is { } code)
            {
                output.AddSource(result.HintName, code);
            }
        });

        // A builder with errors still gets the model's public surface, whose members throw naming the errors, so that
        // code using the model compiles and the builder's diagnostics are the build's only errors.
        var stubs = models
            .Select(static (result, _) => result.Failure is null && result.Model is { } model && StubEmitter.Applies(model)
                ? Guard.Run(() => new Stub(HintName(result.Spec), StubEmitter.Emit(model)), out string? _)
                : null)
            .WithTrackingName(Steps.Stub);
        context.RegisterSourceOutput(stubs, static (output, stub) =>
        {
            if (stub is not null)
            {
                output.AddSource(stub.HintName, stub.Code);
            }
        });

        // Our own failures (UNR0017), reported at the model: a failed analysis, or a failed generation found by its
        // file name (generation saw no positions). Only lookups here; the work above is cached.
        context.RegisterSourceOutput(models.Collect().Combine(emitted.Collect()), static (output, pair) =>
        {
            var failed = new System.Collections.Generic.Dictionary<string, string>();
            var tooLarge = new System.Collections.Generic.Dictionary<string, string>();
            foreach (var result in pair.Right)
            {
                if (result?.Failure is { } failure)
                {
                    failed[result.HintName] = failure;
                }
                else if (result?.TooLarge is { } message)
                {
                    tooLarge[result.HintName] = message;
                }
            }

            foreach (var result in pair.Left)
            {
                string? why = null;
                if (result.Failure is not null)
                {
                    output.ReportDiagnostic(InternalError(result.Spec, "shape inference", result.Failure));
                    why = "UNR0017: Unrolled failed in shape inference (a bug in Unrolled, please report it): " + result.Failure;
                }
                else if (failed.TryGetValue(HintName(result.Spec), out string? failure))
                {
                    output.ReportDiagnostic(InternalError(result.Spec, "code generation", failure));
                    why = "UNR0017: Unrolled failed in code generation (a bug in Unrolled, please report it): " + failure;
                }
                else if (tooLarge.TryGetValue(HintName(result.Spec), out string? message))
                {
                    output.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.TooLarge, GeneratorDiagnostics.ToLocation(ModelSpan(result.Spec)), message));
                    why = message;
                }

                // The model's surface still, so that code using it compiles and this diagnostic stands alone.
                if (why is not null && StubEmitter.CanExtend(result.Spec)
                    && Guard.Run(() => StubEmitter.Emit(result.Spec, result.Model, $"The model {result.Spec.ClassName} was not generated: {why}")) is { } stub)
                {
                    output.AddSource(HintName(result.Spec), stub);
                }
            }
        });
    }

    /// <summary>The generated file's name: the class's full name.</summary>
    private static string HintName(ModelSpec spec)
        => (spec.Namespace.Length > 0 ? spec.Namespace + "." : string.Empty)
           + string.Concat(System.Linq.Enumerable.Select(spec.ContainingTypes, t => t.Name + "."))
           + spec.ClassName + ".g.cs";

    private static EmitResult Emit(AnalyzedModel model)
    {
        string? tooLarge = null;
        string? code = Guard.Run(() =>
        {
            Inject("code generation");
            try
            {
                return ModelEmitter.Emit(ExecutionPlan.Create(model));
            }
            catch (SizeOverflowException e)
            {
                tooLarge = e.Message;
                return string.Empty;
            }
        }, out string? failure);
        if (tooLarge is not null)
        {
            code = null;
        }

        return new EmitResult(HintName(model.Spec), code, code is null && tooLarge is null ? failure ?? "no code was produced" : null, tooLarge);
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

    private static SourceSpan ModelSpan(ModelSpec spec)
        => spec.ModelSpan.FilePath.Length > 0 ? spec.ModelSpan : spec.OutputSpans.Count > 0 ? spec.OutputSpans[0] : SourceSpan.None;

    private static Diagnostic InternalError(ModelSpec spec, string step, string failure)
    {
        var span = ModelSpan(spec);
        string name = spec.ModelName.Length > 0 ? spec.ModelName : spec.ClassName;
        return Diagnostic.Create(GeneratorDiagnostics.InternalError, GeneratorDiagnostics.ToLocation(span), name, step, failure);
    }

    /// <summary>What the shape step produced for one builder: the analysed model, or why analysing it failed.</summary>
    private sealed record AnalysisResult(ModelSpec Spec, AnalyzedModel? Model, string? Failure);

    /// <summary>The public surface emitted for a builder with errors.</summary>
    private sealed record Stub(string HintName, string Code);

    /// <summary>What code generation produced for one model: its source, or why generating it failed.</summary>
    private sealed record EmitResult(string HintName, string? Code, string? Failure, string? TooLarge = null);
}
