using System.Linq;
using System.Threading.Tasks;
using Unrolled.CodeFixes;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>The model-inputs code fixes: each fixed builder is checked again by the analyzer and the generator.</summary>
public class CodeFixTests
{
    private static async Task<string> FixAsync(string markup, string expectedTitle)
    {
        var (source, expected) = Markup.Parse(markup);
        var diagnostics = (await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)).ToList();
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(expected.Single().Span, diagnostic.Location.SourceSpan);
        var (title, fixedSource) = Assert.Single(await CodeFixRunner.ApplyEachAsync(new ModelInputsCodeFix(), source, diagnostic));
        Assert.Equal(expectedTitle, title);

        var fixedCompilation = TestCompiler.Compile(fixedSource);
        Assert.Empty((await TestCompiler.AnalyzeAsync(fixedCompilation)).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)));
        Assert.Single(TestCompiler.Generate(fixedCompilation).Result.GeneratedTrees);
        return fixedSource;
    }

    [Fact]
    public async Task Missing_input_is_added_to_a_single_input()
    {
        string result = await FixAsync(Sources.Builder("""
            var a = Input([4]);
            var extra = Input([4], name: "extra");
            var y = Add([a, extra]);
            return new Model(a, {|UNR0002:y|});
            """), "Add 'extra' to the model's inputs");
        Assert.Contains("return new Model([a, extra], y);", result);
    }

    [Fact]
    public async Task Missing_input_is_appended_to_a_list()
    {
        string result = await FixAsync(Sources.Builder("""
            var a = Input([4]);
            var b = Input([4]);
            var c = Input([4]);
            return new Model(inputs: [a, b], outputs: {|UNR0002:Add([a, b, c])|});
            """), "Add 'c' to the model's inputs");
        Assert.Contains("new Model(inputs: [a, b, c], outputs:", result);
    }

    [Fact]
    public async Task Unused_input_is_removed()
    {
        string result = await FixAsync(Sources.Builder("""
            var a = Input([4]);
            var b = Input([4]);
            return new Model(new[] { a, {|UNR0010:b|} }, Dense(2)(a));
            """), "Remove 'b' from the model's inputs");
        Assert.Contains("return new Model([a], Dense(2)(a));", result);
    }

    [Fact]
    public async Task No_fix_is_offered_for_a_list_held_in_a_variable()
    {
        var (source, _) = Markup.Parse(Sources.Builder("""
            var a = Input([4]);
            var extra = Input([4]);
            Tensor[] inputs = [a];
            return new Model(inputs, {|UNR0002:Add([a, extra])|});
            """));
        var diagnostic = Assert.Single((await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id == "UNR0002"));
        Assert.Empty(await CodeFixRunner.ApplyEachAsync(new ModelInputsCodeFix(), source, diagnostic));
    }
}
