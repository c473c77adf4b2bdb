using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

public class IncrementalityTests
{
    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached()
    {
        var compilation = TestCompiler.Compile(TestModels.Mlp, "class Other { int X => 1; }");
        var driver = TestCompiler.CreateDriver().RunGenerators(compilation);

        // Edit another file, and add a comment to the model's own file: neither changes the model.
        var other = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(other, CSharpSyntaxTree.ParseText("class Other { int X => 2; int Y => 3; }", TestCompiler.ParseOptions, other.FilePath));
        var modelTree = edited.SyntaxTrees.First();
        edited = edited.ReplaceSyntaxTree(modelTree, CSharpSyntaxTree.ParseText(modelTree.GetText().ToString() + "\n// a comment\n", TestCompiler.ParseOptions, modelTree.FilePath));

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        foreach (string step in new[] { UnrolledGenerator.Steps.Parse, UnrolledGenerator.Steps.Analyze, UnrolledGenerator.Steps.Prepare, UnrolledGenerator.Steps.Emit })
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"step {step} output was {o.Reason}"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Moving_the_builder_re_parses_it_but_leaves_the_generated_code_cached()
    {
        var compilation = TestCompiler.Compile(TestModels.Mlp);
        var driver = TestCompiler.CreateDriver().RunGenerators(compilation);
        string before = driver.GetRunResult().GeneratedTrees.Single().GetText().ToString();

        // Lines added above the class: every position in the builder moves, nothing in the model changes.
        var tree = compilation.SyntaxTrees.Single();
        var moved = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText("// a licence header\n// of two lines\n" + TestModels.Mlp, TestCompiler.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(moved).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[UnrolledGenerator.Steps.Parse].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(result.TrackedSteps[UnrolledGenerator.Steps.Prepare].SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.All(result.TrackedSteps[UnrolledGenerator.Steps.Emit].SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(before, result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void Changing_the_model_regenerates_it()
    {
        var compilation = TestCompiler.Compile(TestModels.Mlp);
        var driver = TestCompiler.CreateDriver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        var changed = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(TestModels.Mlp.Replace("Dense(10,", "Dense(12,"), TestCompiler.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(changed).GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[UnrolledGenerator.Steps.Analyze].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("ParameterCount = 55180", result.GeneratedSources.Single().SourceText.ToString());
    }

    /// <summary>
    /// The pipeline's data must hold no compiler objects: they would keep whole compilations alive in the cache and
    /// break the structural equality caching depends on. Walks every field type reachable from the step outputs.
    /// </summary>
    [Fact]
    public void Pipeline_model_holds_no_compiler_objects()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(IOperation), typeof(Compilation), typeof(Location), typeof(SemanticModel), typeof(SyntaxTree), typeof(SyntaxToken) };
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(new[] { typeof(ModelSpec), typeof(AnalyzedModel) });
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.IsEnum)
            {
                continue;
            }

            Assert.False(forbidden.Any(f => f.IsAssignableFrom(type)), $"{type} is a compiler object in the pipeline model");
            foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
            {
                pending.Push(argument);
            }

            if (type.Namespace?.StartsWith("System.Collections", StringComparison.Ordinal) == true)
            {
                continue;
            }

            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                pending.Push(field.FieldType.IsArray ? field.FieldType.GetElementType()! : field.FieldType);
            }
        }

        Assert.Contains(typeof(SourceSpan), seen);
        Assert.Contains(typeof(LayerSpec), seen);
    }

    [Fact]
    public void Pipeline_records_compare_by_value()
    {
        var first = Parse(TestModels.Router);
        var second = Parse(TestModels.Router);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    /// <summary>
    /// A helper called many times (a local function in a loop, as Xception's blocks are written) is bound once: the
    /// evaluator asks for one semantic model per file and reads each method body once. Asking anew per call re-bound
    /// the whole enclosing method every time (the Xception tutorial took 0.4 s to parse).
    /// </summary>
    [Fact]
    public void A_helper_called_many_times_is_bound_once()
    {
        var compilation = TestCompiler.Compile(Sources.Builder("""
            var first = Input([8]);
            var x = first;
            for (int i = 0; i < 20; i++)
            {
                x = Block(x, 8);
            }

            return new Model(first, Dense(2)(x));
            """, """
            static Tensor Block(Tensor t, int units)
            {
                Tensor Norm(Tensor v) => BatchNormalization()(v);
                return Norm(Dense(units)(t));
            }
            """));
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single(m => m.Identifier.Text == "Build");
        var symbol = (IMethodSymbol)model.GetDeclaredSymbol(method)!;
        int asked = 0;
        var spec = Parsing.BuilderParser.Parse(symbol, method, model, t => { asked++; return compilation.GetSemanticModel(t); }, default)!;
        Assert.Equal(42, spec.Nodes.Count); // the input, Dense and BatchNormalization twenty times, the head
        Assert.Equal(1, asked);
    }

    private static AnalyzedModel Parse(string source)
    {
        var compilation = TestCompiler.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().First();
        var symbol = (IMethodSymbol)model.GetDeclaredSymbol(method)!;
        var spec = Parsing.BuilderParser.Parse(symbol, method, model, t => compilation.GetSemanticModel(t), default)!;
        return ShapeInference.Analyze(spec);
    }
}
