using System.Linq;
using Microsoft.CodeAnalysis;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>
/// A step of the generator that fails on a valid model (a bug of ours) must not leave the user with only the errors
/// that the missing members cause: the generator reports UNR0017 at the model, naming the step and the exception.
/// </summary>
public class InternalErrorTests
{
    [Theory]
    [InlineData("shape inference")]
    [InlineData("code generation")]
    public void A_failing_step_is_reported_at_the_model_and_emits_only_the_models_surface(string step)
    {
        var compilation = TestCompiler.Compile(TestModels.Mlp);
        UnrolledGenerator.FaultForTests.Value = step;
        GeneratorDriverRunResult result;
        System.Collections.Immutable.ImmutableArray<Diagnostic> diagnostics;
        Compilation output;
        try
        {
            var driver = TestCompiler.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out output, out diagnostics);
            result = driver.GetRunResult();
        }
        finally
        {
            UnrolledGenerator.FaultForTests.Value = null;
        }

        Assert.Null(result.Results.Single().Exception);

        // Only the surface (constructors, inherited API), whose members throw saying why; code using the model compiles.
        string stub = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("was not generated: UNR0017", stub);
        Assert.DoesNotContain("InitializeWeights(global::System.Span<float> weights, ref global::Unrolled.WeightInitializer initializer)\n    {", stub);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string typed = step == "code generation" // the analysis finished, so the ports and the typed members are known
            ? "System.Span<float> p = stackalloc float[FashionMlp.Dense2Size]; model.Predict(new float[FashionMlp.Input1Size], p, batchSize: 1);"
            : string.Empty;
        string user = $$"""
            using Samples;
            using Unrolled;

            public static class UseTheModel
            {
                public static void Run(float[] x, float[] y)
                {
                    var model = new FashionMlp(seed: 42);
                    model.Compile("adam", "categorical_crossentropy");
                    model.Fit(x, y, epochs: 1, verbose: 0);
                    model.SaveWeights("m.weights");
                    {{typed}}
                }
            }
            """;
        var used = output.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(user, TestCompiler.ParseOptions, path: "Use.cs"));
        Assert.Empty(used.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("UNR0017", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("'mnist_model'", message);
        Assert.Contains(step + " step", message);
        Assert.Contains("a fault injected by a test into " + step, message);
        Assert.EndsWith("docs/diagnostics/UNR0017.md", diagnostic.Descriptor.HelpLinkUri);

        // At the model the builder returns, in the user's file.
        var tree = compilation.SyntaxTrees.Single();
        string located = tree.GetText().ToString(diagnostic.Location.SourceSpan);
        Assert.StartsWith("new Model(", located);
        Assert.Equal(tree.FilePath, diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Without_a_fault_the_generator_stays_quiet_and_emits_the_model()
    {
        var (result, _) = TestCompiler.Generate(TestCompiler.Compile(TestModels.Mlp));
        Assert.Single(result.GeneratedTrees);
    }
}
