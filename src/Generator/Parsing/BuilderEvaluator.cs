using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Evaluates a builder method at compile time by interpreting its <see cref="IOperation"/> tree: constants are
/// folded, loops run, helper methods are inlined, and every layer call adds a node to a <see cref="GraphBuilder"/>.
/// Anything it cannot evaluate becomes a diagnostic naming the construct; code the compiler itself rejects
/// (half-typed code) stops evaluation quietly, since the compiler already reports it.
/// </summary>
internal sealed partial class BuilderEvaluator
{
    /// <summary>Upper bound on evaluation steps, so an endless loop cannot hang the compiler or the IDE. Each layer and
    /// each node the builder makes counts <see cref="GraphStepCost"/> steps too, so that the limit bounds time and
    /// memory: a loop of layer calls stops after about 20,000 calls, in a fraction of a second.</summary>
    public const int StepLimit = 2_000_000;

    /// <summary>The steps a layer or a node of the graph costs besides the evaluation that made it (a layer call makes
    /// both: 100). Evaluating one costs about as much as 100 plain steps, and it stays in memory.</summary>
    public const int GraphStepCost = 50;

    private readonly Func<SyntaxTree, SemanticModel?> _semanticModels;
    private readonly CancellationToken _cancellationToken;
    private readonly List<IMethodSymbol> _callStack = new();
    private readonly Dictionary<SyntaxTree, SemanticModel?> _models = new();
    private readonly Dictionary<IMethodSymbol, IOperation?> _bodies = new(SymbolEqualityComparer.Default);
    private readonly KnownTypes _types;
    private int _steps;
    private bool _stopped;

    /// <summary>The value of the last 'return' executed; callers of a method body read it after Flow.Return.</summary>
    private Value _returnValue = Value.Void;

    public BuilderEvaluator(Compilation compilation, Func<SyntaxTree, SemanticModel?> semanticModels, CancellationToken cancellationToken)
    {
        _semanticModels = semanticModels;
        _cancellationToken = cancellationToken;
        _types = new KnownTypes(compilation);
    }

    public GraphBuilder Graph { get; } = new();

    /// <summary>True when evaluation met code the compiler rejects; the result must then be ignored silently.</summary>
    public bool SawInvalidCode { get; private set; }

    /// <summary>True when evaluation stopped on a diagnostic of its own.</summary>
    public bool Stopped => _stopped;

    private enum Flow
    {
        Normal,
        Break,
        Continue,
        Return,
    }

    private sealed class Frame
    {
        public Frame(Frame? parent) => Parent = parent;

        public Frame? Parent { get; }

        public Dictionary<ISymbol, Value> Variables { get; } = new(SymbolEqualityComparer.Default);

        public bool TryGet(ISymbol symbol, out Value value)
        {
            for (var f = this; f is not null; f = f.Parent)
            {
                if (f.Variables.TryGetValue(symbol, out value!))
                {
                    return true;
                }
            }

            value = null!;
            return false;
        }

        public bool TrySet(ISymbol symbol, Value value)
        {
            for (var f = this; f is not null; f = f.Parent)
            {
                if (f.Variables.ContainsKey(symbol))
                {
                    f.Variables[symbol] = value;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Evaluates the builder's body and returns what it returns (a model value, or null).</summary>
    public Value Run(IMethodSymbol builder, IOperation body)
    {
        _callStack.Add(builder);
        _returnValue = Value.Void;
        var flow = Execute(body, new Frame(null));
        _callStack.RemoveAt(_callStack.Count - 1);
        return flow == Flow.Return ? _returnValue : Value.Void;
    }

    private bool Step()
    {
        if (_stopped || SawInvalidCode)
        {
            return false;
        }

        if (++_steps + (long)GraphStepCost * (Graph.Layers.Count + Graph.Nodes.Count) > StepLimit)
        {
            Report(DiagnosticIds.EvaluationLimit, SourceSpan.None, StepLimit.ToString("N0", CultureInfo.InvariantCulture));
            return false;
        }

        if ((_steps & 0x3FF) == 0)
        {
            _cancellationToken.ThrowIfCancellationRequested();
        }

        return true;
    }

    private void Report(string id, SourceSpan span, params string[] arguments)
    {
        Graph.Diagnostics.Add(new DiagnosticInfo(id, span, arguments.ToEquatableArray()));
        if (!DiagnosticIds.IsWarning(id))
        {
            _stopped = true;
        }
    }

    private Value Unsupported(IOperation operation, string construct, string hint = "")
    {
        Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(operation.Syntax), construct, hint);
        return Value.Unknown(construct + " cannot be evaluated");
    }

    private Value Invalid()
    {
        SawInvalidCode = true;
        return Value.Unknown("the code has errors");
    }

    // ---------------------------------------------------------------- statements

    private Flow Execute(IOperation? operation, Frame frame)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (operation is null || !Step())
        {
            return Flow.Normal;
        }

        switch (operation)
        {
            case IMethodBodyOperation body:
                if (body.BlockBody is not null)
                {
                    return Execute(body.BlockBody, frame);
                }

                if (body.ExpressionBody is not null)
                {
                    return Execute(body.ExpressionBody, frame);
                }

                return Flow.Normal;

            case IBlockOperation block:
                foreach (var statement in block.Operations)
                {
                    var flow = Execute(statement, frame);
                    if (flow != Flow.Normal || _stopped || SawInvalidCode)
                    {
                        return flow;
                    }
                }

                return Flow.Normal;

            case IVariableDeclarationGroupOperation group:
                foreach (var declaration in group.Declarations)
                {
                    foreach (var declarator in declaration.Declarators)
                    {
                        var initializer = declarator.GetVariableInitializer();
                        var value = initializer is null ? Value.Unknown($"'{declarator.Symbol.Name}' is not initialised") : Evaluate(initializer.Value, frame);
                        frame.Variables[declarator.Symbol] = value;
                    }
                }

                return Flow.Normal;

            case IExpressionStatementOperation statement:
                EvaluateStatementExpression(statement.Operation, frame);
                return Flow.Normal;

            case IReturnOperation ret when ret.Kind == OperationKind.Return:
                _returnValue = ret.ReturnedValue is null ? Value.Void : Evaluate(ret.ReturnedValue, frame);
                return Flow.Return;

            case IForLoopOperation loop:
                return ExecuteFor(loop, frame);

            case IForEachLoopOperation loop:
                return ExecuteForEach(loop, frame);

            case IWhileLoopOperation loop:
                return ExecuteWhile(loop, frame);

            case IConditionalOperation conditional:
            {
                var condition = Condition(conditional.Condition, frame, "the condition of an 'if'");
                if (condition is null)
                {
                    return Flow.Normal;
                }

                return Execute(condition.Value ? conditional.WhenTrue : conditional.WhenFalse, frame);
            }

            case ISwitchOperation switchStatement:
                return ExecuteSwitch(switchStatement, frame);

            case IBranchOperation branch when branch.BranchKind == BranchKind.Break:
                return Flow.Break;

            case IBranchOperation branch when branch.BranchKind == BranchKind.Continue:
                return Flow.Continue;

            case IEmptyOperation:
            case ILocalFunctionOperation:
                return Flow.Normal;

            case IInvalidOperation:
                Invalid();
                return Flow.Normal;

            default:
                Unsupported(operation, Describe(operation));
                return Flow.Normal;
        }
    }

    private void EvaluateStatementExpression(IOperation operation, Frame frame)
    {
        // A call whose result is thrown away must still be something we can evaluate: a helper, a layer call, or a
        // list's Add. A call to, say, Console.WriteLine would never run, so saying nothing would mislead.
        var value = Evaluate(operation, frame);
        if (value.Kind == ValueKind.Unknown && operation is IInvocationOperation invocation && !_stopped && !SawInvalidCode)
        {
            Unsupported(operation, $"The call to '{invocation.TargetMethod.ContainingType?.Name}.{invocation.TargetMethod.Name}'",
                "; a builder only describes the model and never runs");
        }
    }

    private bool? Condition(IOperation? condition, Frame frame, string what)
    {
        if (condition is null)
        {
            return true;
        }

        var value = Evaluate(condition, frame);
        if (_stopped || SawInvalidCode)
        {
            return null;
        }

        if (value.Kind != ValueKind.Bool)
        {
            Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(condition.Syntax),
                $"The value of {what}", value.Kind == ValueKind.Unknown ? ": " + value.Reason : string.Empty);
            return null;
        }

        return value.Bool;
    }

    private Flow ExecuteFor(IForLoopOperation loop, Frame outer)
    {
        var frame = new Frame(outer);
        foreach (var before in loop.Before)
        {
            Execute(before, frame);
        }

        while (Step())
        {
            var condition = Condition(loop.Condition, frame, "the condition of a 'for' loop");
            if (condition != true)
            {
                break;
            }

            if (Iterate(loop.Body, new Frame(frame)) is Flow end)
            {
                return end;
            }

            foreach (var bottom in loop.AtLoopBottom)
            {
                Execute(bottom, frame);
            }
        }

        return Flow.Normal;
    }

    /// <summary>A 'switch' statement over constant cases; 'break' leaves it, as in C#.</summary>
    private Flow ExecuteSwitch(ISwitchOperation statement, Frame frame)
    {
        var subject = Evaluate(statement.Value, frame);
        if (subject.Kind == ValueKind.Unknown)
        {
            Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(statement.Value.Syntax), "The value of a 'switch'", ": " + subject.Reason);
            return Flow.Normal;
        }

        ISwitchCaseOperation? chosen = null, fallback = null;
        foreach (var section in statement.Cases)
        {
            foreach (var clause in section.Clauses)
            {
                switch (clause)
                {
                    case IDefaultCaseClauseOperation:
                        fallback = section;
                        break;
                    case ISingleValueCaseClauseOperation single when chosen is null:
                        var equal = Arithmetic(BinaryOperatorKind.Equals, subject, Evaluate(single.Value, frame), clause);
                        if (equal.Kind != ValueKind.Bool)
                        {
                            return Flow.Normal;
                        }

                        if (equal.Bool)
                        {
                            chosen = section;
                        }

                        break;
                    case IPatternCaseClauseOperation pattern when chosen is null:
                        if (Matches(pattern.Pattern, subject, frame) is not bool matched)
                        {
                            return Flow.Normal;
                        }

                        if (matched && (pattern.Guard is null || Condition(pattern.Guard, frame, "a 'when' clause") == true))
                        {
                            chosen = section;
                        }

                        break;
                }
            }
        }

        var body = chosen ?? fallback;
        if (body is null)
        {
            return Flow.Normal;
        }

        foreach (var statementInCase in body.Body)
        {
            var flow = Execute(statementInCase, frame);
            if (flow == Flow.Break)
            {
                return Flow.Normal;
            }

            if (flow != Flow.Normal || _stopped || SawInvalidCode)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    /// <summary>Runs one iteration of a loop body: null to go on, else how the loop ends ('break' ends it normally).</summary>
    private Flow? Iterate(IOperation body, Frame frame) => Execute(body, frame) switch
    {
        Flow.Break => Flow.Normal,
        Flow.Return => Flow.Return,
        _ => null,
    };

    private Flow ExecuteWhile(IWhileLoopOperation loop, Frame outer)
    {
        bool first = true;
        while (Step())
        {
            if (loop.ConditionIsTop || !first)
            {
                var condition = Condition(loop.Condition, outer, "the condition of a loop");
                if (condition is null || condition.Value == loop.ConditionIsUntil)
                {
                    break;
                }
            }

            first = false;
            if (Iterate(loop.Body, new Frame(outer)) is Flow end)
            {
                return end;
            }
        }

        return Flow.Normal;
    }

    private Flow ExecuteForEach(IForEachLoopOperation loop, Frame outer)
    {
        var collectionOperation = loop.Collection is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : loop.Collection;
        var collection = Evaluate(collectionOperation, outer);
        if (_stopped || SawInvalidCode)
        {
            return Flow.Normal;
        }

        if (collection.Kind != ValueKind.List)
        {
            Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(loop.Collection.Syntax), "The collection of a 'foreach' loop",
                collection.Kind == ValueKind.Unknown ? ": " + collection.Reason : "; only arrays and lists built in the builder can be iterated");
            return Flow.Normal;
        }

        ISymbol? variable = loop.LoopControlVariable switch
        {
            IVariableDeclaratorOperation declarator => declarator.Symbol,
            ILocalReferenceOperation local => local.Local,
            _ => null,
        };
        if (variable is null)
        {
            Unsupported(loop.LoopControlVariable, "A 'foreach' with deconstruction");
            return Flow.Normal;
        }

        foreach (var item in collection.Items!.ToList())
        {
            if (!Step())
            {
                break;
            }

            var frame = new Frame(outer);
            frame.Variables[variable] = item;
            if (Iterate(loop.Body, frame) is Flow end)
            {
                return end;
            }
        }

        return Flow.Normal;
    }

    private static string Describe(IOperation operation) => operation.Kind switch
    {
        OperationKind.Try => "A 'try' statement",
        OperationKind.Throw => "A 'throw'",
        OperationKind.Lock => "A 'lock' statement",
        OperationKind.Using => "A 'using' statement",
        OperationKind.UsingDeclaration => "A 'using' declaration",
        OperationKind.YieldReturn => "A 'yield return'",
        OperationKind.YieldBreak => "A 'yield break'",
        OperationKind.Labeled => "A label",
        OperationKind.Branch => "A 'goto'",
        OperationKind.AnonymousFunction => "A lambda expression",
        OperationKind.DelegateCreation => "A delegate",
        OperationKind.Await => "An 'await'",
        OperationKind.IsPattern => "A pattern match",
        OperationKind.IsType => "An 'is' type test",
        OperationKind.Tuple => "A tuple",
        OperationKind.DeconstructionAssignment => "A deconstruction",
        OperationKind.AnonymousObjectCreation => "An anonymous object",
        OperationKind.TypeOf => "A 'typeof'",
        OperationKind.InstanceReference => "'this'",
        OperationKind.EventReference => "An event",
        OperationKind.DynamicInvocation or OperationKind.DynamicMemberReference or OperationKind.DynamicObjectCreation => "A 'dynamic' operation",
        _ => "'" + Truncate(operation.Syntax.ToString()) + "'",
    };

    private static string Truncate(string text)
    {
        text = text.Replace('\r', ' ').Replace('\n', ' ');
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}

/// <summary>Turns syntax positions into plain <see cref="SourceSpan"/>s.</summary>
internal static class Spans
{
    public static SourceSpan Of(SyntaxNode? node)
    {
        if (node is null)
        {
            return SourceSpan.None;
        }

        var line = node.SyntaxTree.GetLineSpan(node.Span);
        return new SourceSpan(node.SyntaxTree.FilePath, node.Span.Start, node.Span.Length,
            line.StartLinePosition.Line, line.StartLinePosition.Character, line.EndLinePosition.Line, line.EndLinePosition.Character);
    }

    /// <summary>The span of an argument's expression (not its name), so squiggles sit under the value.</summary>
    public static SourceSpan OfArgument(IArgumentOperation argument)
        => Of(argument.Syntax is ArgumentSyntax syntax ? syntax.Expression : argument.Value.Syntax);
}

/// <summary>The types of the builder API, looked up once per compilation.</summary>
internal sealed class KnownTypes
{
    public KnownTypes(Compilation compilation)
    {
        Layers = compilation.GetTypeByMetadataName("Unrolled.Layers");
        Layer = compilation.GetTypeByMetadataName("Unrolled.Layer");
        MergeLayer = compilation.GetTypeByMetadataName("Unrolled.MergeLayer");
        AttentionLayer = compilation.GetTypeByMetadataName("Unrolled.AttentionLayer");
        SequenceAttentionLayer = compilation.GetTypeByMetadataName("Unrolled.SequenceAttentionLayer");
        Model = compilation.GetTypeByMetadataName("Unrolled.Model");
        Tensor = compilation.GetTypeByMetadataName("Unrolled.Tensor");
        LayerExtensions = compilation.GetTypeByMetadataName("Unrolled.LayerExtensions");
        Ops = compilation.GetTypeByMetadataName("Unrolled.Ops");
        Regularizers = compilation.GetTypeByMetadataName("Unrolled.Regularizers");
        Constraints = compilation.GetTypeByMetadataName("Unrolled.Constraints");
        List = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
    }

    public INamedTypeSymbol? Layers { get; }

    public INamedTypeSymbol? Layer { get; }

    public INamedTypeSymbol? MergeLayer { get; }

    /// <summary>The delegate MultiHeadAttention returns: <c>(query, value, key, useCausalMask)</c>.</summary>
    public INamedTypeSymbol? AttentionLayer { get; }

    /// <summary>The delegate Attention and AdditiveAttention return: <c>(inputs, returnAttentionScores, useCausalMask)</c>.</summary>
    public INamedTypeSymbol? SequenceAttentionLayer { get; }

    public INamedTypeSymbol? Model { get; }

    public INamedTypeSymbol? Tensor { get; }

    public INamedTypeSymbol? Ops { get; }

    /// <summary>Keras's weight regularizers (<c>Regularizers.L2(1e-4)</c>), evaluated to their factors.</summary>
    public INamedTypeSymbol? Regularizers { get; }

    /// <summary>Keras's weight constraints (<c>Constraints.MaxNorm(3)</c>), evaluated to their settings.</summary>
    public INamedTypeSymbol? Constraints { get; }

    /// <summary>Holds the extension members (<c>Output</c>, <c>GetOutputAt</c>, …) of <c>Layer</c>, <c>MergeLayer</c> and
    /// <c>SequenceAttentionLayer</c>.</summary>
    public INamedTypeSymbol? LayerExtensions { get; }

    /// <summary>Whether a member is one of the node API's extension members (declared in an extension block of LayerExtensions).</summary>
    public bool IsNodeApi(ISymbol member)
        => member.ContainingType is { } block && (Is(block, LayerExtensions) || Is(block.ContainingType, LayerExtensions));

    public INamedTypeSymbol? List { get; }

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known)
        => type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);
}
