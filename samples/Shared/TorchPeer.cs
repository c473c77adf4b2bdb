using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;

namespace Unrolled.Samples;

/// <summary>
/// Runs a sample's PyTorch peer (its <c>peer.py</c>, copied next to the sample) in this run, with OpenBLAS as
/// bench/torch-blas.sh sets it up for PyTorch's process only (the machine's OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
/// removed, one thread): echoes its lines and returns its last one, a JSON object of figures; null after saying why.
/// </summary>
internal static class TorchPeer
{
    public static JsonElement? Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "peer.py"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        try
        {
            using var process = Process.Start(start)!;
            string? last = null;
            while (process.StandardOutput.ReadLine() is { } line)
            {
                Console.WriteLine("  torch: " + line);
                last = line;
            }

            process.WaitForExit();
            if (process.ExitCode != 0 || last is null)
            {
                Console.Error.WriteLine($"The PyTorch peer failed (exit code {process.ExitCode}); is python3-torch installed?");
                return null;
            }

            using var json = JsonDocument.Parse(last);
            return json.RootElement.Clone();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("The PyTorch peer needs /usr/bin/python3 with python3-torch (apt-get install python3-torch).");
            return null;
        }
        catch (JsonException)
        {
            Console.Error.WriteLine("The PyTorch peer's last line is not its JSON figures.");
            return null;
        }
    }
}
