// A NativeAOT app that loads trained weights and predicts: the deployment half of samples/FashionMnist.
//
//   dotnet run --project samples/FashionMnist -c Release -- --save mlp.weights        (train, save the weights)
//   dotnet publish samples/AotInference -c Release -r linux-x64 -o out/aot            (one native binary, ~2 MB)
//   out/aot/AotInference --weights mlp.weights [--data DIR] [--count N] [--expect-accuracy 0.8]
//
// It classifies the Fashion-MNIST test images one at a time through the allocation-free span overload, prints the
// accuracy and the latency per image, and exits with 1 on a missing or mismatched weights file (the message says
// what is wrong), and with 3 when the accuracy is below --expect-accuracy (CI's check). With --count 0 it measures
// start-up: it loads the weights, predicts one blank image without reading the data set, and exits.
using System;
using System.Diagnostics;
using System.IO;
using FashionMnist;
using Unrolled;
using Unrolled.Data;

string? weights = null;
string data = "/usr/share/datasets/fashion-mnist";
int count = int.MaxValue;
double expected = 0;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--weights" when value is not null: weights = value; i++; break;
        case "--data" when value is not null: data = value; i++; break;
        case "--count" when value is not null && int.TryParse(value, out int n) && n >= 0: count = n; i++; break;
        case "--expect-accuracy" when value is not null && double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out double a): expected = a; i++; break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: AotInference --weights FILE [--data DIR] [--count N] [--expect-accuracy A]");
            return 2;
    }
}

if (weights is null)
{
    Console.Error.WriteLine("Pass --weights FILE: weights saved by `dotnet run --project samples/FashionMnist -c Release -- --save FILE`.");
    return 2;
}

var clock = Stopwatch.StartNew();
var model = new FashionMlp(seed: 0);
try
{
    model.LoadWeights(weights);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Cannot load the weights: {e.Message}");
    return 1;
}

Span<float> probabilities = stackalloc float[FashionMlp.Dense2Size];
if (count == 0)
{
    Span<float> blank = stackalloc float[FashionMlp.Input1Size];
    blank.Clear();
    model.Predict(blank, probabilities, batchSize: 1);
    Console.WriteLine($"Loaded the weights and predicted one image in {clock.Elapsed.TotalMilliseconds:F2} ms (p = {probabilities[0]:F3}, …).");
    return 0;
}

string images = Path.Combine(data, "t10k-images-idx3-ubyte"), labels = Path.Combine(data, "t10k-labels-idx1-ubyte");
if (!File.Exists(images) && File.Exists(images + ".gz"))
{
    images += ".gz";
    labels += ".gz";
}

if (!File.Exists(images) || !File.Exists(labels))
{
    Console.Error.WriteLine($"Fashion-MNIST's test files are not in {data}: 'apt-get install dataset-fashion-mnist', or pass --data DIR.");
    return 1;
}

var test = Idx.ReadImages(images);
byte[] truth = Idx.ReadLabels(labels);
double loaded = clock.Elapsed.TotalMilliseconds;

int total = Math.Min(count, test.Count), correct = 0;
var latencies = new double[total];
for (int i = 0; i < total; i++)
{
    long start = Stopwatch.GetTimestamp();
    model.Predict(test.Pixels.AsSpan(i * FashionMlp.Input1Size, FashionMlp.Input1Size), probabilities, batchSize: 1);
    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    int predicted = 0;
    for (int c = 1; c < probabilities.Length; c++)
    {
        if (probabilities[c] > probabilities[predicted])
        {
            predicted = c;
        }
    }

    correct += predicted == truth[i] ? 1 : 0;
}

Array.Sort(latencies);
Console.WriteLine($"Loaded the weights and {test.Count:N0} test images in {loaded:F1} ms.");
Console.WriteLine($"Accuracy on {total:N0} images: {(double)correct / total:P2}; latency per image (batch 1): median {latencies[total / 2]:F2} µs.");
return (double)correct / total >= expected ? 0 : 3;
