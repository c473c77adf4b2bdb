using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.MSBuild;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Unrolled.Ide.Tests;

public class IdeSquiggleTests
{
    private static readonly Lazy<bool> s_msbuild = new(() =>
    {
        MSBuildLocator.RegisterDefaults();
        return true;
    });

    private static string Repository([CallerFilePath] string path = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    [Fact]
    public async Task An_error_typed_into_the_sample_appears_at_its_line_and_column()
    {
        _ = s_msbuild.Value;
        using var workspace = MSBuildWorkspace.Create();
        var project = await workspace.OpenProjectAsync(Path.Combine(Repository(), "samples", "FashionMnist", "FashionMnist.csproj"));
        var document = project.Documents.Single(d => d.Name == "FashionMlp.cs");
        var text = (await document.GetTextAsync()).ToString();

        // Type a residual Add of a 64-wide tensor and a 10-wide one, as a user would.
        const string original = "var outputs = Dense(10, Activation.Softmax)(x);";
        const string typed = "var outputs = Add([Dense(10, Activation.Softmax)(x), x]);";
        Assert.Contains(original, text);
        var edited = document.WithText(SourceText.From(text.Replace(original, typed)));
        var compilation = (await edited.Project.GetCompilationAsync())!;

        var analyzers = edited.Project.AnalyzerReferences.SelectMany(r => r.GetAnalyzers(LanguageNames.CSharp)).ToImmutableArray();
        Assert.Contains(analyzers, a => a.GetType().FullName == "Unrolled.Analyzers.ModelBuilderAnalyzer");
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();

        var squiggle = Assert.Single(diagnostics, d => d.Id == "UNR0001");
        var position = squiggle.Location.GetLineSpan();
        string editedText = (await edited.GetTextAsync()).ToString();
        string[] lines = editedText.Split('\n');
        int line = Array.FindIndex(lines, l => l.Contains(typed));
        int column = lines[line].IndexOf(", x]", StringComparison.Ordinal) + 2;
        Assert.Equal((line, column), (position.StartLinePosition.Line, position.StartLinePosition.Character));
        Assert.Equal(1, position.EndLinePosition.Character - position.StartLinePosition.Character);
        Assert.Contains("(None, 64)", squiggle.GetMessage());
        Assert.Contains("(None, 10)", squiggle.GetMessage());
    }
}
