using System;
using System.IO;

namespace Unrolled.Tests;

/// <summary>
/// ONNX's checker (tests/onnx/check.py: <see cref="Peer.Python"/> with python3-onnx) and ONNX Runtime (tests/onnx/run.mjs:
/// Node.js with onnxruntime-node, which is installed into tests/onnx/node_modules with npm when it is missing). CI
/// installs them and sets UNROLLED_REQUIRE_ONNX=1.
/// </summary>
internal static class OnnxTools
{
    private static readonly Lazy<string?> s_missing = new(FindMissingTool);

    /// <summary>tests/onnx, where check.py, run.mjs and node_modules are.</summary>
    public static string Directory => Path.GetDirectoryName(RepositoryFiles.Find("tests/onnx/package.json"))!;

    /// <summary>Skips the test when a tool is missing (fails it under UNROLLED_REQUIRE_ONNX=1); returns run.mjs.</summary>
    public static string Require()
    {
        Peer.Require(s_missing.Value, "UNROLLED_REQUIRE_ONNX");
        return Path.Combine(Directory, "run.mjs");
    }

    /// <summary>Null when python3-onnx, Node and onnxruntime-node are all there, else what is missing.</summary>
    private static string? FindMissingTool()
    {
        if (!Peer.PythonImports("onnx"))
        {
            return $"ONNX is not installed: {Peer.Python} cannot import onnx (apt-get install python3-onnx)";
        }

        if (!Peer.Runs("node", "--version", "."))
        {
            return "Node.js is not installed: node is not on the PATH (apt-get install nodejs npm)";
        }

        string directory = Directory;
        if (!System.IO.Directory.Exists(Path.Combine(directory, "node_modules", "onnxruntime-node")))
        {
            var (code, error) = NpmInstall(directory);
            if (code != 0)
            {
                return $"ONNX Runtime is not installed: npm install in {directory} failed: {error}";
            }
        }

        var probe = ExternalProcess.Run("node", "-e \"import('onnxruntime-node').then(() => process.exit(0), e => { console.error(e.message); process.exit(1); })\"", directory);
        return probe.Code == 0 ? null : $"ONNX Runtime does not load: onnxruntime-node in {directory} failed: {probe.Error.Trim()}";
    }

    private static (int Code, string Error) NpmInstall(string directory)
    {
        try
        {
            var (code, _, error) = ExternalProcess.Run("npm", "install --ignore-scripts --no-audit --no-fund", directory);
            return (code, error.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"npm cannot be run ({e.Message})");
        }
    }
}
