using System;
using System.IO;
using System.Runtime.CompilerServices;
using Xunit;

namespace Unrolled.Generator.Tests.Infrastructure;

/// <summary>
/// Expected generated code kept as files next to the tests and compared whole. A mismatch writes the actual text
/// beside the baseline as <c>NAME.received.cs</c>; accept it by renaming it over the baseline (or set
/// UNROLLED_ACCEPT_BASELINES=1 and run the tests again).
/// </summary>
internal static class Baseline
{
    public static void Match(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerPath)!, "Baselines");
        string expectedPath = Path.Combine(directory, name + ".g.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("UNROLLED_ACCEPT_BASELINES") == "1")
        {
            File.WriteAllText(expectedPath, actual);
        }

        string? expected = File.Exists(expectedPath) ? File.ReadAllText(expectedPath).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(receivedPath))
            {
                File.Delete(receivedPath);
            }

            return;
        }

        File.WriteAllText(receivedPath, actual);
        Assert.Fail($"Generated code for '{name}' differs from {expectedPath}. The actual text is in {receivedPath}; " +
                    "if the change is intended, rename it over the baseline or run the tests with UNROLLED_ACCEPT_BASELINES=1.");
    }
}
