// dotnet run -c Release --project bench/Unrolled.Benchmarks -- --filter '*'     (BenchmarkDotNet)
// dotnet run -c Release --project bench/Unrolled.Benchmarks -- --probe [ROUNDS] [CASE]  (quick medians, for bench/compare.sh;
//                                                                                       CASE: only the cases whose name starts so;
//                                                                                       ours:CASE the same without the peer;
//                                                                                       threads:CASE one thread against two)
// dotnet run -c Release --project bench/Unrolled.Benchmarks -- --filter '*PeerBenchmarks*'  (against ONNX Runtime in-process)
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "--mlp-only")
{
    // For bench/memory.sh: a process that loads the MLP and predicts, nothing else.
    var model = new Unrolled.Benchmarks.Mlp(seed: 1);
    float[] x = new float[784], y = new float[10];
    for (int i = 0; i < 1000; i++)
    {
        model.Predict(x, y, 1);
    }

    System.Console.WriteLine($"predicted: {y[0]:F4}");
    return;
}

if (args.Length > 0 && args[0] == "--probe")
{
    Unrolled.Benchmarks.Probe.Run(args.Length > 1 ? int.Parse(args[1]) : 5, args.Length > 2 ? args[2] : "");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Unrolled.Benchmarks.MlpBenchmarks).Assembly).Run(args);
