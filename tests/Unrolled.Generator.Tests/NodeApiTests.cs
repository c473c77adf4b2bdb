using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Unrolled.CodeFixes;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>Keras's node API in builders, the ambiguous-output diagnostic, and its code fix.</summary>
public class NodeApiTests
{
    [Fact]
    public void Nodes_shapes_and_get_at_resolve_at_compile_time()
    {
        string source = Sources.Builder("""
            var a = Input([8], name: "a");
            var b = Input([8], name: "b");
            var shared = Dense(4, Activation.Tanh);
            var ea = shared(a);
            var eb = shared(b);
            var single = Dense(a.Shape[0] / 2);          // 4 units, from a shape known at compile time
            var s = single(shared.GetOutputAt(1));       // the same tensor as eb
            int width = single.OutputShape[0] + shared.GetInputShapeAt(0)[0]; // 4 + 8
            var merged = Concatenate([shared.GetOutputAt(0), s, single.Input]);
            return new Model([shared.GetInputAt(0), b], Dense(width)(merged));
            """);
        string code = Generated.Code(source);
        // shared 8*4+4 = 36, single 4*4+4 = 20, final dense on 12 -> 12: 12*12+12 = 156
        Assert.Contains("ParameterCount = 212;", code);
        Assert.Contains("dense_1[0][0]", code);
    }

    [Fact]
    public async Task Output_of_a_shared_layer_is_ambiguous_and_the_fix_offers_each_node()
    {
        var (source, expected) = Markup.Parse(Sources.Builder("""
            var a = Input([8]);
            var b = Input([8]);
            var shared = Dense(4);
            var ea = shared(a);
            var eb = shared(b);
            var x = {|UNR0015:shared.Output|};
            return new Model([a, b], Add([x, ea, eb]));
            """));
        var compilation = TestCompiler.Compile(source);
        var diagnostic = Assert.Single((await TestCompiler.AnalyzeAsync(compilation)).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)));
        Assert.Equal(expected.Single().Span, diagnostic.Location.SourceSpan);
        Assert.Contains("has 2 nodes", diagnostic.GetMessage());
        Assert.Contains("GetOutputAt(0)", diagnostic.GetMessage());

        var fixedSources = (await CodeFixRunner.ApplyEachAsync(new AmbiguousNodeCodeFix(), source, diagnostic)).Select(f => f.Source).ToList();
        Assert.Equal(2, fixedSources.Count);
        Assert.Contains("var x = shared.GetOutputAt(0);", fixedSources[0]);
        Assert.Contains("var x = shared.GetOutputAt(1);", fixedSources[1]);

        // The fixed builder is valid: no diagnostics, and the generator emits the model.
        foreach (var text in fixedSources)
        {
            var fixedCompilation = TestCompiler.Compile(text);
            Assert.Empty((await TestCompiler.AnalyzeAsync(fixedCompilation)).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)));
            Assert.Single(TestCompiler.Generate(fixedCompilation).Result.GeneratedTrees);
        }
    }

    [Theory]
    [InlineData("var s = {|UNR0015:shared.InputShape|};", "GetInputShapeAt")]
    [InlineData("var s = {|UNR0015:shared.Input|};", "GetInputAt")]
    public async Task Every_single_node_property_is_checked(string line, string method)
    {
        var (source, _) = Markup.Parse(Sources.Builder($$"""
            var a = Input([8]);
            var shared = Dense(8);
            var x = shared(shared(a));
            {{line}}
            return new Model(a, x);
            """));
        var diagnostic = Assert.Single((await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id == "UNR0015"));
        Assert.Contains(method, diagnostic.GetMessage());
    }

    [Fact]
    public async Task Node_index_out_of_range_and_layer_never_applied_are_reported()
    {
        var (source, expected) = Markup.Parse(Sources.Builder("""
            var a = Input([8]);
            var d = Dense(4);
            var x = d(a);
            var y = d.GetOutputAt({|UNR0009:1|});
            return new Model(a, y);
            """));
        var reported = (await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(e => (e.Id, e.Span)), reported.Select(d => (d.Id, d.Location.SourceSpan)));
        Assert.Contains("has 1 node(s)", reported[0].GetMessage());

        (source, expected) = Markup.Parse(Sources.Builder("""
            var a = Input([8]);
            var d = Dense(4);
            var y = {|UNR0009:d.Output|};
            return new Model(a, Dense(2)(a));
            """));
        reported = (await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(e => (e.Id, e.Span)), reported.Select(d => (d.Id, d.Location.SourceSpan)));
        Assert.Contains("has not been applied", reported[0].GetMessage());
    }
}
