using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Generator.Tests;

/// <summary>
/// The long fuzz run, outside CI (<c>bash tests/fuzz.sh</c>): thousands of mutants of the test models, each made by one
/// to three of the mutations that found faults at scale (a token deleted, swapped or cut; a statement repeated up to
/// 200 times; an integer replaced by an absurd one; an expression wrapped in calls or negations thousands deep; an
/// endless or huge loop inserted). Each mutant runs through the generator and the analyzer on a 1 MB stack. Skipped
/// unless UNROLLED_FUZZ_MUTANTS is set; bounded by UNROLLED_FUZZ_SECONDS. It fails on any exception, internal error or
/// mutant over the time limit, and prints its figures.
/// </summary>
public class FuzzRun
{
    private static readonly string[] s_sources = { TestModels.Mlp, TestModels.Router, TestModels.Everything, TestModels.Sequences, TestModels.Layers };
    private static readonly string[] s_constants = { "int.MaxValue", "int.MinValue", "-1", "0", "1 << 30", "100000000", "2147483647", "65536" };
    private readonly ITestOutputHelper _output;

    public FuzzRun(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public void Mutants_at_scale_never_crash_throw_or_stall()
    {
        string? count = Environment.GetEnvironmentVariable("UNROLLED_FUZZ_MUTANTS");
        Skip.If(string.IsNullOrEmpty(count), "the long fuzz run is outside CI: bash tests/fuzz.sh (sets UNROLLED_FUZZ_MUTANTS)");
        int mutants = int.Parse(count!, CultureInfo.InvariantCulture);
        double seconds = double.Parse(Environment.GetEnvironmentVariable("UNROLLED_FUZZ_SECONDS") ?? "3600", CultureInfo.InvariantCulture);
        int seed = int.Parse(Environment.GetEnvironmentVariable("UNROLLED_FUZZ_SEED") ?? "1", CultureInfo.InvariantCulture);
        var analyzerLimit = TimeSpan.FromSeconds(2);

        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        int ran = 0, failures = 0, overLimit = 0;
        var analyzerTimes = new List<double>();
        var generatorTimes = new List<double>();
        var driverTimes = new List<double>();
        (double Seconds, string Source, string Part) slowest = (0, string.Empty, string.Empty);
        var log = new StringBuilder();
        var byId = new Dictionary<string, int>();
        string? report = Environment.GetEnvironmentVariable("UNROLLED_FUZZ_REPORT");
        while (ran < mutants && clock.Elapsed.TotalSeconds < seconds)
        {
            string source = s_sources[random.Next(s_sources.Length)];
            int operations = random.Next(1, 4);
            for (int i = 0; i < operations; i++)
            {
                source = Mutate(source, random);
            }

            ran++;
            if (!string.IsNullOrEmpty(report))
            {
                // Written before the run: if the process dies (a stack overflow cannot be caught), this is the mutant.
                File.WriteAllText(report + ".current", $"// mutant {ran} (seed {seed})\n" + source);
            }

            try
            {
                var outcome = Hostile.Run(source, TimeSpan.FromSeconds(30));
                analyzerTimes.Add(outcome.AnalyzerTime.TotalSeconds);
                generatorTimes.Add(outcome.GeneratorTime.TotalSeconds);
                driverTimes.Add(outcome.DriverTime.TotalSeconds);
                foreach (var id in outcome.Analyzer.Where(d => d.Id.StartsWith("UNR", StringComparison.Ordinal)).Select(d => d.Id).Distinct())
                {
                    byId[id] = byId.TryGetValue(id, out int n) ? n + 1 : 1;
                }

                var worst = outcome.AnalyzerTime > outcome.GeneratorTime ? (outcome.AnalyzerTime, "analyzer") : (outcome.GeneratorTime, "generator");
                if (worst.Item1.TotalSeconds > slowest.Seconds)
                {
                    slowest = (worst.Item1.TotalSeconds, source, worst.Item2);
                }

                if (outcome.AnalyzerTime > analyzerLimit)
                {
                    overLimit++;
                    log.AppendLine($"== over {analyzerLimit.TotalSeconds} s in the analyzer ({outcome.AnalyzerTime.TotalSeconds:F2} s):").AppendLine(Hostile.Shorten(source));
                }
            }
            catch (Exception e)
            {
                failures++;
                log.AppendLine("== failure: " + e.Message.Split('\n')[0]).AppendLine(Hostile.Shorten(source));
            }
        }

        static double Percentile(List<double> values, double p)
            => values.Count == 0 ? 0 : values.OrderBy(v => v).ElementAt(Math.Min(values.Count - 1, (int)(p * values.Count)));

        string summary =
            $"mutants {ran} in {clock.Elapsed.TotalSeconds:F0} s (seed {seed}); failures (exceptions, internal errors, time-outs over 30 s) {failures}; " +
            $"analyzer over {analyzerLimit.TotalSeconds} s {overLimit}; analyzer median {Percentile(analyzerTimes, 0.5) * 1000:F1} ms, p99 {Percentile(analyzerTimes, 0.99) * 1000:F1} ms, " +
            $"max {analyzerTimes.DefaultIfEmpty().Max() * 1000:F0} ms (with the compiler's binding, which Roslyn's driver does for any analyzer: median {Percentile(driverTimes, 0.5) * 1000:F1} ms, max {driverTimes.DefaultIfEmpty().Max() * 1000:F0} ms); generator median {Percentile(generatorTimes, 0.5) * 1000:F1} ms, max {generatorTimes.DefaultIfEmpty().Max() * 1000:F0} ms; " +
            $"slowest: {slowest.Seconds:F2} s in the {slowest.Part}; diagnostics: {string.Join(", ", byId.OrderBy(p => p.Key).Select(p => $"{p.Key} ×{p.Value}"))}";
        _output.WriteLine(summary);
        if (!string.IsNullOrEmpty(report))
        {
            File.Delete(report + ".current");
            File.WriteAllText(report, summary + Environment.NewLine + "== slowest mutant:" + Environment.NewLine + Hostile.Shorten(slowest.Source)
                + Environment.NewLine + log);
        }

        Assert.True(failures == 0 && overLimit == 0, summary + Environment.NewLine + log);
    }

    /// <summary>One mutation, chosen at random, of the builder's class.</summary>
    private static string Mutate(string source, Random random)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();
        int classStart = Math.Max(0, source.IndexOf("partial class", StringComparison.Ordinal));
        var tokens = root.DescendantTokens().Where(t => t.SpanStart >= classStart && !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        var statements = root.DescendantNodes().OfType<StatementSyntax>().Where(s => s is not BlockSyntax && s.SpanStart >= classStart).ToList();
        // Not inside an interpolated string: Roslyn's lexer (5.12) overflows the stack on a hole nested a few hundred
        // deep, in any compiler, before Unrolled sees the code.
        var expressions = root.DescendantNodes().OfType<ExpressionSyntax>()
            .Where(e => e.SpanStart >= classStart && !e.AncestorsAndSelf().OfType<InterpolatedStringExpressionSyntax>().Any()).ToList();
        if (tokens.Count == 0)
        {
            return source;
        }

        switch (random.Next(9))
        {
            case 0:
            {
                var token = tokens[random.Next(tokens.Count)];
                return source.Remove(token.SpanStart, token.Span.Length);
            }

            case 1:
            {
                var token = tokens[random.Next(tokens.Count)];
                return source.Substring(0, token.Span.End);
            }

            case 2:
            {
                int a = random.Next(tokens.Count), b = random.Next(tokens.Count);
                if (a > b)
                {
                    (a, b) = (b, a);
                }

                if (a == b)
                {
                    return source;
                }

                var first = tokens[a];
                var second = tokens[b];
                return source.Substring(0, first.SpanStart) + second.Text + source.Substring(first.Span.End, second.SpanStart - first.Span.End)
                    + first.Text + source.Substring(second.Span.End);
            }

            case 3 when statements.Any(s => !s.ContainsDiagnostics):
            {
                // Whole statements only: a cut declaration repeated a hundred times nests declarations in each other's
                // arguments, which the C# compiler itself (Roslyn 5.12) cannot bind without overflowing a thread-pool
                // stack, analyzers or not (RobustnessTests keeps that case for the generator, which copes).
                var whole = statements.Where(s => !s.ContainsDiagnostics).ToList();
                var statement = whole[random.Next(whole.Count)];
                int times = random.Next(2, 201);
                string text = statement.ToFullString();
                return source.Insert(statement.FullSpan.End, string.Concat(Enumerable.Repeat(text, times - 1)));
            }

            case 4:
            {
                var literals = tokens.Where(t => t.IsKind(SyntaxKind.NumericLiteralToken)).ToList();
                if (literals.Count == 0)
                {
                    return source;
                }

                var literal = literals[random.Next(literals.Count)];
                return source.Substring(0, literal.SpanStart) + "(" + s_constants[random.Next(s_constants.Length)] + ")" + source.Substring(literal.Span.End);
            }

            case 5 when expressions.Count > 0:
            {
                var expression = expressions[random.Next(expressions.Count)];
                int depth = random.Next(1, 3001);
                return source.Substring(0, expression.SpanStart) + string.Concat(Enumerable.Repeat("Dense(2)(", depth)) + expression.ToString()
                    + new string(')', depth) + source.Substring(expression.Span.End);
            }

            case 6 when expressions.Count > 0:
            {
                var expression = expressions[random.Next(expressions.Count)];
                int depth = random.Next(1, 3001);
                return source.Substring(0, expression.SpanStart) + string.Concat(Enumerable.Repeat("-(", depth)) + expression.ToString()
                    + new string(')', depth) + source.Substring(expression.Span.End);
            }

            case 7 when statements.Count > 0:
            {
                var statement = statements[random.Next(statements.Count)];
                string loop = random.Next(3) switch
                {
                    0 => " while (true) { } ",
                    1 => " for (int q__ = 0; q__ < 100000000; q__++) { var t__ = Input([4]); } ",
                    _ => " { var u__ = Input([4]); for (int q__ = 0; q__ < int.MaxValue; q__++) u__ = Dense(4)(u__); } ",
                };
                return source.Insert(statement.SpanStart, loop);
            }

            default:
            {
                // Insert a random token's text at a random place.
                var token = tokens[random.Next(tokens.Count)];
                var at = tokens[random.Next(tokens.Count)];
                return source.Insert(at.SpanStart, token.Text + " ");
            }
        }
    }
}
