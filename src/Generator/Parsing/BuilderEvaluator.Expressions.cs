using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

internal sealed partial class BuilderEvaluator
{
    private Value Evaluate(IOperation operation, Frame frame)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (!Step())
        {
            return Value.Unknown("evaluation stopped");
        }

        if (operation.Type is IErrorTypeSymbol)
        {
            return Invalid();
        }

        if (operation.ConstantValue.HasValue)
        {
            return FromConstant(operation.ConstantValue.Value);
        }

        switch (operation)
        {
            case IInvalidOperation:
                return Invalid();

            case ILocalReferenceOperation local:
                return frame.TryGet(local.Local, out var localValue) ? localValue : Value.Unknown($"'{local.Local.Name}' has no value here");

            case IParameterReferenceOperation parameter:
                return frame.TryGet(parameter.Parameter, out var parameterValue)
                    ? parameterValue
                    : Value.Unknown($"'{parameter.Parameter.Name}' is a parameter whose value is only known at run time");

            case IConversionOperation conversion:
                return Convert(Evaluate(conversion.Operand, frame), conversion.Type);

            case IBinaryOperation binary:
                return EvaluateBinary(binary, frame);

            case IUnaryOperation unary:
                return EvaluateUnary(unary, frame);

            case IConditionalOperation conditional:
            {
                var condition = Condition(conditional.Condition, frame, "a conditional expression");
                return condition is null ? Value.Unknown("the condition is not known")
                    : Evaluate(condition.Value ? conditional.WhenTrue! : conditional.WhenFalse!, frame);
            }

            case ISwitchExpressionOperation switchExpression:
            {
                var subject = Evaluate(switchExpression.Value, frame);
                if (subject.Kind == ValueKind.Unknown)
                {
                    Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(switchExpression.Value.Syntax), "The value of a 'switch'", ": " + subject.Reason);
                    return subject;
                }

                foreach (var arm in switchExpression.Arms)
                {
                    var matches = Matches(arm.Pattern, subject, frame);
                    if (matches is null)
                    {
                        return Value.Unknown("the switch cannot be decided");
                    }

                    if (matches.Value && (arm.Guard is null || Condition(arm.Guard, frame, "a 'when' clause") == true))
                    {
                        return Evaluate(arm.Value, frame);
                    }
                }

                return Unsupported(switchExpression, "A 'switch' expression that matches no arm");
            }

            case ICoalesceOperation coalesce:
            {
                var value = Evaluate(coalesce.Value, frame);
                return value.Kind == ValueKind.Null ? Evaluate(coalesce.WhenNull, frame) : value;
            }

            case ISimpleAssignmentOperation assignment:
            {
                var value = Evaluate(assignment.Value, frame);
                Assign(assignment.Target, value, frame);
                return value;
            }

            case IDeconstructionAssignmentOperation deconstruction:
                return Deconstruct(deconstruction, frame);

            case ICompoundAssignmentOperation compound:
            {
                var left = Evaluate(compound.Target, frame);
                var right = Evaluate(compound.Value, frame);
                var value = compound.OperatorMethod is { } method && KnownTypes.Is(method.ContainingType, _types.Tensor)
                    ? TensorOperator(compound.OperatorKind, left, right, compound)      // h += Dense(8)(h)
                    : Convert(Arithmetic(compound.OperatorKind, left, right, compound), compound.Target.Type); // int u *= 1.25 truncates, as C#
                Assign(compound.Target, value, frame);
                return value;
            }

            case IIncrementOrDecrementOperation increment:
            {
                var old = Evaluate(increment.Target, frame);
                var value = Arithmetic(increment.Kind == OperationKind.Increment ? BinaryOperatorKind.Add : BinaryOperatorKind.Subtract,
                    old, Value.Integer(1), increment);
                Assign(increment.Target, value, frame);
                return increment.IsPostfix ? old : value;
            }

            case IInterpolatedStringOperation interpolated:
                return EvaluateInterpolation(interpolated, frame);

            case IInvocationOperation invocation:
                return EvaluateInvocation(invocation, frame);

            case IObjectCreationOperation creation:
                return EvaluateObjectCreation(creation, frame);

            case IArrayCreationOperation array:
                return EvaluateArrayCreation(array, frame);

            case ICollectionExpressionOperation collection:
            {
                var items = new List<Value>();
                foreach (var element in collection.Elements)
                {
                    if (element is ISpreadOperation spread)
                    {
                        var spreadValue = Evaluate(spread.Operand, frame);
                        if (spreadValue.Kind != ValueKind.List)
                        {
                            return Value.Unknown("a spread element is not a list built in the builder");
                        }

                        items.AddRange(spreadValue.Items!);
                    }
                    else
                    {
                        items.Add(Evaluate(element, frame).WithOrigin(Spans.Of(element.Syntax)));
                    }
                }

                return Value.List(items);
            }

            case IArrayElementReferenceOperation element:
            {
                var (list, index) = ElementTarget(element.ArrayReference, element.Indices, frame);
                return list is null ? Value.Unknown("the element is not known") : list[index];
            }

            case IPropertyReferenceOperation property:
                return EvaluateProperty(property, frame);

            case IFieldReferenceOperation field:
                return Value.Unknown(field.Field.IsStatic
                    ? $"'{field.Field.Name}' is a field that is not 'const', so its value is only known at run time"
                    : $"'{field.Field.Name}' is an instance field");

            case IDefaultValueOperation:
                return Value.Null;

            case IDelegateCreationOperation creation:
                return CreateFunction(creation, frame);

            case IAnonymousFunctionOperation:
                return Unsupported(operation, "A lambda expression", "; only a Lambda layer takes one");

            default:
                return Unsupported(operation, Describe(operation));
        }
    }

    /// <summary>Whether a constant, relational, discard, and/or/not pattern matches; null (after a diagnostic) when it cannot be decided.</summary>
    private bool? Matches(IPatternOperation pattern, Value subject, Frame frame)
    {
        switch (pattern)
        {
            case IDiscardPatternOperation:
                return true;
            case IConstantPatternOperation constant:
            {
                var value = Evaluate(constant.Value, frame);
                var equal = Arithmetic(BinaryOperatorKind.Equals, subject, value, pattern);
                return equal.Kind == ValueKind.Bool ? equal.Bool : null;
            }

            case IBinaryPatternOperation binary:
            {
                var left = Matches(binary.LeftPattern, subject, frame);
                if (left is null)
                {
                    return null;
                }

                bool isOr = binary.OperatorKind == BinaryOperatorKind.Or;
                return left.Value == isOr ? left : Matches(binary.RightPattern, subject, frame);
            }

            case INegatedPatternOperation negated:
                return !Matches(negated.Pattern, subject, frame);

            case IRelationalPatternOperation relational:
            {
                var result = Arithmetic(relational.OperatorKind, subject, Evaluate(relational.Value, frame), pattern);
                return result.Kind == ValueKind.Bool ? result.Bool : null;
            }

            default:
                Unsupported(pattern, "This pattern", "; use constants, relational patterns or '_'");
                return null;
        }
    }

    private static Value FromConstant(object? constant) => constant switch
    {
        null => Value.Null,
        bool b => Value.Boolean(b),
        string s => Value.Text(s),
        char c => Value.Text(c.ToString()),
        int i => Value.Integer(i),
        long l => Value.Integer(l),
        short s => Value.Integer(s),
        byte b => Value.Integer(b),
        sbyte b => Value.Integer(b),
        ushort s => Value.Integer(s),
        uint u => Value.Integer(u),
        ulong u => Value.Integer((long)u),
        float f => Value.Single(f),
        double d => Value.Real(d),
        decimal m => Value.Real((double)m),
        _ => Value.Unknown("a constant of an unsupported type"),
    };

    private static Value Convert(Value value, ITypeSymbol? type)
    {
        if (value.Kind != ValueKind.Number || type is null)
        {
            return value;
        }

        var special = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0].SpecialType
            : type.TypeKind == TypeKind.Enum ? SpecialType.System_Int32 : type.SpecialType;
        return special switch
        {
            SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_Byte
                or SpecialType.System_SByte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64
                => Value.Integer((long)Math.Truncate(value.Number)),
            SpecialType.System_Single => Value.Single((float)value.Number),
            SpecialType.System_Double or SpecialType.System_Decimal => Value.Real(value.Number),
            _ => value,
        };
    }

    private Value EvaluateBinary(IBinaryOperation binary, Frame frame)
    {
        var left = Evaluate(binary.LeftOperand, frame);
        if (binary.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr && left.Kind == ValueKind.Bool)
        {
            if (left.Bool == (binary.OperatorKind == BinaryOperatorKind.ConditionalOr))
            {
                return left;
            }

            return Evaluate(binary.RightOperand, frame);
        }

        var right = Evaluate(binary.RightOperand, frame);
        if (binary.OperatorMethod is { } method && KnownTypes.Is(method.ContainingType, _types.Tensor))
        {
            return TensorOperator(binary.OperatorKind, left, right, binary);
        }

        return Arithmetic(binary.OperatorKind, left, right, binary);
    }

    private Value Arithmetic(BinaryOperatorKind op, Value left, Value right, IOperation at)
    {
        if (left.Kind == ValueKind.Unknown)
        {
            return left;
        }

        if (right.Kind == ValueKind.Unknown)
        {
            return right;
        }

        if (op == BinaryOperatorKind.Add && (left.Kind == ValueKind.String || right.Kind == ValueKind.String))
        {
            return Value.Text(left + right.ToString());
        }

        if (left.Kind == ValueKind.Number && right.Kind == ValueKind.Number)
        {
            bool integer = left.IsInteger && right.IsInteger;
            // float op float (or float op int) is a float in C#, printed as one.
            bool single = !integer && (left.IsSingle || right.IsSingle) && (left.IsSingle || left.IsInteger) && (right.IsSingle || right.IsInteger);
            double a = left.Number, b = right.Number;
            switch (op)
            {
                case BinaryOperatorKind.Add: return Number(a + b, integer, single);
                case BinaryOperatorKind.Subtract: return Number(a - b, integer, single);
                case BinaryOperatorKind.Multiply: return Number(a * b, integer, single);
                case BinaryOperatorKind.Divide:
                case BinaryOperatorKind.Remainder:
                    if (b == 0 && integer)
                    {
                        return Unsupported(at, "A division by zero");
                    }

                    return op == BinaryOperatorKind.Divide
                        ? Number(integer ? Math.Truncate(a / b) : a / b, integer, single)
                        : Number(integer ? (long)a % (long)b : a % b, integer, single);
                case BinaryOperatorKind.Equals: return Value.Boolean(a == b);
                case BinaryOperatorKind.NotEquals: return Value.Boolean(a != b);
                case BinaryOperatorKind.LessThan: return Value.Boolean(a < b);
                case BinaryOperatorKind.LessThanOrEqual: return Value.Boolean(a <= b);
                case BinaryOperatorKind.GreaterThan: return Value.Boolean(a > b);
                case BinaryOperatorKind.GreaterThanOrEqual: return Value.Boolean(a >= b);
                case BinaryOperatorKind.LeftShift when integer: return Value.Integer((long)a << (int)b);
                case BinaryOperatorKind.RightShift when integer: return Value.Integer((long)a >> (int)b);
                case BinaryOperatorKind.And when integer: return Value.Integer((long)a & (long)b);
                case BinaryOperatorKind.Or when integer: return Value.Integer((long)a | (long)b);
                case BinaryOperatorKind.ExclusiveOr when integer: return Value.Integer((long)a ^ (long)b);
            }
        }

        if (left.Kind == ValueKind.Bool && right.Kind == ValueKind.Bool)
        {
            switch (op)
            {
                case BinaryOperatorKind.And or BinaryOperatorKind.ConditionalAnd: return Value.Boolean(left.Bool & right.Bool);
                case BinaryOperatorKind.Or or BinaryOperatorKind.ConditionalOr: return Value.Boolean(left.Bool | right.Bool);
                case BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.NotEquals: return Value.Boolean(left.Bool ^ right.Bool);
                case BinaryOperatorKind.Equals: return Value.Boolean(left.Bool == right.Bool);
            }
        }

        if (left.Kind == ValueKind.String && right.Kind == ValueKind.String && op is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
        {
            return Value.Boolean(string.Equals(left.String, right.String, StringComparison.Ordinal) == (op == BinaryOperatorKind.Equals));
        }

        if (op is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals && (left.Kind == ValueKind.Null || right.Kind == ValueKind.Null))
        {
            return Value.Boolean((left.Kind == right.Kind) == (op == BinaryOperatorKind.Equals));
        }

        return Unsupported(at, $"The operator '{op}' on {left.Kind} and {right.Kind}");
    }

    private static Value Number(double value, bool integer, bool single = false)
        => integer ? Value.Integer((long)value) : single ? Value.Single((float)value) : Value.Real(value);

    private Value EvaluateUnary(IUnaryOperation unary, Frame frame)
    {
        var operand = Evaluate(unary.Operand, frame);
        if (unary.OperatorMethod is { } method && KnownTypes.Is(method.ContainingType, _types.Tensor))
        {
            return unary.OperatorKind == UnaryOperatorKind.Plus ? operand : Negate(operand, unary);
        }

        return (unary.OperatorKind, operand.Kind) switch
        {
            (_, ValueKind.Unknown) => operand,
            (UnaryOperatorKind.Minus, ValueKind.Number) => Number(-operand.Number, operand.IsInteger, operand.IsSingle),
            (UnaryOperatorKind.Plus, ValueKind.Number) => operand,
            (UnaryOperatorKind.Not, ValueKind.Bool) => Value.Boolean(!operand.Bool),
            (UnaryOperatorKind.BitwiseNegation, ValueKind.Number) when operand.IsInteger => Value.Integer(~(long)operand.Number),
            _ => Unsupported(unary, $"The operator '{unary.OperatorKind}'"),
        };
    }

    private Value EvaluateInterpolation(IInterpolatedStringOperation interpolated, Frame frame)
    {
        var text = new StringBuilder();
        foreach (var part in interpolated.Parts)
        {
            switch (part)
            {
                case IInterpolatedStringTextOperation literal:
                    text.Append(literal.Text.ConstantValue.Value as string);
                    break;
                case IInterpolationOperation hole:
                {
                    var value = Evaluate(hole.Expression, frame);
                    if (value.Kind == ValueKind.Unknown)
                    {
                        return value;
                    }

                    string? format = hole.FormatString?.ConstantValue.Value as string;
                    text.Append(format is not null && value.Kind == ValueKind.Number
                        ? (value.IsInteger ? ((long)value.Number).ToString(format, CultureInfo.InvariantCulture) : value.Number.ToString(format, CultureInfo.InvariantCulture))
                        : value.ToString());
                    break;
                }
            }
        }

        return Value.Text(text.ToString());
    }

    /// <summary><c>var (output, state) = GRU(8, returnState: true)(x);</c>: the results of a layer or model, in order.</summary>
    private Value Deconstruct(IDeconstructionAssignmentOperation deconstruction, Frame frame)
    {
        var value = Evaluate(deconstruction.Value, frame);
        var target = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
        if (target is not ITupleOperation tuple)
        {
            return Unsupported(deconstruction, "This deconstruction");
        }

        if (value.Kind == ValueKind.Unknown)
        {
            return value;
        }

        if (value.Kind != ValueKind.List || value.Items!.Count != tuple.Elements.Length)
        {
            Report(DiagnosticIds.InvalidArgument, Spans.Of(deconstruction.Value.Syntax),
                value.Kind == ValueKind.Tensor
                    ? $"This gives one tensor, so it cannot be taken apart into {tuple.Elements.Length} (a recurrent layer gives its states with returnState: true)"
                    : $"This gives {(value.Kind == ValueKind.List ? value.Items!.Count.ToString(CultureInfo.InvariantCulture) : "no")} tensors, but it is taken apart into {tuple.Elements.Length}");
            return Value.Unknown("invalid deconstruction");
        }

        for (int i = 0; i < tuple.Elements.Length; i++)
        {
            var element = tuple.Elements[i] is IDeclarationExpressionOperation d ? d.Expression : tuple.Elements[i];
            if (element is not IDiscardOperation)
            {
                Assign(element, value.Items[i], frame);
            }
        }

        return value;
    }

    /// <summary>
    /// <c>model.Trainable = false</c> (Keras's <c>model.trainable = False</c>): every layer the model computes with
    /// starts frozen, and the model's name is recorded so that its run-time entry (<c>GetLayer(name)</c>) reads false.
    /// </summary>
    private void FreezeModel(Value model, Value value, IOperation target)
    {
        if (model.Kind != ValueKind.Model || model.Model is not { } built)
        {
            if (model.Kind != ValueKind.Unknown)
            {
                Report(DiagnosticIds.InvalidArgument, Spans.Of(target.Syntax), "Trainable can be set only on a model created in the builder");
            }

            return;
        }

        if (value.Kind != ValueKind.Bool)
        {
            if (!_stopped && !SawInvalidCode)
            {
                Report(DiagnosticIds.NonConstantArgument, Spans.Of(target.Syntax), "Trainable", "Model", value.Reason ?? "it is not constant");
            }

            return;
        }

        var inputs = new HashSet<int>(built.Inputs.Select(i => i.Id));
        var seen = new HashSet<int>();
        var pending = new Stack<int>(built.Outputs.Where(o => o.Kind == ValueKind.Tensor).Select(o => o.Id));
        while (pending.Count > 0)
        {
            int node = pending.Pop();
            if (!seen.Add(node) || inputs.Contains(node))
            {
                continue;
            }

            Graph.SetTrainable(Graph.Nodes[node].Layer, value.Bool);
            foreach (int input in Graph.Nodes[node].Reads)
            {
                pending.Push(input);
            }
        }

        string name = built.Name ?? "model";
        Graph.FrozenModels.Remove(name);
        if (!value.Bool)
        {
            Graph.FrozenModels.Add(name);
        }
    }

    private void Assign(IOperation target, Value value, Frame frame)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                if (!frame.TrySet(local.Local, value))
                {
                    frame.Variables[local.Local] = value;
                }

                break;
            case IParameterReferenceOperation parameter:
                if (!frame.TrySet(parameter.Parameter, value))
                {
                    frame.Variables[parameter.Parameter] = value;
                }

                break;
            case IArrayElementReferenceOperation element:
            {
                var (list, index) = ElementTarget(element.ArrayReference, element.Indices, frame);
                if (list is not null)
                {
                    list[index] = value;
                }

                break;
            }
            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer when indexer.Instance is not null:
            {
                var (list, index) = ElementTarget(indexer.Instance, indexer.Arguments.Select(a => a.Value).ToImmutableArrayOf(), frame);
                if (list is not null)
                {
                    list[index] = value;
                }

                break;
            }
            case IPropertyReferenceOperation { Property.Name: "Trainable", Instance: { } instance } property
                when KnownTypes.Is(property.Property.ContainingType, _types.Model):
                FreezeModel(Evaluate(instance, frame), value, target);
                break;
            default:
                Unsupported(target, "Assigning to " + Describe(target));
                break;
        }
    }

    private (List<Value>? List, int Index) ElementTarget(IOperation array, System.Collections.Immutable.ImmutableArray<IOperation> indices, Frame frame)
    {
        var list = Evaluate(array, frame);
        if (indices.Length != 1)
        {
            Unsupported(array.Parent ?? array, "A multi-dimensional array");
            return (null, 0);
        }

        var index = Evaluate(indices[0], frame);
        if (list.Kind != ValueKind.List || index.Kind != ValueKind.Number || !index.IsInteger)
        {
            if (!_stopped && !SawInvalidCode)
            {
                Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(array.Parent?.Syntax ?? array.Syntax), "This element access",
                    list.Kind == ValueKind.Unknown ? ": " + list.Reason : index.Kind == ValueKind.Unknown ? ": " + index.Reason : string.Empty);
            }

            return (null, 0);
        }

        int i = (int)index.Number;
        if (i < 0 || i >= list.Items!.Count)
        {
            Report(DiagnosticIds.UnsupportedConstruct, Spans.Of(array.Parent?.Syntax ?? array.Syntax),
                $"Index {i} is outside the list of {list.Items!.Count} elements, so this element access", string.Empty);
            return (null, 0);
        }

        return (list.Items, i);
    }

    private Value EvaluateProperty(IPropertyReferenceOperation property, Frame frame)
    {
        if (property.Property.IsIndexer && property.Instance is not null)
        {
            var (list, index) = ElementTarget(property.Instance, property.Arguments.Select(a => a.Value).ToImmutableArrayOf(), frame);
            return list is null ? Value.Unknown("the element is not known") : list[index];
        }

        if (KnownTypes.Is(property.Property.ContainingType, _types.Model) && property.Instance is not null)
        {
            return ModelNodeApi(property, property.Property.Name, Evaluate(property.Instance, frame), null, frame);
        }

        if (_types.IsNodeApi(property.Property) && property.Instance is not null)
        {
            return NodeApi(property, property.Property.Name, Evaluate(property.Instance, frame), null, frame);
        }

        if (property.Instance is not null && KnownTypes.Is(property.Property.ContainingType, _types.Tensor) && property.Property.Name == "Shape")
        {
            var tensor = Evaluate(property.Instance, frame);
            return tensor.Kind == ValueKind.Tensor ? ShapeValue(tensor.Id) : Value.Unknown("the tensor is not known");
        }

        if (property.Instance is not null && property.Property.Name is "Length" or "Count")
        {
            var instance = Evaluate(property.Instance, frame);
            if (instance.Kind == ValueKind.List)
            {
                return Value.Integer(instance.Items!.Count);
            }

            if (instance.Kind == ValueKind.String && property.Property.Name == "Length")
            {
                return Value.Integer(instance.String!.Length);
            }
        }

        return Value.Unknown($"'{property.Property.ContainingType.Name}.{property.Property.Name}' is a property whose value is only known at run time");
    }

    private Value EvaluateArrayCreation(IArrayCreationOperation array, Frame frame)
    {
        if (array.Initializer is not null)
        {
            return Value.List(array.Initializer.ElementValues.Select(e => Evaluate(e, frame).WithOrigin(Spans.Of(e.Syntax))).ToList());
        }

        if (array.DimensionSizes.Length == 1)
        {
            var size = Evaluate(array.DimensionSizes[0], frame);
            if (size.Kind == ValueKind.Number && size.IsInteger && size.Number >= 0 && size.Number <= 100_000)
            {
                var element = ((IArrayTypeSymbol)array.Type!).ElementType;
                var fill = element.SpecialType switch
                {
                    SpecialType.System_Boolean => Value.Boolean(false),
                    SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal => Value.Real(0),
                    _ when element.IsValueType && element.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T => Value.Integer(0),
                    _ => Value.Null,
                };
                return Value.List(Enumerable.Repeat(fill, (int)size.Number).ToList());
            }
        }

        return Unsupported(array, "This array creation", "; its size must be a constant");
    }

    private Value EvaluateObjectCreation(IObjectCreationOperation creation, Frame frame)
    {
        if (KnownTypes.Is(creation.Type, _types.Model))
        {
            return CreateModel(creation, frame);
        }

        if (KnownTypes.Is(creation.Type, _types.List))
        {
            var items = new List<Value>();
            if (creation.Arguments.Length == 1 && creation.Arguments[0].Value.Type is IArrayTypeSymbol or INamedTypeSymbol { Name: "IEnumerable" })
            {
                var source = Evaluate(creation.Arguments[0].Value, frame);
                if (source.Kind == ValueKind.List)
                {
                    items.AddRange(source.Items!);
                }
            }

            var list = Value.List(items);
            if (creation.Initializer is not null)
            {
                foreach (var initializer in creation.Initializer.Initializers)
                {
                    if (initializer is IInvocationOperation { TargetMethod.Name: "Add" } add && add.Arguments.Length == 1)
                    {
                        var item = add.Arguments[0].Value;
                        items.Add(Evaluate(item, frame).WithOrigin(Spans.Of(item.Syntax)));
                    }
                    else
                    {
                        return Unsupported(initializer, "This collection initializer");
                    }
                }
            }

            return list;
        }

        return Unsupported(creation, $"Creating a '{creation.Type?.Name}'");
    }

    private Value EvaluateInvocation(IInvocationOperation invocation, Frame frame)
    {
        var method = invocation.TargetMethod;

        if (KnownTypes.Is(method.ContainingType, _types.Layers))
        {
            return CallFactory(invocation, frame);
        }

        if (method.MethodKind == MethodKind.DelegateInvoke
            && (KnownTypes.Is(method.ContainingType, _types.Layer) || KnownTypes.Is(method.ContainingType, _types.MergeLayer)))
        {
            return ApplyLayer(invocation, frame);
        }

        if (method.MethodKind == MethodKind.DelegateInvoke && KnownTypes.Is(method.ContainingType, _types.AttentionLayer))
        {
            return ApplyAttentionLayer(invocation, frame);
        }

        if (method.MethodKind == MethodKind.DelegateInvoke && KnownTypes.Is(method.ContainingType, _types.SequenceAttentionLayer))
        {
            return ApplySequenceAttention(invocation, frame);
        }

        if (KnownTypes.Is(method.ContainingType, _types.Regularizers))
        {
            // A regularizer is its two factors, carried as text to the layer argument that takes it.
            var args = Arguments(invocation, "Regularizers." + method.Name, frame);
            double? l1 = method.Name == "L2" ? 0 : args.Number("l1"), l2 = method.Name == "L1" ? 0 : args.Number("l2");
            if (l1 is not double a || l2 is not double b)
            {
                return Value.Unknown("invalid regularizer");
            }

            if (!(a >= 0) || !(b >= 0) || double.IsInfinity(a) || double.IsInfinity(b))
            {
                Report(DiagnosticIds.InvalidArgument, Spans.Of(invocation.Syntax), $"A regularizer's factors must be finite and ≥ 0 (l1 = {a}, l2 = {b})");
                return Value.Unknown("invalid regularizer");
            }

            return Value.Text("regularizer:" + a.ToString("R", CultureInfo.InvariantCulture) + ":" + b.ToString("R", CultureInfo.InvariantCulture));
        }

        if (KnownTypes.Is(method.ContainingType, _types.Constraints))
        {
            // A constraint is its kind, bounds, rate and axes, carried as text to the layer argument that takes it.
            var args = Arguments(invocation, "Constraints." + method.Name, frame);
            double Setting(string name, double fallback) => args.Raw(name).Kind == ValueKind.Number ? args.Raw(name).Number : fallback;
            var axis = args.Raw("axis");
            var axes = axis.Kind == ValueKind.List ? axis.Items!.Where(v => v.Kind == ValueKind.Number).Select(v => (int)v.Number).ToList()
                : axis.Kind == ValueKind.Number ? new List<int> { (int)axis.Number } : new List<int>();
            if ((method.Name != "NonNeg" && axis.Kind is not (ValueKind.Number or ValueKind.List)) || args.Raw("maxValue").Kind == ValueKind.Unknown ||
                args.Raw("minValue").Kind == ValueKind.Unknown || args.Raw("rate").Kind == ValueKind.Unknown)
            {
                Report(DiagnosticIds.NonConstantArgument, Spans.Of(invocation.Syntax), "axis", "Constraints." + method.Name, "the constraint's settings must be constants");
                return Value.Unknown("invalid constraint");
            }

            double min = Setting("minValue", 0), max = Setting("maxValue", method.Name == "MaxNorm" ? 2 : 1), rate = Setting("rate", 1);
            if (!(min >= 0) || !(max >= 0) || !(rate >= 0) || double.IsInfinity(max))
            {
                Report(DiagnosticIds.InvalidArgument, Spans.Of(invocation.Syntax), "A constraint's bounds and rate must be finite and ≥ 0");
                return Value.Unknown("invalid constraint");
            }

            string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
            return Value.Text($"constraint:{method.Name}:{R(min)}:{R(max)}:{R(rate)}:{string.Join(",", axes)}");
        }

        if (KnownTypes.Is(method.ContainingType, _types.Ops))
        {
            return CallOp(invocation, frame);
        }

        if (KnownTypes.Is(method.ContainingType, _types.Model) && method.Name is "GetOutputAt" or "GetInputAt" && invocation.Instance is not null)
        {
            return ModelNodeApi(invocation, method.Name, Evaluate(invocation.Instance, frame), invocation.Arguments.FirstOrDefault(), frame);
        }

        if (KnownTypes.Is(method.ContainingType, _types.Model) && method.Name == "Call" && invocation.Instance is not null && invocation.Arguments.Length == 1)
        {
            var model = Evaluate(invocation.Instance, frame);
            if (model.Kind != ValueKind.Model)
            {
                return Unsupported(invocation, "Calling this model", model.Kind == ValueKind.Unknown ? ": " + model.Reason : string.Empty);
            }

            var argument = invocation.Arguments[0];
            var outputs = ApplyModel(model.Model!, Evaluate(argument.Value, frame), Spans.OfArgument(argument), Spans.Of(invocation.Syntax));
            bool single = method.ReturnType.Name == "Tensor";
            return single && outputs.Kind == ValueKind.List ? outputs.Items![0] : outputs;
        }

        if (_types.IsNodeApi(method))
        {
            var receiver = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
            var index = invocation.Arguments.LastOrDefault(a => a.Parameter?.Name == "nodeIndex");
            return receiver is null ? Invalid() : NodeApi(invocation, method.Name, Evaluate(receiver, frame), index, frame);
        }

        if (KnownTypes.Is(method.ContainingType, _types.List) && invocation.Instance is not null)
        {
            var list = Evaluate(invocation.Instance, frame);
            if (list.Kind == ValueKind.List)
            {
                switch (method.Name)
                {
                    case "Add" when invocation.Arguments.Length == 1:
                        var item = invocation.Arguments[0].Value;
                        list.Items!.Add(Evaluate(item, frame).WithOrigin(Spans.Of(item.Syntax)));
                        return Value.Void;
                    case "ToArray":
                        return Value.List(new List<Value>(list.Items!));
                    case "Clear":
                        list.Items!.Clear();
                        return Value.Void;
                }
            }

            return Unsupported(invocation, $"'List.{method.Name}'");
        }

        if (method.Name == "ToArray" && method.IsExtensionMethod && invocation.Arguments.Length == 1)
        {
            var source = Evaluate(invocation.Arguments[0].Value, frame);
            if (source.Kind == ValueKind.List)
            {
                return Value.List(new List<Value>(source.Items!));
            }
        }

        return CallHelper(invocation, frame);
    }

    /// <summary>The operation tree of a method or local function declared in this compilation, or null. Each is looked
    /// up once per evaluation, through one semantic model per file: a helper called a hundred times (a local function
    /// in a loop) must not re-bind its enclosing method a hundred times.</summary>
    private IOperation? MethodBody(IMethodSymbol method)
    {
        if (_bodies.TryGetValue(method, out var cached))
        {
            return cached;
        }

        var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
        IOperation? body = null;
        if (syntax is not null && (method.IsStatic || method.MethodKind == MethodKind.LocalFunction))
        {
            if (!_models.TryGetValue(syntax.SyntaxTree, out var model))
            {
                model = _semanticModels(syntax.SyntaxTree);
                _models[syntax.SyntaxTree] = model;
            }

            if (SyntaxDepth.FirstTooDeep(syntax, _cancellationToken) is { } tooDeep)
            {
                // As for the builder itself: Roslyn would overflow the stack building this helper's operation tree.
                Report(DiagnosticIds.NestedTooDeeply, Spans.Of(tooDeep), SyntaxDepth.Limit.ToString(CultureInfo.InvariantCulture));
                _bodies[method] = null;
                return null;
            }

            body = syntax switch
            {
                BaseMethodDeclarationSyntax m => model?.GetOperation(m, _cancellationToken),
                LocalFunctionStatementSyntax f => (model?.GetOperation(f, _cancellationToken) as ILocalFunctionOperation)?.Body,
                _ => null,
            };
        }

        _bodies[method] = body;
        return body;
    }

    private Value CallHelper(IInvocationOperation invocation, Frame frame)
    {
        var method = invocation.TargetMethod;
        var body = MethodBody(method);
        if (body is null)
        {
            // Not a helper we can read: its value is only known at run time. Whether that matters depends on where
            // the value goes (a layer argument reports it precisely), so it is not an error yet.
            return Value.Unknown($"'{method.ContainingType?.Name}.{method.Name}(…)' is a call whose result is only known at run time");
        }

        // Local functions see the locals of the method that declares them; other helpers start from nothing.
        var callee = new Frame(method.MethodKind == MethodKind.LocalFunction && !method.IsStatic ? frame : null);
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null)
            {
                return Invalid();
            }

            if (argument.Parameter.RefKind != RefKind.None)
            {
                return Unsupported(argument, "A 'ref' or 'out' argument");
            }

            callee.Variables[argument.Parameter] = Evaluate(argument.Value, frame);
        }

        return RunBody(method, body, callee, Spans.Of(invocation.Syntax));
    }

    /// <summary>Runs a method's (or lambda's) body in its own frame and returns what it returns.</summary>
    private Value RunBody(IMethodSymbol method, IOperation body, Frame callee, SourceSpan at)
    {
        if (_callStack.Any(m => SymbolEqualityComparer.Default.Equals(m, method.OriginalDefinition) || SymbolEqualityComparer.Default.Equals(m, method)))
        {
            Report(DiagnosticIds.Recursion, at, method.Name);
            return Value.Unknown("recursive call");
        }

        _callStack.Add(method.OriginalDefinition);
        var saved = _returnValue;
        _returnValue = Value.Void;
        var flow = Execute(body, callee);
        var result = flow == Flow.Return ? _returnValue : Value.Void;
        _returnValue = saved;
        _callStack.RemoveAt(_callStack.Count - 1);
        return result;
    }
}

internal static class OperationListExtensions
{
    public static System.Collections.Immutable.ImmutableArray<IOperation> ToImmutableArrayOf(this IEnumerable<IOperation> operations)
        => System.Collections.Immutable.ImmutableArray.CreateRange(operations);
}
