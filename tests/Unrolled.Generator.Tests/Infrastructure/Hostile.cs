using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unrolled.Generator.Tests.Infrastructure;

/// <summary>
/// Runs the generator and the analyzer on one hostile or broken source, as a compiler and an IDE would, and fails on
/// anything worse than diagnostics: an exception, an internal error, a time-out. Parsing and the generator run on one
/// thread with a 1 MB stack (less than the compiler's): Roslyn's parser gives up on nesting its thread's stack cannot
/// hold (CS8078), so a tree parsed on a larger stack than it is later bound on is not a case a compiler meets, while
/// unbounded recursion of ours shows up here first. The analyzer runs on the thread pool, as in an IDE.
/// </summary>
internal static class Hostile
{
    /// <summary>Generator and analyzer together, per source: a guard against hangs, not a speed claim (speed is measured
    /// in bench/). Every case takes well under a second alone, but with the other test assemblies running on a shared
    /// two-core machine one took over 10 s, so the guard leaves room for a starved process.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <param name="AnalyzerTime">Time in the analyzer's own callbacks (Roslyn's telemetry).</param>
    /// <param name="DriverTime">The analyzer run's wall time, with the compiler's binding that Roslyn's driver does for
    /// any analyzer.</param>
    public sealed record Outcome(ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Analyzer, ImmutableArray<Diagnostic> Parser,
        TimeSpan GeneratorTime, TimeSpan AnalyzerTime, TimeSpan DriverTime = default)
    {
        public bool Reports(string id) => Analyzer.Any(d => d.Id == id);
    }

    /// <param name="source">The source.</param>
    /// <param name="limit">The time limit; <see cref="Limit"/> by default.</param>
    /// <param name="analyzer">False for a source the C# compiler itself cannot bind on a thread-pool stack (Roslyn's
    /// analyzer driver binds every method body, so no analyzer could run on it); the generator still must not crash.</param>
    public static Outcome Run(string source, TimeSpan? limit = null, bool analyzer = true)
    {
        var budget = limit ?? Limit;
        Outcome? outcome = null;
        GeneratorDriverRunResult? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var compilation = TestCompiler.Compile(source);
                var clock = Stopwatch.StartNew();
                result = TestCompiler.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var generatorDiagnostics).GetRunResult();
                var generatorTime = clock.Elapsed;

                // The analyzer's own diagnostics, as an IDE runs it (on the thread pool, whose threads have the
                // runtime's default stack), without the compiler's binding of every method.
                clock.Restart();
                var (analyzed, own) = analyzer
                    ? Task.Run(() => TestCompiler.AnalyzerOnlyAsync(compilation)).GetAwaiter().GetResult()
                    : (ImmutableArray<Diagnostic>.Empty, TimeSpan.Zero);
                var parser = compilation.SyntaxTrees.SelectMany(t => t.GetDiagnostics()).ToImmutableArray();
                outcome = new Outcome(generatorDiagnostics, analyzed, parser, generatorTime, own, clock.Elapsed);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 1024 * 1024);
        thread.IsBackground = true;
        thread.Start();
        Assert.True(thread.Join(budget), $"the generator and analyzer took over {budget.TotalSeconds} s on:\n{Shorten(source)}");
        Assert.True(failure is null, $"running the generator or analyzer threw on:\n{Shorten(source)}\n{failure}");
        var thrown = result!.Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
        Assert.True(thrown is null, $"the generator threw on:\n{Shorten(source)}\n{thrown}");
        var internalError = outcome!.Generator.FirstOrDefault(d => d.Id is "CS8784" or "CS8785" or "UNR0017");
        Assert.True(internalError is null, $"the generator failed on:\n{Shorten(source)}\n{internalError}");
        var crash = outcome.Analyzer.FirstOrDefault(d => d.Id == "AD0001");
        Assert.True(crash is null, $"the analyzer threw on:\n{Shorten(source)}\n{crash?.GetMessage()}");
        return outcome;
    }

    /// <summary>A source short enough to read in a failure message.</summary>
    public static string Shorten(string source) => source.Length <= 2000 ? source : source.Substring(0, 1000) + "\n…\n" + source.Substring(source.Length - 600);
}
