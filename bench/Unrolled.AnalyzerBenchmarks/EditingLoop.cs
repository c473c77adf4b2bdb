using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Unrolled.Analyzers;
using Unrolled.Generator;

namespace Unrolled.AnalyzerBenchmarks;

/// <summary>
/// One keystroke in a builder, as the IDE sees it: the edited file is re-parsed, the compilation rebound and the
/// analyzer run on it (Analyze…), or the generator driver re-run after an edit elsewhere (Generate…, cached).
/// </summary>
[MemoryDiagnoser]
public class EditingLoop
{
    private CSharpCompilation _compilation = null!;
    private SyntaxTree _builder = null!;
    private GeneratorDriver _driver = null!;
    private int _edit;

    [Params(200, 3)]
    public int Layers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(Layers).Assembly.Location));
        _builder = CSharpSyntaxTree.ParseText(Builder(Layers), path: "Model.cs");
        var other = CSharpSyntaxTree.ParseText("class Other { int X => 1; }", path: "Other.cs");
        _compilation = CSharpCompilation.Create("Bench", new[] { _builder, other }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _driver = CSharpGeneratorDriver.Create(new UnrolledGenerator()).RunGenerators(_compilation);
    }

    /// <summary>A builder of <paramref name="layers"/> Dense layers with a residual Add every fourth, written out line by line.</summary>
    private static string Builder(int layers)
    {
        var body = new StringBuilder();
        body.AppendLine("var first = Input([64]);");
        body.AppendLine("var x = first;");
        for (int i = 0; i < layers; i++)
        {
            body.AppendLine(i % 4 == 3 ? "x = Add([x, Dense(64, Activation.Relu)(x)]);" : "x = Dense(64, Activation.Relu)(x);");
        }

        return $$"""
            using Unrolled;
            using static Unrolled.Layers;
            public partial class Deep
            {
                [ModelBuilder]
                static Model Build()
                {
                    {{body}}
                    return new Model(first, Dense(10)(x));
                }
            }
            """;
    }

    [Benchmark]
    public async Task<int> AnalyzeAfterKeystroke()
    {
        // A comment typed into the builder's file: re-parse and re-bind, then analyze, as the IDE does.
        var edited = _compilation.ReplaceSyntaxTree(_builder, _builder.WithChangedText(_builder.GetText().Replace(0, 0, $"// {_edit++}\n")));
        var diagnostics = await edited.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ModelBuilderAnalyzer())).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Length;
    }

    /// <summary>The same keystroke with an analyzer that asks for every builder's operations and does nothing else:
    /// what re-parsing and binding the file costs, which no analyzer can go below.</summary>
    [Benchmark]
    public async Task<int> BindAfterKeystroke()
    {
        var edited = _compilation.ReplaceSyntaxTree(_builder, _builder.WithChangedText(_builder.GetText().Replace(0, 0, $"// {_edit++}\n")));
        var diagnostics = await edited.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new BindingOnly())).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Length;
    }

    [Benchmark]
    public GeneratorDriver GenerateAfterUnrelatedEdit()
    {
        var other = _compilation.SyntaxTrees.Last();
        var edited = _compilation.ReplaceSyntaxTree(other, other.WithChangedText(other.GetText().Replace(0, 0, $"// {_edit++}\n")));
        return _driver.RunGenerators(edited);
    }
}

/// <summary>Binds each method body as the real analyzer does (its operation tree), and reports nothing.</summary>
#pragma warning disable RS1041, RS1036, RS2008 // a benchmark's stand-in, never loaded by a compiler
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class BindingOnly : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor s_none = new("BENCH0001", "none", "none", "bench", DiagnosticSeverity.Hidden, true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(s_none);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(
            c => _ = c.SemanticModel.GetOperation(((Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax)c.Node).Body!, c.CancellationToken),
            Microsoft.CodeAnalysis.CSharp.SyntaxKind.MethodDeclaration);
    }
}
#pragma warning restore RS1041, RS1036, RS2008
