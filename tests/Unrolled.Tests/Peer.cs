using System;
using System.ComponentModel;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// What the tests that compare with an outside implementation (PyTorch, ONNX's checker and ONNX Runtime, Graphviz's
/// <c>dot</c>) do when it is missing: the test is reported as skipped with the reason, never as passed, unless its
/// UNROLLED_REQUIRE_* variable is 1 (CI sets them after installing the tools), and then it fails. Such tests are
/// <c>[SkippableFact]</c> or <c>[SkippableTheory]</c>; each peer has one helper (<see cref="PyTorch"/>,
/// <see cref="OnnxTools"/>, <see cref="Graphviz"/>) that words its reason.
/// </summary>
internal static class Peer
{
    /// <summary>
    /// The Python that runs tests/torch and tests/onnx: UNROLLED_PYTHON when set (for instance a Python without torch,
    /// to see the comparisons skip), else Debian's /usr/bin/python3, where apt-get installs python3-torch and python3-onnx.
    /// </summary>
    public static string Python => Environment.GetEnvironmentVariable("UNROLLED_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3";

    /// <summary>Returns when nothing is missing; otherwise skips the test with <paramref name="missing"/> as the reason,
    /// or fails it when <paramref name="requireVariable"/> is 1.</summary>
    public static void Require(string? missing, string requireVariable)
    {
        if (missing is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(requireVariable) == "1")
        {
            Assert.Fail($"{requireVariable}=1 but {missing}");
        }

        throw new SkipException(missing);
    }

    /// <summary>Whether <see cref="Python"/> runs and imports <paramref name="module"/>.</summary>
    public static bool PythonImports(string module) => Runs(Python, $"-c \"import {module}\"", ".");

    /// <summary>Whether the program runs and exits with 0 (false when it is not there at all).</summary>
    public static bool Runs(string file, string arguments, string directory)
    {
        try
        {
            return ExternalProcess.Run(file, arguments, directory).Code == 0;
        }
        catch (Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>PyTorch, for tests/torch/reference.py: imported by <see cref="Peer.Python"/> (CI: apt-get install python3-torch).</summary>
internal static class PyTorch
{
    private static readonly Lazy<string?> s_missing = new(() => Peer.PythonImports("torch")
        ? null
        : $"PyTorch is not installed: {Peer.Python} cannot import torch (apt-get install python3-torch)");

    /// <summary>Skips the test when PyTorch is missing (fails it under UNROLLED_REQUIRE_TORCH=1).</summary>
    public static void Require() => Peer.Require(s_missing.Value, "UNROLLED_REQUIRE_TORCH");
}
