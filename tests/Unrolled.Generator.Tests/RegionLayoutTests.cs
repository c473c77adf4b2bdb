using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Generator.Tests;

/// <summary>
/// The workspace layouts, checked against liveness worked out here independently: in the prediction layout two regions
/// overlap only if no node runs while both are needed; in the training layout no two regions overlap; the ports lie
/// at the same offsets in both. Run over every model of the tests and of the tutorials sample.
/// </summary>
public class RegionLayoutTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Models()
    {
        foreach (var (name, _) in Plans())
        {
            yield return [name];
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Prediction_reuses_a_region_only_after_its_last_reader(string name)
    {
        var plan = Plans().Single(p => p.Name == name).Plan;
        foreach (int length in new[] { 1000, 1733 })
        {
            CheckPrediction(name, plan, length);
        }

        Assert.True(Eval(plan, plan.Predict.ActivationSize, 1000) <= Eval(plan, plan.Training.ActivationSize, 1000));
        output.WriteLine($"{name}: predict {Eval(plan, plan.Predict.ActivationSize, 1000):N0} floats per sample, training {Eval(plan, plan.Training.ActivationSize, 1000):N0}");
    }

    private static void CheckPrediction(string name, ExecutionPlan plan, int length)
    {
        var regions = Regions(plan, plan.Predict, length);
        AssertWithin(plan, plan.Predict, regions, length);
        foreach (var a in regions)
        {
            foreach (var b in regions)
            {
                if (a.Id < b.Id && a.Start <= b.End && b.Start <= a.End)
                {
                    Assert.False(a.Offset < b.Offset + b.Size && b.Offset < a.Offset + a.Size,
                        $"{name}: {a.What} (steps {a.Start}–{a.End}, floats {a.Offset}+{a.Size}) overlaps {b.What} (steps {b.Start}–{b.End}, floats {b.Offset}+{b.Size}).");
                }
            }
        }

    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Training_keeps_every_region_and_both_layouts_put_the_ports_in_the_same_place(string name)
    {
        var plan = Plans().Single(p => p.Name == name).Plan;
        var regions = Regions(plan, plan.Training, 1000);
        AssertWithin(plan, plan.Training, regions, 1000);
        var sorted = regions.OrderBy(r => r.Offset).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            Assert.True(sorted[i - 1].Offset + sorted[i - 1].Size <= sorted[i].Offset, $"{name}: {sorted[i - 1].What} overlaps {sorted[i].What}.");
        }

        foreach (int port in plan.Model.Spec.Inputs.Concat(plan.Model.Spec.Outputs))
        {
            Assert.Equal(plan.Training.ValueOffset[port], plan.Predict.ValueOffset[port]);
        }
    }

    [Fact]
    public void Xception_predicts_in_a_fraction_of_the_memory_it_trains_in()
    {
        var plan = Plans().Single(p => p.Name.StartsWith("XceptionSiamese", StringComparison.Ordinal)).Plan;
        // The largest activation of the 250×250 base is 125×125×128 floats; a chain needs a few such regions alive.
        Assert.True(plan.Predict.ActivationSize * 8 < plan.Training.ActivationSize,
            $"predict {plan.Predict.ActivationSize:N0} vs training {plan.Training.ActivationSize:N0} floats per sample");
    }

    private static void AssertWithin(ExecutionPlan plan, RegionLayout layout, List<Region> regions, int length)
    {
        foreach (var r in regions)
        {
            Assert.True(r.Offset >= 0 && r.Offset + r.Size <= Eval(plan, layout.ActivationSize, length), $"{r.What} ({r.Offset}+{r.Size}) lies outside the buffer of {Eval(plan, layout.ActivationSize, length)} (length {length}; dims {layout.ActivationSize}: {plan.Dims.Poly(layout.ActivationSize)}).");
        }
    }

    /// <summary>A dimension's value when every run-time length is <paramref name="length"/>.</summary>
    private static int Eval(ExecutionPlan plan, int dim, int length)
    {
        if (dim >= 0)
        {
            return dim;
        }

        var atoms = plan.Dims.ToData().Atoms;
        int Atom(int index)
        {
            var a = atoms[index];
            if (!a.IsWindow)
            {
                return length;
            }

            int n = Eval(plan, a.Inner, length);
            int reach = ((a.Window - 1) * a.Dilation) + 1;
            return a.Same ? (n + a.Stride - 1) / a.Stride : ((n - reach) / a.Stride) + 1;
        }

        var poly = plan.Dims.Poly(dim);
        return poly.Constant + poly.Terms.Sum(t => t.Coefficient * t.Atoms.Aggregate(1, (p, atom) => p * Atom(atom)));
    }

    private sealed record Region(int Id, string What, int Offset, int Size, int Start, int End);

    /// <summary>Every region with the steps it must survive: from its node's step to its last reader's (the end, for
    /// inputs and for what holds an output). A view reads its base; a returned state reads the recurrent node's
    /// temporaries.</summary>
    private static List<Region> Regions(ExecutionPlan plan, RegionLayout layout, int length)
    {
        var spec = plan.Model.Spec;
        var order = plan.Model.UsedNodes.ToList();
        int last = order.Count;
        var valueEnd = new Dictionary<int, int>();
        var stateEnd = new Dictionary<int, int>();
        (int Node, bool State) Base(int n)
        {
            bool state = false;
            while (plan.Aliased[n])
            {
                state |= spec.Layers[spec.Nodes[n].Layer].Kind == LayerKind.RecurrentState;
                n = spec.Nodes[n].Inputs[0];
            }

            return (n, state);
        }

        for (int s = 0; s < order.Count; s++)
        {
            foreach (int input in spec.Nodes[order[s]].Inputs)
            {
                var (node, state) = Base(input);
                var ends = state ? stateEnd : valueEnd;
                ends[node] = Math.Max(ends.GetValueOrDefault(node), s);
            }
        }

        foreach (int port in spec.Inputs)
        {
            valueEnd[port] = last;
        }

        foreach (int port in spec.Outputs)
        {
            var (node, state) = Base(port);
            valueEnd[node] = last;
            stateEnd[node] = last;
        }

        var regions = new List<Region>();
        for (int s = 0; s < order.Count; s++)
        {
            int n = order[s];
            if (plan.Aliased[n])
            {
                continue;
            }

            string name = spec.Layers[spec.Nodes[n].Layer].Name;
            int size = Eval(plan, plan.Dims.Size(plan.Model.ShapeOf(n)), length);
            regions.Add(new Region(regions.Count, name, Eval(plan, layout.ValueOffset[n], length), size, s, Math.Max(s, valueEnd.GetValueOrDefault(n, s))));
            if (layout.PreActivationOffset[n] != -1)
            {
                regions.Add(new Region(regions.Count, name + " pre-activation", Eval(plan, layout.PreActivationOffset[n], length), size, s, spec.Outputs.Contains(n) ? last : s));
            }

            var temporaries = layout.TemporaryOffsets[n];
            for (int t = 0; t < temporaries.Length; t++)
            {
                // Temporaries are laid out in order in training; their sizes come from the gap to the next one there.
                int tSize = TemporarySize(plan, n, t, length);
                int end = Math.Max(s, stateEnd.GetValueOrDefault(n, s));
                regions.Add(new Region(regions.Count, $"{name} temporary {t}", Eval(plan, temporaries[t], length), tSize, s, end));
            }
        }

        return regions;
    }

    /// <summary>A temporary's size, read off the training layout, where each node's regions are consecutive.</summary>
    private static int TemporarySize(ExecutionPlan plan, int n, int t, int length)
    {
        var training = plan.Training;
        int start = Eval(plan, training.TemporaryOffsets[n][t], length);
        var starts = new List<int>();
        foreach (int m in plan.Model.UsedNodes.Where(m => !plan.Aliased[m]))
        {
            starts.Add(training.ValueOffset[m]);
            if (training.PreActivationOffset[m] != -1)
            {
                starts.Add(training.PreActivationOffset[m]);
            }

            starts.AddRange(training.TemporaryOffsets[m]);
        }

        starts.Add(training.ActivationSize);
        return starts.Select(x => Eval(plan, x, length)).Where(x => x > start).Min() - start;
    }

    private static List<(string Name, ExecutionPlan Plan)>? s_plans;

    private static List<(string Name, ExecutionPlan Plan)> Plans()
    {
        if (s_plans is not null)
        {
            return s_plans;
        }

        var sources = new List<string> { TestModels.Mlp, TestModels.Router, TestModels.Everything, TestModels.Sequences, TestModels.Layers };
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "samples", "Tutorials", "Xception.cs")))
        {
            directory = directory.Parent;
        }

        var tutorials = Directory.GetFiles(Path.Combine(directory.FullName, "samples", "Tutorials"), "*.cs");
        sources.AddRange(tutorials.Select(File.ReadAllText));
        var plans = new List<(string, ExecutionPlan)>();
        foreach (string source in sources)
        {
            var compilation = TestCompiler.Compile(source);
            var tree = compilation.SyntaxTrees.Single();
            var semantic = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (!method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().Contains("ModelBuilder", StringComparison.Ordinal)))
                {
                    continue;
                }

                var symbol = (IMethodSymbol)semantic.GetDeclaredSymbol(method)!;
                var spec = Parsing.BuilderParser.Parse(symbol, method, semantic, t => compilation.GetSemanticModel(t), default);
                if (spec is null)
                {
                    continue;
                }

                var analyzed = ShapeInference.Analyze(spec);
                if (analyzed.HasErrors)
                {
                    continue;
                }

                plans.Add(($"{symbol.ContainingType.Name}.{symbol.Name}", ExecutionPlan.Create(analyzed)));
            }
        }

        return s_plans = plans;
    }
}
