using System;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace Unrolled.Benchmarks;

/// <summary>
/// Inference side by side with ONNX Runtime 1.32 in the same process (see <see cref="OrtPeer"/>: each model's own
/// export, one intra-op thread, all graph optimisations, inputs and outputs bound once), per model and batch size.
/// BenchmarkDotNet reports the ratio to Unrolled, the baseline:
/// <c>dotnet run -c Release --project bench/Unrolled.Benchmarks -- --filter '*PeerBenchmarks*'</c>
/// (set UNROLLED_THREADS=1 for one thread on Unrolled's side too).
/// </summary>
[MemoryDiagnoser]
public class PeerBenchmarks
{
    private Action _unrolled = () => { };
    private OrtPeer? _ort;

    /// <summary>The model: the MLP 784-64-64-10, the convolutional encoder, the news LSTM or the toy ResNet.</summary>
    [Params("mlp", "conv", "lstm", "resnet")]
    public string Model { get; set; } = "mlp";

    /// <summary>Samples per call.</summary>
    [Params(1, 64)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        int b = Batch;
        switch (Model)
        {
            case "mlp":
            {
                var mlp = new Mlp(seed: 1);
                float[] x = Random(b * 784), y = new float[b * 10];
                _unrolled = () => mlp.Predict(x, y, b);
                _ort = new OrtPeer(mlp, b, _ => x);
                break;
            }

            case "conv":
            {
                var conv = new ConvEncoder(seed: 1);
                float[] img = Random(b * 784), code = new float[b * 16];
                _unrolled = () => conv.Predict(img, code, b);
                _ort = new OrtPeer(conv, b, _ => img);
                break;
            }

            case "resnet":
            {
                var resnet = new ToyResNet(seed: 1);
                float[] pictures = Random(b * 32 * 32 * 3), classes = new float[b * 10];
                _unrolled = () => resnet.Predict(pictures, classes, b);
                _ort = new OrtPeer(resnet, b, _ => pictures);
                break;
            }

            default:
            {
                var news = new NewsLstm(seed: 1);
                float[] ids = Enumerable.Range(0, b * 100).Select(i => (float)(i * 7919 % 10000)).ToArray(), aux = Random(b * 5);
                float[] main = new float[b], auxOut = new float[b];
                int[] intIds = ids.Select(v => (int)v).ToArray();
                _unrolled = () => news.Predict(ids, aux, main, auxOut, b);
                _ort = new OrtPeer(news, b, i => i == 0 ? intIds : aux);
                break;
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _ort?.Dispose();

    [Benchmark(Baseline = true)]
    public void Unrolled() => _unrolled();

    [Benchmark]
    public void OnnxRuntime() => _ort!.Run();
}
