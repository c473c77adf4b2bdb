// dotnet run -c Release --project bench/Unrolled.Benchmarks -- --filter '*'
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Unrolled.Benchmarks.MlpBenchmarks).Assembly).Run(args);
