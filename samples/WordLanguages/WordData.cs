using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace WordLanguages;

/// <summary>
/// Real labelled text from Debian's word lists: each word labelled with its language (wamerican, wngerman, wfrench,
/// wspanish, witalian). Only lowercase entries of letters, 2 to 16 long (no proper nouns, abbreviations, possessives or
/// German nouns, which are capitalised); a word found in more than one list is dropped, as its label would be ambiguous.
/// The same number of words is drawn from each language, shuffled with a fixed seed and split 80 / 20. Characters become
/// ids 1…n (0 is the padding), each word padded after its last character to 16.
/// </summary>
internal sealed class WordData
{
    public static readonly (string Language, string File, string Package)[] Lists =
    [
        ("english", "american-english", "wamerican"),
        ("german", "ngerman", "wngerman"),
        ("french", "french", "wfrench"),
        ("spanish", "spanish", "wspanish"),
        ("italian", "italian", "witalian"),
    ];

    public const string Folder = "/usr/share/dict";

    private WordData(string[] words, int[] labels, Dictionary<char, int> ids, int train)
        => (Words, Labels, Ids, TrainCount) = (words, labels, ids, train);

    /// <summary>Every word drawn, training words first.</summary>
    public string[] Words { get; }

    public int[] Labels { get; }

    /// <summary>Character → id (1…).</summary>
    public Dictionary<char, int> Ids { get; }

    public int TrainCount { get; }

    public int TestCount => Words.Length - TrainCount;

    /// <summary>Reads the lists, installing the Debian packages when they are missing and the sample runs as root.</summary>
    public static WordData Load(int perLanguage, int seed)
    {
        EnsureInstalled();
        var byLanguage = Lists.Select(l => ReadWords(Path.Combine(Folder, l.File))).ToArray();
        var seen = new Dictionary<string, int>();
        foreach (var words in byLanguage)
        {
            foreach (string w in words)
            {
                seen[w] = seen.TryGetValue(w, out int n) ? n + 1 : 1;
            }
        }

        var random = new Random(seed);
        var chosen = new List<(string Word, int Label)>();
        for (int l = 0; l < byLanguage.Length; l++)
        {
            var unique = byLanguage[l].Where(w => seen[w] == 1).OrderBy(w => w, StringComparer.Ordinal).ToArray();
            random.Shuffle(unique);
            chosen.AddRange(unique.Take(perLanguage).Select(w => (w, l)));
        }

        var all = chosen.ToArray();
        random.Shuffle(all);
        var ids = all.SelectMany(p => p.Word).Distinct().OrderBy(c => c).Select((c, i) => (c, i + 1)).ToDictionary(p => p.c, p => p.Item2);
        if (ids.Count >= WordTransformer.Vocabulary)
        {
            throw new InvalidOperationException($"The word lists use {ids.Count} characters; the models have room for {WordTransformer.Vocabulary - 1}.");
        }

        return new WordData(all.Select(p => p.Word).ToArray(), all.Select(p => p.Label).ToArray(), ids, (int)(all.Length * 0.8));
    }

    /// <summary>Ids [count, 16], floats, padded with 0 after the word; and the labels as class indices.</summary>
    public (float[] X, float[] Y) Encode(int start, int count)
    {
        const int length = WordTransformer.MaxLength;
        var x = new float[count * length];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            string w = Words[start + i];
            for (int t = 0; t < w.Length; t++)
            {
                x[(i * length) + t] = Ids[w[t]];
            }

            y[i] = Labels[start + i];
        }

        return (x, y);
    }

    /// <summary>The split as text for the PyTorch peer: one line per word, "train|test label id id …".</summary>
    public void Write(string file)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Words.Length; i++)
        {
            text.Append(i < TrainCount ? "train " : "test ").Append(Labels[i]);
            foreach (char c in Words[i])
            {
                text.Append(' ').Append(Ids[c]);
            }

            text.Append('\n');
        }

        File.WriteAllText(file, text.ToString());
    }

    private static HashSet<string> ReadWords(string file)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(file, Encoding.UTF8))
        {
            string w = line.Trim();
            if (w.Length >= 2 && w.Length <= WordTransformer.MaxLength && char.IsLower(w[0]) && w.All(char.IsLetter) && w == w.ToLowerInvariant())
            {
                words.Add(w);
            }
        }

        return words;
    }

    private static void EnsureInstalled()
    {
        var missing = Lists.Where(l => !File.Exists(Path.Combine(Folder, l.File))).Select(l => l.Package).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            throw new FileNotFoundException($"The word lists are missing from {Folder}: install Debian's {string.Join(", ", missing)} " +
                                            $"('sudo apt-get install {string.Join(" ", missing)}').");
        }

        Console.WriteLine($"Installing Debian's word lists ({string.Join(", ", missing)}) with apt-get...");
        using var process = Process.Start(new ProcessStartInfo("apt-get", $"install -y -qq {string.Join(" ", missing)}") { UseShellExecute = false })!;
        process.WaitForExit();
        if (process.ExitCode != 0 || Lists.Any(l => !File.Exists(Path.Combine(Folder, l.File))))
        {
            throw new FileNotFoundException($"apt-get could not install {string.Join(", ", missing)}.");
        }
    }
}
