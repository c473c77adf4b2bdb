// dotnet run -c Release --project bench/Unrolled.AnalyzerBenchmarks -- --filter '*'
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Unrolled.AnalyzerBenchmarks.EditingLoop).Assembly).Run(args);
