// dotnet run -c Release --project bench/Unrolled.Benchmarks -- --filter '*'     (BenchmarkDotNet)
// dotnet run -c Release --project bench/Unrolled.Benchmarks -- --probe [ROUNDS]  (quick medians, for bench/compare.sh)
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "--probe")
{
    Unrolled.Benchmarks.Probe.Run(args.Length > 1 ? int.Parse(args[1]) : 5);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Unrolled.Benchmarks.MlpBenchmarks).Assembly).Run(args);
