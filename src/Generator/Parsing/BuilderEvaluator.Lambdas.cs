using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Parsing;

/// <summary>
/// Lambda layers and tensor operations. Each operation (<c>a - b</c>, <c>Ops.Exp(x)</c>, …) becomes a node with a
/// known derivative, so a Lambda's function is differentiated at compile time by the ordinary backward pass. A
/// Lambda's nodes are grouped under one application, shown as one <c>lambda (Lambda)</c> row.
/// </summary>
internal sealed partial class BuilderEvaluator
{
    private readonly Dictionary<int, (Value Function, Value OutputShape, SourceSpan OutputShapeSpan)> _lambdas = new();

    private Value CreateFunction(IDelegateCreationOperation creation, Frame frame) => creation.Target switch
    {
        IAnonymousFunctionOperation lambda => Value.Of(new FunctionValue(lambda.Symbol, lambda.Body, frame)),
        IMethodReferenceOperation { Method.IsStatic: true } reference => Value.Of(new FunctionValue(reference.Method, null, null)),
        _ => Unsupported(creation, "This delegate", "; a Lambda takes a lambda expression or a static method"),
    };

    private Value CreateLambda(LayerArguments args, SourceSpan span, string? name, SourceSpan? nameSpan)
    {
        var function = args.Known("function");
        var outputShape = args.Known("outputShape");
        if (function is null || outputShape is null)
        {
            return Value.Unknown("invalid argument");
        }

        if (function.Kind != ValueKind.Function)
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("function"), "A Lambda needs a lambda expression or a static method as its function");
            return Value.Unknown("invalid argument");
        }

        int layer = Graph.AddLayer(LayerKind.Lambda, name, span, nameSpan, NoSettings.Instance);
        _lambdas[layer] = (function, outputShape, args.SpanOf("outputShape"));
        return Value.Layer(layer);
    }

    /// <summary>Runs a Lambda's function on the call's tensors, its new nodes joining one application.</summary>
    private Value ApplyLambda(int layer, Value inputs, SourceSpan inputsSpan, SourceSpan callSpan)
    {
        var (function, outputShape, outputShapeSpan) = _lambdas[layer];
        var spec = Graph.Layers[layer];
        var tensors = inputs.Kind == ValueKind.List ? inputs.Items! : new List<Value> { inputs };
        if (tensors.Any(t => t.Kind != ValueKind.Tensor))
        {
            Report(DiagnosticIds.InvalidArgument, inputsSpan, $"Lambda '{spec.Name}' must be applied to tensors of the builder");
            return Value.Unknown("invalid input");
        }

        int application = Graph.Applications.Count;
        var inputNodes = tensors.Select(t => t.Id).ToEquatableArray();
        Graph.Applications.Add(new ApplicationSpec(layer, spec.Name, inputNodes, EquatableArray<int>.Empty,
            EquatableArray<EquatableArray<int>>.Empty, callSpan, "Lambda"));
        int outer = Graph.CurrentApplication;
        Graph.CurrentApplication = application;
        int outerGroup = Graph.CurrentGroup;
        int group = Graph.AddGroup("Lambda", spec.Name, inputNodes);
        Graph.CurrentGroup = group;
        var result = InvokeFunction(function.Function!, new List<Value> { inputs }, callSpan);
        if (result.Kind == ValueKind.Tensor && Graph.Nodes[result.Id].Application != application)
        {
            // The function returned one of its inputs: give the Lambda an output node of its own.
            result = AddOperation(LayerKind.Affine, "tf.identity", new List<int> { result.Id }, callSpan, new AffineConfig(1, 0));
        }

        Graph.CurrentApplication = outer;
        Graph.CurrentGroup = outerGroup;
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        if (result.Kind != ValueKind.Tensor)
        {
            Report(DiagnosticIds.InvalidArgument, callSpan,
                $"The function of Lambda '{spec.Name}' must return a tensor, but it returns {(result.Kind == ValueKind.Unknown ? "an unknown value: " + result.Reason : result.Kind.ToString())}");
            return Value.Unknown("invalid lambda");
        }

        Graph.Applications[application] = Graph.Applications[application] with { Outputs = new[] { result.Id }.ToEquatableArray() };
        Graph.Groups[group] = Graph.Groups[group] with { Outputs = new[] { result.Id }.ToEquatableArray() };
        Graph.NodesOfLayer[layer].Add(result.Id);
        CheckLambdaShape(spec, result.Id, tensors, inputs.Kind == ValueKind.List, outputShape, outputShapeSpan);
        return Value.Tensor(result.Id, callSpan);
    }

    /// <summary>Keras trusts <c>output_shape</c>; here it is checked against the shape the operations give.</summary>
    private void CheckLambdaShape(LayerSpec spec, int output, List<Value> tensors, bool list, Value outputShape, SourceSpan at)
    {
        if (outputShape.Kind != ValueKind.Function)
        {
            return;
        }

        if (Graph.ShapeOf(output) is not { } actual || tensors.Any(t => Graph.ShapeOf(t.Id) is null))
        {
            return;
        }

        Value ShapeOf(int node) => Value.List(Graph.ShapeOf(node)!.Dims.Select(d => d >= 0 ? Value.Integer(d) : Value.Null).ToList());
        var argument = list ? Value.List(tensors.Select(t => ShapeOf(t.Id)).ToList()) : ShapeOf(tensors[0].Id);
        var declared = InvokeFunction(outputShape.Function!, new List<Value> { argument }, at);
        if (declared.Kind != ValueKind.List || declared.Items!.Any(d => d.Kind is not (ValueKind.Number or ValueKind.Null)))
        {
            Report(DiagnosticIds.InvalidArgument, at, $"The outputShape of Lambda '{spec.Name}' must return an array of dimensions (null for one known only at run time)");
            return;
        }

        // null declares a dimension known only at run time, as Keras's None.
        var dims = declared.Items!.Select(d => d.Kind == ValueKind.Null ? -1 : (int)d.Number).ToList();
        bool matches = dims.Count == actual.Dims.Count && dims.Zip(actual.Dims, (d, a) => d == a || (d == -1 && a < 0)).All(ok => ok);
        if (!matches)
        {
            Report(DiagnosticIds.ShapeMismatch, at, $"Lambda '{spec.Name}'",
                $"outputShape gives {new TensorShape(dims.ToEquatableArray(), 0).Keras} but the function's result has shape {actual.Keras}");
        }
    }

    /// <summary>
    /// Evaluates a <c>[LossFunction]</c> method on a target and a prediction of one output's per-sample shape: two inputs
    /// (<c>y_true</c>, <c>y_pred</c>) and the operations the method applies to them, the graph of the loss.
    /// </summary>
    public (Value Result, int YTrue, int YPred) RunLoss(IMethodSymbol loss, EquatableArray<int> shape, int dtype, SourceSpan at)
    {
        int trueLayer = Graph.AddLayer(LayerKind.InputLayer, "y_true", at, at, new InputConfig(shape, dtype));
        int yTrue = Graph.AddNode(trueLayer, new List<int>(), at, new List<SourceSpan>());
        int predLayer = Graph.AddLayer(LayerKind.InputLayer, "y_pred", at, at, new InputConfig(shape, dtype));
        int yPred = Graph.AddNode(predLayer, new List<int>(), at, new List<SourceSpan>());
        var result = InvokeFunction(new FunctionValue(loss, null, null), new List<Value> { Value.Tensor(yTrue, at), Value.Tensor(yPred, at) }, at);
        if (result.Kind == ValueKind.Tensor && (result.Id == yTrue || result.Id == yPred))
        {
            // The loss returned one of its arguments: give the graph an output node of its own.
            result = AddOperation(LayerKind.Affine, "tf.identity", new List<int> { result.Id }, at, new AffineConfig(1, 0));
        }

        return (result, yTrue, yPred);
    }

    /// <summary>Calls a function value with arguments, inlining its body as a helper's.</summary>
    private Value InvokeFunction(FunctionValue function, List<Value> arguments, SourceSpan at)
    {
        var method = function.Method;
        var body = function.Body ?? MethodBody(method);
        if (body is null || method.Parameters.Length != arguments.Count)
        {
            Report(DiagnosticIds.UnsupportedConstruct, at, $"Calling '{method.Name}'", "; its body is not in this project");
            return Value.Unknown("no body");
        }

        var callee = new Frame(function.Captured as Frame);
        for (int i = 0; i < arguments.Count; i++)
        {
            callee.Variables[method.Parameters[i]] = arguments[i];
        }

        return RunBody(method, body, callee, at);
    }

    /// <summary>A tensor operator (<c>a - b</c>, <c>1 - x</c>, <c>x / 2</c>, <c>-x</c>) as an operation node.</summary>
    private Value TensorOperator(BinaryOperatorKind op, Value left, Value right, IOperation at)
    {
        var span = Spans.Of(at.Syntax);
        if (left.Kind == ValueKind.Tensor && right.Kind == ValueKind.Tensor)
        {
            var (code, name) = op switch
            {
                BinaryOperatorKind.Add => (0, "tf.__operators__.add"),
                BinaryOperatorKind.Subtract => (1, "tf.math.subtract"),
                BinaryOperatorKind.Multiply => (2, "tf.math.multiply"),
                BinaryOperatorKind.Divide => (3, "tf.math.truediv"),
                _ => (-1, string.Empty),
            };
            return code < 0 ? Unsupported(at, $"The operator '{op}' on tensors")
                : AddOperation(LayerKind.BinaryOp, name, new List<int> { left.Id, right.Id }, span, new BinaryOpConfig((BinaryOp)code));
        }

        var (tensor, constant, tensorFirst) = left.Kind == ValueKind.Tensor ? (left, right, true) : (right, left, false);
        if (tensor.Kind != ValueKind.Tensor || constant.Kind != ValueKind.Number)
        {
            return constant.Kind == ValueKind.Unknown ? constant : Unsupported(at, $"The operator '{op}' on {left.Kind} and {right.Kind}");
        }

        double c = constant.Number;
        (double Scale, double Shift, string Name)? affine = (op, tensorFirst) switch
        {
            (BinaryOperatorKind.Add, _) => (1, c, "tf.__operators__.add"),
            (BinaryOperatorKind.Subtract, true) => (1, -c, "tf.math.subtract"),
            (BinaryOperatorKind.Subtract, false) => (-1, c, "tf.math.subtract"),
            (BinaryOperatorKind.Multiply, _) => (c, 0, "tf.math.multiply"),
            (BinaryOperatorKind.Divide, true) when c != 0 => (1 / c, 0, "tf.math.truediv"),
            _ => null,
        };
        if (affine is null)
        {
            return Unsupported(at, tensorFirst ? "Dividing a tensor by zero" : "Dividing a constant by a tensor", "; write it with Ops and tensor operations");
        }

        return AddOperation(LayerKind.Affine, affine.Value.Name, new List<int> { tensor.Id }, span, new AffineConfig(affine.Value.Scale, affine.Value.Shift));
    }

    private Value Negate(Value tensor, IOperation at)
        => tensor.Kind == ValueKind.Tensor
            ? AddOperation(LayerKind.Affine, "tf.math.negative", new List<int> { tensor.Id }, Spans.Of(at.Syntax), new AffineConfig(-1, 0))
            : tensor.Kind == ValueKind.Unknown ? tensor : Unsupported(at, "Negating this value");

    /// <summary>A call to <c>Ops.X(…)</c>.</summary>
    private Value CallOp(IInvocationOperation invocation, Frame frame)
    {
        string op = invocation.TargetMethod.Name;
        var args = Arguments(invocation, "Ops." + op, frame);
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        var span = Spans.Of(invocation.Syntax);
        var tensors = new List<int>();
        foreach (string parameter in new[] { "x", "a", "b" })
        {
            var value = args.Raw(parameter);
            if (value.Kind == ValueKind.Null && !args.IsExplicit(parameter))
            {
                continue;
            }

            if (value.Kind != ValueKind.Tensor)
            {
                Report(value.Kind == ValueKind.Unknown ? DiagnosticIds.NonConstantArgument : DiagnosticIds.InvalidArgument, args.SpanOf(parameter),
                    value.Kind == ValueKind.Unknown ? new[] { parameter, "Ops." + op, value.Reason ?? "it is not a tensor" }
                        : new[] { $"Ops.{op} takes tensors of the builder, but '{parameter}' is {value.Kind}" });
                return Value.Unknown("invalid operand");
            }

            tensors.Add(value.Id);
        }

        switch (op)
        {
            case "Abs": case "Exp": case "Log": case "Sqrt": case "Square":
                var unary = (UnaryOp)System.Enum.Parse(typeof(UnaryOp), op);
                return AddOperation(LayerKind.UnaryOp, "tf.math." + op.ToLowerInvariant(), tensors, span, new UnaryOpConfig(unary));
            case "Tanh": case "Sigmoid": case "Relu":
                return AddOperation(LayerKind.ActivationOp, op == "Relu" ? "tf.nn.relu" : "tf.math." + op.ToLowerInvariant(), tensors, span,
                    new ActivationOpConfig(System.Array.IndexOf(ActivationInfo.Names, op)));
            case "Maximum": case "Minimum":
                return AddOperation(LayerKind.BinaryOp, "tf.math." + op.ToLowerInvariant(), tensors, span,
                    new BinaryOpConfig(op == "Maximum" ? BinaryOp.Maximum : BinaryOp.Minimum));
            case "MatMul":
                return AddOperation(LayerKind.MatMul, "tf.linalg.matmul", tensors, span, NoSettings.Instance);

            case "Transpose":
            {
                var axes = args.Axes("axes");
                if (axes is null)
                {
                    return Value.Unknown("invalid argument");
                }

                if (axes.Value.Count < 2 || axes.Value[0] != 0)
                {
                    Report(DiagnosticIds.InvalidArgument, args.SpanOf("axes"),
                        $"Ops.Transpose needs every axis with the batch axis 0 first, as [0, 2, 1]; got [{string.Join(", ", axes.Value)}]");
                    return Value.Unknown("invalid argument");
                }

                return AddOperation(LayerKind.Permute, "tf.compat.v1.transpose", tensors, span, new PermuteConfig(axes.Value.Skip(1).ToEquatableArray()));
            }

            case "Softmax":
            {
                int? axis = args.Int("axis");
                return axis is null ? Value.Unknown("invalid argument")
                    : AddOperation(LayerKind.Softmax, "tf.nn.softmax", tensors, span, new SoftmaxConfig(axis.Value));
            }

            case "Sum": case "Mean":
            {
                int? axis = args.Int("axis");
                bool? keep = args.Bool("keepDims");
                if (axis is null || keep is null)
                {
                    return Value.Unknown("invalid argument");
                }

                return AddOperation(LayerKind.Reduce, op == "Sum" ? "tf.math.reduce_sum" : "tf.math.reduce_mean", tensors, span,
                    new ReduceConfig(Mean: op != "Sum", axis.Value, keep.Value));
            }

            default:
                return Unsupported(invocation, $"'Ops.{op}'", " in this version");
        }
    }

    private Value AddOperation(LayerKind kind, string name, List<int> inputs, SourceSpan span, LayerConfig config)
    {
        // Inside a Lambda or TimeDistributed the operation is not a row of its own; outside, it is Keras's TFOpLambda.
        bool hidden = Graph.CurrentApplication >= 0 || kind is LayerKind.Fold or LayerKind.Unfold;
        int layer = Graph.AddLayer(kind, null, span, null, config, prefix: name, hidden: hidden);
        return Value.Tensor(AddLayerNode(layer, inputs, span, inputs.Select(_ => span).ToList(), call: null, warn: false), span);
    }
}
