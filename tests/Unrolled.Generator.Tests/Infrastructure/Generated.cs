using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace Unrolled.Generator.Tests.Infrastructure;

/// <summary>Runs the generator on a valid builder and reads what it emitted.</summary>
internal static class Generated
{
    /// <summary>The single generated file, after checking that it compiles without errors.</summary>
    public static string Code(string source)
    {
        var (result, output) = TestCompiler.Generate(TestCompiler.Compile(source));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, TestCompiler.Describe(errors));
        return Assert.Single(result.GeneratedTrees).GetText().ToString();
    }

    /// <summary>The Keras summary table embedded in generated code, as the model prints it, without the workspace line
    /// that follows Keras's table (see <see cref="WorkspaceLine"/>).</summary>
    public static string Summary(string code)
    {
        string text = FullSummary(code);
        int workspace = text.IndexOf("Workspace: ", System.StringComparison.Ordinal);
        return workspace < 0 ? text : text.Substring(0, workspace);
    }

    /// <summary>The line after Keras's table that reports the workspace.</summary>
    public static string WorkspaceLine(string code)
        => FullSummary(code).Split('\n').Single(l => l.StartsWith("Workspace: ", System.StringComparison.Ordinal));

    private static string FullSummary(string code)
    {
        string literal = code.Split('\n').Single(l => l.TrimStart().StartsWith("summary: ", System.StringComparison.Ordinal)).Trim();
        literal = literal.Substring("summary: ".Length).TrimEnd(',', ';', ')');
        return ((LiteralExpressionSyntax)SyntaxFactory.ParseExpression(literal)).Token.ValueText;
    }
}
