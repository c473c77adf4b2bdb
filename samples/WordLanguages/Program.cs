// Word → language on Debian's word lists (English, German, French, Spanish, Italian): Keras's "Text classification with
// Transformer" (one transformer block over masked characters) and a bidirectional LSTM with maskZero. Each model prints
// its summary, trains (Adam, batch 64), and reports its test accuracy; then the same model in PyTorch (peer.py, the same
// split, sizes, initialisers and optimizer, OpenBLAS on one thread as bench/ sets it up) trains the same way in this run,
// and the two test accuracies and times per epoch are printed side by side.
//
//   dotnet run --project samples/WordLanguages -c Release [-- --model transformer|bilstm|both] [--epochs N]
//       [--per-language N] [--seed S] [--no-peer]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Unrolled;
using WordLanguages;

string which = "both";
int epochs = 8, perLanguage = 8000, seed = 7;
bool peer = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model" when i + 1 < args.Length: which = args[++i]; break;
        case "--epochs" when i + 1 < args.Length: epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--per-language" when i + 1 < args.Length: perLanguage = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed" when i + 1 < args.Length: seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--no-peer": peer = false; break;
        default: Console.Error.WriteLine($"Unknown option '{args[i]}'."); return 2;
    }
}

if (which is not ("transformer" or "bilstm" or "both") || epochs < 1 || perLanguage < 10)
{
    Console.Error.WriteLine("--model is transformer, bilstm or both; --epochs at least 1; --per-language at least 10.");
    return 2;
}

WordData data;
try
{
    data = WordData.Load(perLanguage, seed);
}
catch (Exception e) when (e is IOException or InvalidOperationException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

Console.WriteLine($"{data.Words.Length} words ({data.TrainCount} to train, {data.TestCount} to test), {perLanguage} per language, " +
                  $"{data.Ids.Count} characters; for example: {string.Join(", ", data.Words.Take(6).Select((w, i) => $"{w} ({WordData.Lists[data.Labels[i]].Language})"))}");
var (xTrain, yTrain) = data.Encode(0, data.TrainCount);
var (xTest, yTest) = data.Encode(data.TrainCount, data.TestCount);

string split = Path.Combine(Path.GetTempPath(), $"word-languages-{Environment.ProcessId}.txt");
if (peer)
{
    data.Write(split);
}

int failures = 0;
try
{
    foreach (string name in which == "both" ? new[] { "transformer", "bilstm" } : new[] { which })
    {
        CompiledModel model = name == "transformer" ? new WordTransformer(seed: seed) : new WordBiLstm(seed: seed);
        Console.WriteLine();
        Console.WriteLine(model.Summary());
        model.Compile(new Adam(), "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var times = new List<double>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var history = model.Fit(xTrain, yTrain, epochs: 1, batchSize: 64, seed: seed + epoch, verbose: 0);
            times.Add(clock.Elapsed.TotalSeconds);
            Console.WriteLine($"epoch {epoch}/{epochs}: loss {history["loss"][^1]:F4}, accuracy {history["accuracy"][^1]:F4} ({times[^1]:F2} s)");
        }

        double ours = model.Evaluate(xTest, yTest, batchSize: 256)["accuracy"];
        Console.WriteLine($"Unrolled {name}: test accuracy {ours:P2}, {Median(times):F2} s per epoch (median of {epochs})");
        if (!peer)
        {
            continue;
        }

        var result = RunPeer(name, split, epochs, seed);
        if (result is not { } torch)
        {
            failures++;
            continue;
        }

        double gap = (ours - torch.Accuracy) * 100;
        Console.WriteLine($"PyTorch  {name}: test accuracy {torch.Accuracy:P2}, {torch.SecondsPerEpoch:F2} s per epoch ({torch.Blas})");
        Console.WriteLine($"{name}: Unrolled − PyTorch = {gap:+0.00;−0.00} points; Unrolled {torch.SecondsPerEpoch / Median(times):F2}× as fast per epoch " +
                          $"({(Math.Abs(gap) <= 1 ? "within" : "NOT within")} 1 point)");
    }
}
finally
{
    File.Delete(split);
}

return failures == 0 ? 0 : 1;

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static (double Accuracy, double SecondsPerEpoch, string Blas)? RunPeer(string model, string split, int epochs, int seed)
    => Unrolled.Samples.TorchPeer.Run("--model", model, "--data", split, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture)) is { } root
        ? (root.GetProperty("test_accuracy").GetDouble(), root.GetProperty("seconds_per_epoch").GetDouble(), root.GetProperty("blas").GetString() ?? "?")
        : null;
