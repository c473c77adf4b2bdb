using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Graphviz's <c>dot</c>, the parser our DOT text must satisfy, found on the PATH. Without it the tests that need it are
/// reported as skipped with the reason, unless UNROLLED_REQUIRE_GRAPHVIZ=1, as CI sets after <c>apt-get install graphviz</c>,
/// and then they fail (see <see cref="Peer"/>).
/// </summary>
internal static class Graphviz
{
    private static readonly Lazy<string?> s_dot = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "dot")).FirstOrDefault(File.Exists));

    /// <summary>Skips the test when <c>dot</c> is missing (fails it under UNROLLED_REQUIRE_GRAPHVIZ=1).</summary>
    public static void Require() => Peer.Require(
        s_dot.Value is null ? "Graphviz is not installed: dot is not on the PATH (apt-get install graphviz)" : null,
        "UNROLLED_REQUIRE_GRAPHVIZ");

    /// <summary>Renders DOT text to SVG; the text must parse without a warning.</summary>
    public static XDocument Svg(string dot)
    {
        var start = new ProcessStartInfo(s_dot.Value!, "-Tsvg")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardInput.Write(dot);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(60_000), "dot did not finish within a minute");
        Assert.True(process.ExitCode == 0 && error.Result.Length == 0, $"dot exited with {process.ExitCode}: {error.Result}\n{dot}");
        return XDocument.Parse(output.Result);
    }

    /// <summary>The SVG's groups of a Graphviz class: <c>node</c>, <c>edge</c> or <c>cluster</c>.</summary>
    public static XElement[] Groups(XDocument svg, string kind)
        => svg.Descendants().Where(e => e.Name.LocalName == "g" && (string?)e.Attribute("class") == kind).ToArray();

    /// <summary>The lines of text of a node or cluster, as Graphviz laid them out.</summary>
    public static string[] Texts(XElement group)
        => group.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToArray();
}
