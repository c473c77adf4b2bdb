using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace CharTranslation;

/// <summary>
/// A real paired corpus from a Debian package: FreeDict's English–French dictionary (dict-freedict-eng-fra, 8,799
/// headwords, in dictd's format: an index of headwords with base-64 offsets into a gzip-compressed text). Each headword
/// is paired with its first French translation; pairs are kept when both sides are lowercase letters and spaces (no
/// proper nouns, abbreviations or punctuation) and fit the model's lengths.
/// </summary>
internal static class Dictionary
{
    public const string Index = "/usr/share/dictd/freedict-eng-fra.index", Data = "/usr/share/dictd/freedict-eng-fra.dict.dz";

    public static List<(string English, string French)> Load()
    {
        EnsureInstalled();
        byte[] text;
        using (var gzip = new GZipStream(File.OpenRead(Data), CompressionMode.Decompress))
        using (var buffer = new MemoryStream())
        {
            gzip.CopyTo(buffer);
            text = buffer.ToArray();
        }

        var pairs = new List<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(Index, Encoding.UTF8))
        {
            string[] fields = line.Split('\t');
            if (fields.Length != 3 || fields[0].StartsWith("00", StringComparison.Ordinal))
            {
                continue; // the database's own entries (00-database-info, …)
            }

            long offset = Base64(fields[1]), length = Base64(fields[2]);
            if (offset < 0 || length < 0 || offset + length > text.Length)
            {
                throw new InvalidDataException($"The dictionary's index points outside its data at '{fields[0]}'.");
            }

            string[] entry = Encoding.UTF8.GetString(text, (int)offset, (int)length).Trim('\n').Split('\n');
            if (entry.Length < 2)
            {
                continue;
            }

            // "word /ipa/" then "1. first, second" or "first, second".
            string english = entry[0].Split(" /")[0].Trim();
            string french = entry[1].Trim();
            if (french.StartsWith("1. ", StringComparison.Ordinal))
            {
                french = french.Substring(3);
            }

            french = french.Split(',')[0].Trim();
            if (Plain(english, Translator.SourceLength) && Plain(french, Translator.TargetLength - 2) && seen.Add(english))
            {
                pairs.Add((english, french));
            }
        }

        return pairs;
    }

    private static bool Plain(string text, int maxLength)
        => text.Length >= 1 && text.Length <= maxLength && text.All(c => c == ' ' || (char.IsLetter(c) && char.IsLower(c)));

    /// <summary>dictd's numbers: base 64 with the alphabet A–Z, a–z, 0–9, +, /.</summary>
    private static long Base64(string digits)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        long value = 0;
        foreach (char c in digits)
        {
            int d = alphabet.IndexOf(c);
            if (d < 0 || value > long.MaxValue / 64)
            {
                return -1;
            }

            value = (value * 64) + d;
        }

        return value;
    }

    private static void EnsureInstalled()
    {
        if (File.Exists(Index) && File.Exists(Data))
        {
            return;
        }

        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            throw new FileNotFoundException("FreeDict's English–French dictionary is missing: install Debian's dict-freedict-eng-fra " +
                                            "('sudo apt-get install dict-freedict-eng-fra').");
        }

        Console.WriteLine("Installing Debian's dict-freedict-eng-fra with apt-get...");
        using var process = Process.Start(new ProcessStartInfo("apt-get", "install -y -qq dict-freedict-eng-fra") { UseShellExecute = false })!;
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(Index))
        {
            throw new FileNotFoundException("apt-get could not install dict-freedict-eng-fra.");
        }
    }
}
