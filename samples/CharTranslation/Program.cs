// Keras's character-level sequence-to-sequence example on a real paired corpus from Debian: English words and phrases and
// their French translations from FreeDict's English–French dictionary (dict-freedict-eng-fra). An LSTM encoder's last
// states start an LSTM decoder, trained with teacher forcing (RMSprop, batch 64); at inference the encoder and a
// one-step decoder (separate models with the same layer names, so the trained weights copy over) decode greedily.
// The test figures: the next-character accuracy on held-out pairs with teacher forcing (the masked metric of Evaluate)
// and the share of held-out words decoded exactly; the same model in PyTorch (peer.py, the same split) trains the same
// way in this run and reports the same figures.
//
//   dotnet run --project samples/CharTranslation -c Release [-- --epochs N] [--seed S] [--no-peer]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using CharTranslation;
using Unrolled;

int epochs = 30, seed = 3;
bool peer = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--epochs" when i + 1 < args.Length: epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed" when i + 1 < args.Length: seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--no-peer": peer = false; break;
        default: Console.Error.WriteLine($"Unknown option '{args[i]}'."); return 2;
    }
}

if (epochs < 1)
{
    Console.Error.WriteLine("--epochs must be at least 1.");
    return 2;
}

List<(string English, string French)> pairs;
try
{
    pairs = Dictionary.Load();
}
catch (IOException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

const int Start = 1, End = 2; // ids 0 (padding), 1 (start), 2 (end), then the characters
var shuffled = pairs.ToArray();
new Random(seed).Shuffle(shuffled);
int trainCount = (int)(shuffled.Length * 0.8), testCount = shuffled.Length - trainCount;
var englishIds = Vocabulary(shuffled.Select(p => p.English));
var frenchIds = Vocabulary(shuffled.Select(p => p.French));
if (Math.Max(englishIds.Count, frenchIds.Count) + 3 > Translator.Characters)
{
    Console.Error.WriteLine($"The corpus has {englishIds.Count} English and {frenchIds.Count} French characters; the model has room for {Translator.Characters - 3}.");
    return 1;
}

var frenchChars = frenchIds.ToDictionary(p => p.Value, p => p.Key);
Console.WriteLine($"{shuffled.Length} English–French pairs from FreeDict ({trainCount} to train, {testCount} to test), " +
                  $"{englishIds.Count} English and {frenchIds.Count} French characters; for example: " +
                  string.Join(", ", shuffled.Take(5).Select(p => $"{p.English} → {p.French}")));

var (enTrain, inTrain, outTrain) = Encode(shuffled, 0, trainCount);
var (enTest, inTest, outTest) = Encode(shuffled, trainCount, testCount);

var model = new Translator(seed: seed);
Console.WriteLine();
Console.WriteLine(model.Summary());
model.Compile(new RMSprop(), "sparse_categorical_crossentropy", metrics: ["accuracy"]);
var times = new List<double>();
for (int epoch = 1; epoch <= epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    var history = model.Fit([enTrain, inTrain], [outTrain], epochs: 1, batchSize: 64, seed: seed + epoch, verbose: 0);
    times.Add(clock.Elapsed.TotalSeconds);
    if (epoch == 1 || epoch % 5 == 0 || epoch == epochs)
    {
        Console.WriteLine($"epoch {epoch}/{epochs}: loss {history["loss"][^1]:F4}, next-character accuracy {history["accuracy"][^1]:F4} ({times[^1]:F2} s)");
    }
}

var test = model.Evaluate([enTest, inTest], [outTest], batchSize: 256);

// Inference as Keras's example does it: the encoder once, then the decoder one character at a time from the start
// character, feeding back its most likely character and its states, until the end character.
var encoder = new CharTranslation.Encoder(seed: 0);
var decoder = new DecoderStep(seed: 0);
CopyWeights(model, encoder);
CopyWeights(model, decoder);
var decoded = Decode(encoder, decoder, enTest, testCount);
int exact = Enumerable.Range(0, testCount).Count(i => decoded[i] == shuffled[trainCount + i].French);
Console.WriteLine("Greedy decoding of held-out words:");
foreach (int i in Enumerable.Range(0, testCount).Where(i => decoded[i] == shuffled[trainCount + i].French).Take(5)
             .Concat(Enumerable.Range(0, testCount).Where(i => decoded[i] != shuffled[trainCount + i].French).Take(5)))
{
    var (english, french) = shuffled[trainCount + i];
    Console.WriteLine($"  {english,-20} → {decoded[i],-22} (dictionary: {french})");
}

double median = Median(times);
Console.WriteLine($"Unrolled: held-out next-character accuracy {test["accuracy"]:P2} (loss {test["loss"]:F4}), exact words {(double)exact / testCount:P2}, " +
                  $"{median:F2} s per epoch (median of {epochs})");

if (!peer)
{
    return 0;
}

string split = Path.Combine(Path.GetTempPath(), $"char-translation-{Environment.ProcessId}.txt");
try
{
    var lines = new StringBuilder();
    for (int i = 0; i < shuffled.Length; i++)
    {
        lines.Append(i < trainCount ? "train" : "test").Append(' ')
            .Append(string.Join(",", shuffled[i].English.Select(c => englishIds[c]))).Append(' ')
            .Append(string.Join(",", shuffled[i].French.Select(c => frenchIds[c]))).Append('\n');
    }

    File.WriteAllText(split, lines.ToString());
    if (RunPeer(split, epochs, seed) is not { } torch)
    {
        return 1;
    }

    Console.WriteLine($"PyTorch:  held-out next-character accuracy {torch.Accuracy:P2}, exact words {torch.Exact:P2}, {torch.SecondsPerEpoch:F2} s per epoch ({torch.Blas})");
    Console.WriteLine($"Unrolled − PyTorch: {(test["accuracy"] - torch.Accuracy) * 100:+0.00;−0.00} points of next-character accuracy, " +
                      $"{((double)exact / testCount - torch.Exact) * 100:+0.00;−0.00} points of exact words; Unrolled {torch.SecondsPerEpoch / median:F2}× as fast per epoch");
}
finally
{
    File.Delete(split);
}

return 0;

static Dictionary<char, int> Vocabulary(IEnumerable<string> words)
    => words.SelectMany(w => w).Distinct().OrderBy(c => c).Select((c, i) => (c, i + 3)).ToDictionary(p => p.c, p => p.Item2);

// English ids; the French word shifted right after the start character (the decoder's input); the French word then the
// end character (its targets, class ids). Everything padded after with 0, which the embeddings mask.
(float[] English, float[] FrenchIn, float[] FrenchOut) Encode((string English, string French)[] data, int start, int count)
{
    int s = Translator.SourceLength, t = Translator.TargetLength;
    var english = new float[count * s];
    var frenchIn = new float[count * t];
    var frenchOut = new float[count * t];
    for (int i = 0; i < count; i++)
    {
        var (en, fr) = data[start + i];
        for (int k = 0; k < en.Length; k++)
        {
            english[(i * s) + k] = englishIds[en[k]];
        }

        frenchIn[i * t] = Start;
        for (int k = 0; k < fr.Length; k++)
        {
            frenchIn[(i * t) + k + 1] = frenchIds[fr[k]];
            frenchOut[(i * t) + k] = frenchIds[fr[k]];
        }

        frenchOut[(i * t) + fr.Length] = End;
    }

    return (english, frenchIn, frenchOut);
}

string[] Decode(CompiledModel encoderModel, CompiledModel decoderModel, float[] english, int count)
{
    var states = encoderModel.Predict([english], count);
    float[] h = states[0], c = states[1];
    var current = Enumerable.Repeat((float)Start, count).ToArray();
    var words = Enumerable.Range(0, count).Select(_ => new StringBuilder()).ToArray();
    var done = new bool[count];
    for (int step = 0; step < Translator.TargetLength && !done.All(d => d); step++)
    {
        var result = decoderModel.Predict([current, h, c], count);
        (h, c) = (result[1], result[2]);
        for (int i = 0; i < count; i++)
        {
            var probabilities = result[0].AsSpan(i * Translator.Characters, Translator.Characters);
            int best = 0;
            for (int k = 1; k < probabilities.Length; k++)
            {
                best = probabilities[k] > probabilities[best] ? k : best;
            }

            current[i] = best == 0 ? End : best; // padding is never a prediction worth feeding back
            if (done[i])
            {
                continue;
            }

            if (best <= End || !frenchChars.TryGetValue(best, out char character))
            {
                done[i] = true;
            }
            else
            {
                words[i].Append(character);
            }
        }
    }

    return words.Select(w => w.ToString()).ToArray();
}

static void CopyWeights(CompiledModel from, CompiledModel to)
{
    foreach (var weight in to.Description.Weights)
    {
        from.GetWeights(weight.Layer, weight.Name).CopyTo(to.GetWeights(weight.Layer, weight.Name));
    }
}

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static (double Accuracy, double Exact, double SecondsPerEpoch, string Blas)? RunPeer(string split, int epochs, int seed)
    => Unrolled.Samples.TorchPeer.Run("--data", split, "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture)) is { } root
        ? (root.GetProperty("test_accuracy").GetDouble(), root.GetProperty("exact").GetDouble(), root.GetProperty("seconds_per_epoch").GetDouble(),
            root.GetProperty("blas").GetString() ?? "?")
        : null;
