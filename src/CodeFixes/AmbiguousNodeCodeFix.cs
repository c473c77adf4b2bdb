using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Unrolled.CodeFixes;

/// <summary>
/// UNR0015: replaces <c>shared.Output</c> (ambiguous on a layer with several nodes) by <c>shared.GetOutputAt(i)</c>,
/// offering one fix per node; likewise <c>Input</c>, <c>OutputShape</c> and <c>InputShape</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AmbiguousNodeCodeFix)), Shared]
public sealed class AmbiguousNodeCodeFix : CodeFixProvider
{
    /// <summary>The diagnostic id this fixes.</summary>
    public const string DiagnosticId = "UNR0015";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticId);

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null; // each site needs its own choice of node

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
                || node.AncestorsAndSelf().OfType<MemberAccessExpressionSyntax>().FirstOrDefault() is not { } access
                || !diagnostic.Properties.TryGetValue("NodeCount", out var countText)
                || !int.TryParse(countText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count)
                || !diagnostic.Properties.TryGetValue("Method", out var method) || method is null)
            {
                continue;
            }

            for (int i = 0; i < count; i++)
            {
                int index = i;
                string title = $"Use {method}({index})";
                context.RegisterCodeFix(
                    CodeAction.Create(title, _ => Task.FromResult(Replace(context.Document, root, access, method, index)), equivalenceKey: title),
                    diagnostic);
            }
        }
    }

    private static Document Replace(Document document, SyntaxNode root, MemberAccessExpressionSyntax access, string method, int index)
    {
        var call = SyntaxFactory.InvocationExpression(
                access.WithName(SyntaxFactory.IdentifierName(method)),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(
                    SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(index))))))
            .WithTriviaFrom(access);
        return document.WithSyntaxRoot(root.ReplaceNode(access, call));
    }
}
