using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>
/// Half-typed code: the builder truncated at every token and with each token deleted. The generator and the
/// analyzer must never throw (an analyzer exception surfaces as AD0001; a generator exception as a run-result
/// exception or CS8785).
/// </summary>
public class RobustnessTests
{
    public static IEnumerable<object[]> Sources()
    {
        yield return new object[] { "Mlp", TestModels.Mlp };
        yield return new object[] { "Router", TestModels.Router };
        yield return new object[] { "Everything", TestModels.Everything };
        yield return new object[] { "Sequences", TestModels.Sequences };
        yield return new object[] { "Layers", TestModels.Layers };
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task Mutated_builders_never_crash_the_generator_or_analyzer(string name, string source)
    {
        var mutants = Mutants(source).ToList();
        Assert.True(mutants.Count > 150, $"{name}: only {mutants.Count} mutants");
        foreach (var mutant in mutants)
        {
            var compilation = TestCompiler.Compile(mutant);
            var driver = TestCompiler.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var generatorDiagnostics);
            var run = driver.GetRunResult();
            var thrown = run.Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
            Assert.True(thrown is null, "generator threw on:\n" + mutant + "\n" + thrown);
            Assert.DoesNotContain(generatorDiagnostics, d => d.Id is "CS8784" or "CS8785");

            // A step that fails is caught (Guard) and reported as UNR0017, or for the graph table, emitted as no graph:
            // neither may happen on any input, however broken; the analyzer reports what is wrong with the model.
            var internalError = generatorDiagnostics.FirstOrDefault(d => d.Id == "UNR0017");
            Assert.True(internalError is null, "a generator step failed on:\n" + mutant + "\n" + internalError?.GetMessage());
            Assert.DoesNotContain(run.GeneratedTrees, t => t.ToString().Contains("graph: null", System.StringComparison.Ordinal));

            var analyzerDiagnostics = await TestCompiler.AnalyzeAsync(compilation);
            var crash = analyzerDiagnostics.FirstOrDefault(d => d.Id == "AD0001");
            Assert.True(crash is null, "analyzer threw on:\n" + mutant + "\n" + crash?.GetMessage());
        }
    }

    /// <summary>The source cut after each token of the class, and the source with each token of the builder removed.</summary>
    private static IEnumerable<string> Mutants(string source)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();
        var tokens = root.DescendantTokens().Where(t => t.SpanStart >= source.IndexOf("partial class", System.StringComparison.Ordinal)).ToList();
        foreach (var token in tokens)
        {
            yield return source.Substring(0, token.Span.End);
        }

        foreach (var token in tokens.Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)))
        {
            yield return source.Remove(token.SpanStart, token.Span.Length);
        }
    }
}
