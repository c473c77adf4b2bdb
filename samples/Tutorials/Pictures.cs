using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Unrolled;

namespace Tutorials;

/// <summary>
/// <c>--graph DIR</c>: each model's graph as Keras's <c>plot_model(show_shapes=True, expand_nested=True)</c> draws it,
/// in DOT (<c>.dot</c>), Mermaid (<c>.mmd</c>) and, when Graphviz is installed, SVG; and the training curves of a
/// short fit (<c>xy-training.svg</c>).
/// </summary>
internal static class Pictures
{
    public static void Write(string directory, IEnumerable<(string Name, Func<CompiledModel> Create)> models)
    {
        Directory.CreateDirectory(directory);
        string? dot = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "dot")).FirstOrDefault(File.Exists);
        foreach (var (name, create) in models)
        {
            var model = create();
            string dotFile = Path.Combine(directory, name + ".dot");
            File.WriteAllText(dotFile, model.Graph());
            File.WriteAllText(Path.Combine(directory, name + ".mmd"), model.Graph(GraphFormat.Mermaid));
            string written = $"{name}.dot, {name}.mmd";
            if (dot is not null)
            {
                using var process = Process.Start(new ProcessStartInfo(dot, ["-Tsvg", dotFile, "-o", Path.Combine(directory, name + ".svg")])
                {
                    UseShellExecute = false,
                    RedirectStandardError = true,
                })!;
                string errors = process.StandardError.ReadToEnd();
                process.WaitForExit();
                written += process.ExitCode == 0 ? $", {name}.svg" : $" (dot failed: {errors.Trim()})";
            }

            Console.WriteLine($"{name}: {written}");
        }

        if (dot is null)
        {
            Console.WriteLine("Graphviz's dot is not installed (apt-get install graphviz), so no .svg; the .dot files render with it anywhere.");
        }

        var history = TwoInTwoOut.FitForCurves();
        File.WriteAllText(Path.Combine(directory, "xy-training.svg"), history.ToSvg("x_in / y_in: a short fit"));
        Console.WriteLine($"xy-training.svg: {history.Epochs} epochs of {string.Join(", ", history.Values.Keys)}");
    }
}
