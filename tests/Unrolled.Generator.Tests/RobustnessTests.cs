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

    /// <summary>The mutation classes that found faults at scale: nesting thousands deep, loops that never end or run a
    /// hundred million times, statements repeated, absurd constants. Each must give diagnostics, quickly.</summary>
    public static IEnumerable<object[]> HostileBuilders()
    {
        string Nest(string open, string inner, string close, int depth)
            => string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

        yield return new object[] { "calls nested 2,000 deep", $"var x = Input([2]); var y = {Nest("Dense(2)(", "x", ")", 2000)}; return new Model(x, y);", "UNR0018" };
        yield return new object[] { "calls and an expression nested 2,000 deep",
            $"var x = Input([2]); var y = {Nest("Dense(2)(", "x", ")", 2000)}; int k = {Nest("-(", "1", ")", 2000)}; return new Model(x, y);", "UNR0018" };
        yield return new object[] { "an expression nested 5,000 deep", $"var x = Input([2]); int k = {Nest("(1 + ", "1", ")", 5000)}; return new Model(x, Dense(k)(x));", "UNR0018" };
        yield return new object[] { "a helper nested 2,000 deep",
            "var x = Input([2]); return new Model(x, Deep(x));", "UNR0018",
            $"static Tensor Deep(Tensor x) => {Nest("Dense(2)(", "x", ")", 2000)};" };
        yield return new object[] { "calls nested 40 deep (legal)", $"var x = Input([2]); var y = {Nest("Dense(2)(", "x", ")", 40)}; return new Model(x, y);", "" };
        yield return new object[] { "two loops of a hundred million layer calls",
            "var x = Input([4]); for (int i = 0; i < 100000000; i++) x = Dense(4)(x); for (int j = 0; j < 100000000; j++) x = Dense(4)(x); return new Model(x, x);", "UNR0012" };
        yield return new object[] { "a loop that never ends", "var x = Input([4]); while (true) x = Dense(4)(x);", "UNR0012" };
        yield return new object[] { "a hundred million plain steps", "var x = Input([4]); long k = 0; for (int i = 0; i < 100000000; i++) k += i; return new Model(x, Dense(2)(x));", "UNR0012" };
        yield return new object[] { "25,000 layer calls", "var x = Input([4]); for (int i = 0; i < 25000; i++) x = Dense(4)(x); return new Model(x, x);", "UNR0012" };
        yield return new object[] { "nested loops of layers", "var x = Input([4]); for (int i = 0; i < 100000; i++) for (int j = 0; j < 100000; j++) x = Add()([x, Dense(4)(x)]); return new Model(x, x);", "UNR0012" };
        // Found by tests/fuzz.sh: a cut declaration repeated parses as declarations nested in each other's arguments,
        // which Roslyn binds with about a hundred frames per level (the type of each 'var' inferred from the next). At
        // 40 levels that overflowed the generator's 1 MB thread inside Roslyn's binder (now the builder is bound on a
        // thread of its own); at 150 the C# compiler (Roslyn 5.12) itself overflows binding it on a thread-pool
        // thread, with no generator or analyzer loaded, so only the generator is run there.
        yield return new object[] { "a cut declaration repeated 150 times (compiler-fatal)",
            string.Concat(Enumerable.Repeat("var image = Input([12, 12, 2], ", 150)) + "return null;", "generator-only" };
        yield return new object[] { "a cut declaration repeated 40 times",
            string.Concat(Enumerable.Repeat("var image = Input([12, 12, 2], ", 40)) + "return null;", "?" };
        yield return new object[] { "a statement repeated 200 times",
            "var x = Input([4]); var h = x; " + string.Concat(Enumerable.Repeat("h = Dense(4, Activation.Relu)(h); ", 200)) + "return new Model(x, Dense(2)(h));", "" };
        yield return new object[] { "a merge repeated 200 times",
            "var x = Input([4]); var h = Dense(4)(x); " + string.Concat(Enumerable.Repeat("h = Add()([h, Dense(4)(x)]); ", 200)) + "return new Model(x, h);", "" };
        yield return new object[] { "huge units", "var x = Input([4]); return new Model(x, Dense(int.MaxValue)(x));", "UNR0009" };
        yield return new object[] { "a huge input", "var x = Input([int.MaxValue, int.MaxValue, int.MaxValue]); return new Model(x, Dense(2)(x));", "*" };
        yield return new object[] { "a huge reshape", "var x = Input([4]); return new Model(x, Reshape([1 << 30, 1 << 30, 1 << 30])(x));", "*" };
        yield return new object[] { "huge convolution", "var x = Input([8, 8, 2]); return new Model(x, Conv2D(int.MaxValue, int.MaxValue)(x));", "*" };
        // Found by tests/fuzz.sh: a window far longer than a sequence whose length is known only at run time.
        yield return new object[] { "a huge kernel over a run-time length",
            "var words = Input([null], DType.Int32); var s = GlobalMaxPool1D()(Conv1D(3, 65536)(Reshape([-1, 4])(Embedding(50, 4)(words)))); return new Model(words, s);", "generator UNR0009" };
        yield return new object[] { "a huge embedding", "var x = Input([4], DType.Int32); return new Model(x, Embedding(int.MaxValue, int.MaxValue)(x));", "*" };
        yield return new object[] { "a huge loop bound in a helper", "var x = Input([4]); return new Model(x, Stack(x, int.MaxValue));", "UNR0012",
            "static Tensor Stack(Tensor x, int n) { for (int i = 0; i < n; i++) x = Dense(4)(x); return x; }" };
    }

    [Theory]
    [MemberData(nameof(HostileBuilders))]
    public void Hostile_builders_give_diagnostics_quickly_and_never_crash(string name, string body, string expected, string members = "")
    {
        var outcome = Hostile.Run(Infrastructure.Sources.Builder(body, members), analyzer: expected != "generator-only");
        var unrolled = outcome.Analyzer.Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)).ToList();
        switch (expected)
        {
            case "":
                Assert.True(outcome.Analyzer.Concat(outcome.Parser).All(d => d.Severity != DiagnosticSeverity.Error), $"{name}: {TestCompiler.Describe(outcome.Analyzer)}");
                break;
            case "*":
                // Absurd sizes: an error of ours, any (UNR0001 or UNR0009), never a crash or an overflowed number.
                Assert.True(unrolled.Any(d => d.Severity == DiagnosticSeverity.Error), $"{name}: {TestCompiler.Describe(outcome.Analyzer)}");
                break;
            case "generator UNR0009":
                // Only planning finds it (the layer's scratch, not a tensor, overflows), so the generator reports it.
                var error = Assert.Single(outcome.Generator, d => d.Id == "UNR0009");
                Assert.Contains("Conv1D 'conv1d' would need working buffers of more than 2,147,483,647 values", error.GetMessage());
                return;
            case "?" or "generator-only":
                // Broken beyond a model: whatever is reported, only a crash, a throw or a stall fails.
                return;
            case "UNR0018" when outcome.Parser.Any(d => d.Id == "CS8078"):
                // Roslyn's parser gives up on nesting its thread's stack cannot hold ("an expression is too long or
                // complex"), and then the compiler reports it; what is left is ordinary broken code.
                return;
            default:
                Assert.True(outcome.Reports(expected), $"{name}: expected {expected}, got {TestCompiler.Describe(outcome.Analyzer)}");
                break;
        }

        if (expected == "UNR0018")
        {
            // At the place: the squiggle is inside the builder (or its helper), not on the whole file.
            var diagnostic = unrolled.First(d => d.Id == "UNR0018");
            Assert.True(diagnostic.Location.IsInSource);
            Assert.Contains("more than 200 levels", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
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
