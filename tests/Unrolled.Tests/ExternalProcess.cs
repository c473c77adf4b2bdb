using System;
using System.Diagnostics;

namespace Unrolled.Tests;

/// <summary>Runs the tests' peers (Python with PyTorch or ONNX, Node with ONNX Runtime) and collects what they print.</summary>
internal static class ExternalProcess
{
    /// <summary>Runs <paramref name="file"/> and waits up to five minutes; code -1 when it did not finish.</summary>
    public static (int Code, string Output, string Error) Run(string file, string arguments, string directory = ".")
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, output, $"{file} {arguments} did not finish in 5 minutes");
        }

        return (process.ExitCode, output, error.Result);
    }
}
