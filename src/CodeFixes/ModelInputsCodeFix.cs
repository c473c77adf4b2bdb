using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Unrolled.CodeFixes;

/// <summary>
/// Edits the inputs of <c>new Model(inputs, outputs)</c>: UNR0002 adds the input an output depends on; UNR0010 removes
/// an input no output uses. A single input becomes a list (<c>a</c> → <c>[a, b]</c>) and a one-element list stays a list.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ModelInputsCodeFix)), Shared]
public sealed class ModelInputsCodeFix : CodeFixProvider
{
    /// <summary>Graph disconnected: an output needs an input the model does not list.</summary>
    public const string DisconnectedId = "UNR0002";

    /// <summary>Unused model input.</summary>
    public const string UnusedId = "UNR0010";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DisconnectedId, UnusedId);

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var creation = node.AncestorsAndSelf().OfType<BaseObjectCreationExpressionSyntax>().FirstOrDefault();
            var inputs = creation is null ? null : InputsArgument(creation);
            if (inputs is null || !IsEditableList(inputs.Expression, model))
            {
                // A list held in a variable, or one with spread elements, cannot be edited in place safely.
                continue;
            }

            if (diagnostic.Id == DisconnectedId && diagnostic.Properties.TryGetValue("InputVariable", out var variable) && variable is not null)
            {
                string title = $"Add '{variable}' to the model's inputs";
                context.RegisterCodeFix(CodeAction.Create(title,
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(inputs.Expression, WithInput(inputs.Expression, variable)))),
                    equivalenceKey: title), diagnostic);
            }
            else if (diagnostic.Id == UnusedId && node.AncestorsAndSelf().OfType<ExpressionSyntax>().FirstOrDefault() is { } unused
                     && Elements(inputs.Expression) is { Count: > 1 } elements && elements.Contains(unused))
            {
                string title = $"Remove '{unused}' from the model's inputs";
                context.RegisterCodeFix(CodeAction.Create(title,
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(inputs.Expression,
                        List(elements.Where(e => e != unused)).WithTriviaFrom(inputs.Expression)))),
                    equivalenceKey: title), diagnostic);
            }
        }
    }

    /// <summary>A literal list (collection expression without spreads, array creation) or a single tensor.</summary>
    private static bool IsEditableList(ExpressionSyntax inputs, SemanticModel? model) => inputs switch
    {
        CollectionExpressionSyntax collection => collection.Elements.All(e => e is ExpressionElementSyntax),
        ArrayCreationExpressionSyntax { Initializer: not null } or ImplicitArrayCreationExpressionSyntax => true,
        _ => model?.GetTypeInfo(inputs).Type?.Name == "Tensor",
    };

    private static ArgumentSyntax? InputsArgument(BaseObjectCreationExpressionSyntax creation)
    {
        var arguments = creation.ArgumentList?.Arguments;
        return arguments?.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "inputs")
               ?? arguments?.FirstOrDefault(a => a.NameColon is null);
    }

    /// <summary>The tensors listed by a collection expression or array creation, or the single tensor.</summary>
    private static System.Collections.Generic.List<ExpressionSyntax> Elements(ExpressionSyntax inputs) => inputs switch
    {
        CollectionExpressionSyntax collection => collection.Elements.OfType<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
        ArrayCreationExpressionSyntax { Initializer: { } init } => init.Expressions.ToList(),
        ImplicitArrayCreationExpressionSyntax array => array.Initializer.Expressions.ToList(),
        _ => new System.Collections.Generic.List<ExpressionSyntax> { inputs },
    };

    private static ExpressionSyntax WithInput(ExpressionSyntax inputs, string variable)
        => List(Elements(inputs).Append(SyntaxFactory.IdentifierName(variable))).WithTriviaFrom(inputs);

    private static CollectionExpressionSyntax List(System.Collections.Generic.IEnumerable<ExpressionSyntax> elements)
        => SyntaxFactory.CollectionExpression(SyntaxFactory.SeparatedList<CollectionElementSyntax>(
            elements.Select(e => SyntaxFactory.ExpressionElement(e.WithoutTrivia())),
            elements.Skip(1).Select(_ => SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space))));
}
