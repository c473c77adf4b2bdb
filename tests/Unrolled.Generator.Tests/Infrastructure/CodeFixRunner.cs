using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace Unrolled.Generator.Tests.Infrastructure;

/// <summary>Runs a code fix the way an IDE does: in a workspace, one action at a time; returns each fixed text.</summary>
internal static class CodeFixRunner
{
    public static async Task<List<(string Title, string Source)>> ApplyEachAsync(CodeFixProvider fix, string source, Diagnostic diagnostic)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("Test", LanguageNames.CSharp)
            .WithParseOptions(TestCompiler.ParseOptions)
            .WithMetadataReferences(TestCompiler.Compile().References);
        var document = project.AddDocument("Model0.cs", SourceText.From(source));
        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        var results = new List<(string, string)>();
        foreach (var action in actions)
        {
            var operations = await action.GetOperationsAsync(CancellationToken.None);
            var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
            results.Add((action.Title, (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString()));
        }

        return results;
    }
}
