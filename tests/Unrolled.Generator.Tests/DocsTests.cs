using System.IO;
using System.Runtime.CompilerServices;
using Unrolled.Analyzers;
using Unrolled.Generator;
using Xunit;

namespace Unrolled.Generator.Tests;

public class DocsTests
{
    private static string RepositoryRoot([CallerFilePath] string path = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    [Fact]
    public void Every_diagnostic_has_a_docs_page_that_names_it()
    {
        foreach (var descriptor in new ModelBuilderAnalyzer().SupportedDiagnostics.Add(GeneratorDiagnostics.InternalError))
        {
            string page = Path.Combine(RepositoryRoot(), "docs", "diagnostics", descriptor.Id + ".md");
            Assert.True(File.Exists(page), $"{descriptor.Id} has no docs page at {page}");
            string text = File.ReadAllText(page);
            Assert.Contains("# " + descriptor.Id, text);
            Assert.EndsWith("docs/diagnostics/" + descriptor.Id + ".md", descriptor.HelpLinkUri);
        }
    }

    [Fact]
    public void Every_diagnostic_is_listed_in_the_readme_and_the_release_tracking()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        string unshipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Analyzers", "AnalyzerReleases.Unshipped.md"));
        foreach (var descriptor in new ModelBuilderAnalyzer().SupportedDiagnostics)
        {
            Assert.Contains(descriptor.Id, readme);
            Assert.Contains(descriptor.Id, unshipped);
        }

        string generatorUnshipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Generator", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains(GeneratorDiagnostics.InternalError.Id, readme);
        Assert.Contains(GeneratorDiagnostics.InternalError.Id, generatorUnshipped);
    }
}
