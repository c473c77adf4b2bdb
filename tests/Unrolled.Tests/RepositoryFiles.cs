using System;
using System.IO;

namespace Unrolled.Tests;

/// <summary>Finds files of this repository (the Python and Node peers under tests/) from the test's output folder.</summary>
internal static class RepositoryFiles
{
    /// <summary>The path of <paramref name="relative"/> (e.g. <c>tests/torch/reference.py</c>) in the nearest folder above
    /// the test binaries that holds it.</summary>
    public static string Find(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
