using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Measures how deeply a builder's syntax nests before anything recursive looks at it. Roslyn builds the operation
/// tree of a method recursively, and so does the evaluator; a call nested a few thousand levels deep
/// (<c>Dense(2)(Dense(2)(…(x)…))</c>) would overflow the stack of the compiler or the IDE's analyzer host, which no
/// code can catch. The walk here is iterative, so it cannot overflow whatever the depth.
/// </summary>
internal static class SyntaxDepth
{
    /// <summary>The deepest nesting of syntax nodes a builder may have. Real builders nest a few dozen levels; each
    /// nested layer call is about four (invocation, argument list, argument, invocation). Roslyn spends many frames on
    /// each level when it binds (a chain of "var" declarations inferring each other's types costs about twenty), so the
    /// bound is far below what a 1 MB stack holds: the deepest file of the samples and tests nests 26 levels.</summary>
    public const int Limit = 200;

    /// <summary>The first node (in document order) nested deeper than <see cref="Limit"/> below
    /// <paramref name="root"/>, or null.</summary>
    public static SyntaxNode? FirstTooDeep(SyntaxNode root, CancellationToken cancellationToken)
    {
        var stack = new Stack<(SyntaxNode Node, int Depth)>();
        stack.Push((root, 0));
        int visited = 0;
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (depth > Limit)
            {
                return node;
            }

            if ((++visited & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            // Children pushed last-first, so the walk meets them in document order.
            var children = node.ChildNodesAndTokens();
            for (int i = children.Count - 1; i >= 0; i--)
            {
                if (children[i].AsNode() is { } child)
                {
                    stack.Push((child, depth + 1));
                }
            }
        }

        return null;
    }
}
