using System;
using System.Diagnostics;
using System.IO;

namespace FashionMnist;

/// <summary>
/// Makes the README's first command work on a fresh Debian machine: when the default data folder is missing and the
/// sample runs as root with apt-get available, it installs Debian's dataset-fashion-mnist package (saying so first).
/// Anywhere else it explains what to install or which folder to pass.
/// </summary>
internal static class DatasetInstaller
{
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    public static bool EnsureInstalled(string folder)
    {
        if (Directory.Exists(folder))
        {
            return true;
        }

        if (folder != DefaultFolder || !OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            Console.Error.WriteLine($"Fashion-MNIST was not found in {folder}. On Debian or Ubuntu: 'sudo apt-get install dataset-fashion-mnist'; " +
                                    "elsewhere download the four IDX files and pass --data DIR.");
            return false;
        }

        Console.WriteLine("Fashion-MNIST is not installed; installing Debian's dataset-fashion-mnist package (apt-get)...");
        return Run("apt-get", "update -qq") && Run("apt-get", "install -y -qq dataset-fashion-mnist") && Directory.Exists(folder);
    }

    private static bool Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false });
        process!.WaitForExit();
        return process.ExitCode == 0;
    }
}
