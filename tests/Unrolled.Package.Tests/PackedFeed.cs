using System;
using System.Globalization;
using System.IO;
using Xunit;

namespace Unrolled.Package.Tests;

/// <summary>
/// Packs Unrolled and Unrolled.Templates once, from a copy of the sources (as a clean clone would), with a version
/// no cache can already hold, into a local folder source; consumers restore from it into their own packages folder,
/// with this machine's package cache as a read-only fallback for everything else.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    public PackedFeed()
    {
        RepositoryRoot = FindRepositoryRoot();
        Root = Path.Combine(Path.GetTempPath(), "unrolled-package-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        Version = "0.1.0-local." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

        string sources = Path.Combine(Root, "sources");
        foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props", "LICENSE" })
        {
            Directory.CreateDirectory(sources);
            File.Copy(Path.Combine(RepositoryRoot, file), Path.Combine(sources, file));
        }

        CopyTree(Path.Combine(RepositoryRoot, "src"), Path.Combine(sources, "src"));
        string suffix = Version["0.1.0-".Length..];
        PackOutput = DotNet.Succeed(sources, "pack", "src/Runtime/Unrolled.Runtime.csproj", "-c", "Release", "-o", Feed, "-p:VersionSuffix=" + suffix);
        PackOutput += DotNet.Succeed(sources, "pack", "src/Templates/Unrolled.Templates.csproj", "-c", "Release", "-o", Feed, "-p:VersionSuffix=" + suffix);

        string userCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{userCache}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>A folder whose NuGet.config every project below it uses.</summary>
    public string Root { get; }

    public string Feed { get; }

    public string Version { get; }

    public string RepositoryRoot { get; }

    public string PackOutput { get; }

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>Where restore unpacked Unrolled for the consumers.</summary>
    public string RestoredPackage => Path.Combine(Root, "packages", "unrolled", Version);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Generators.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Generators.sln not found above " + AppContext.BaseDirectory);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (string dir in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(dir);
            if (name is "bin" or "obj")
            {
                continue;
            }

            CopyTree(dir, Path.Combine(to, name));
        }
    }
}
