using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

internal sealed partial class BuilderEvaluator
{
    /// <summary>Evaluates a call's arguments, by parameter name, with where each was written.</summary>
    private LayerArguments Arguments(IInvocationOperation call, string callee, Frame frame)
        => Arguments(call.Arguments, Spans.Of(call.Syntax), callee, frame);

    private LayerArguments Arguments(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, SourceSpan callSpan, string callee,
        Frame frame)
    {
        var byName = new Dictionary<string, (Value Value, SourceSpan Span, bool Explicit)>();
        foreach (var argument in arguments)
        {
            if (argument.Parameter is null)
            {
                Invalid();
                continue;
            }

            bool isExplicit = argument.ArgumentKind != ArgumentKind.DefaultValue;
            var span = isExplicit ? Spans.OfArgument(argument) : callSpan;
            // A default is the parameter's constant: read from the symbol, it needs none of the binding that creating
            // the argument's operation costs (a builder's calls leave most arguments at their defaults).
            var value = !isExplicit && argument.Parameter.HasExplicitDefaultValue
                ? FromConstant(argument.Parameter.ExplicitDefaultValue)
                : Evaluate(argument.Value, frame);
            byName[argument.Parameter.Name] = (value, span, isExplicit);
        }

        return new LayerArguments(callee, callSpan, byName, (id, at, text) => Report(id, at, text), () => _stopped || SawInvalidCode);
    }

    private Value CallFactory(IInvocationOperation invocation, Frame frame)
    {
        string factory = invocation.TargetMethod.Name;
        var args = Arguments(invocation, factory, frame);
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        var span = Spans.Of(invocation.Syntax);
        var (nameOk, name) = args.Name();
        if (!nameOk)
        {
            return Value.Unknown("invalid name");
        }

        SourceSpan? nameSpan = args.IsExplicit("name") ? args.SpanOf("name") : null;
        if (name is not null && name.Length == 0)
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("name"), $"The name of {factory} must not be empty");
            return Value.Unknown("invalid name");
        }

        var created = CreateLayerValue(invocation, factory, args, span, name, nameSpan);
        foreach (var (argument, weight) in Initializers.Arguments)
        {
            if (!args.IsExplicit(argument) || created.Kind != ValueKind.Layer)
            {
                continue;
            }

            // Keras's kernel_initializer="he_normal" (by name).
            var value = args.Known(argument);
            if (value is null || value.Kind == ValueKind.Null)
            {
                continue;
            }

            if (value.Kind != ValueKind.String || Initializers.Find(value.String!) is not WeightInit init)
            {
                Report(DiagnosticIds.InvalidArgument, args.SpanOf(argument),
                    $"{argument} must be one of Keras's initialisers: {string.Join(", ", Initializers.Known.Select(k => "\"" + k.Name + "\""))}");
                return Value.Unknown("invalid argument");
            }

            Graph.SetInitializer(created.Id, weight, init);
        }

        // Regularizers and constraints arrive as the text Regularizers.* and Constraints.* evaluate to.
        if (!ApplyWeightSettings(args, created, Initializers.RegularizerArguments, "regularizer:",
                "Regularizers.L1(…), Regularizers.L2(…) or Regularizers.L1L2(…)", Graph.SetRegularizer)
            || !ApplyWeightSettings(args, created, Initializers.ConstraintArguments, "constraint:",
                "one of Constraints.MaxNorm, MinMaxNorm, UnitNorm or NonNeg", Graph.SetConstraint))
        {
            return Value.Unknown("invalid argument");
        }

        if (args.IsExplicit("trainable") && created.Kind == ValueKind.Layer)
        {
            // Keras's trainable=False: where the model's run-time flag starts (CompiledModel.GetLayer(name).Trainable).
            if (args.Bool("trainable") is bool trainable)
            {
                Graph.SetTrainable(created.Id, trainable);
            }
        }

        return created;
    }

    /// <summary>Records each explicit per-weight argument of <paramref name="table"/> whose value is the text a builder
    /// helper evaluates to (<paramref name="prefix"/>…); reports UNR0009 and returns false for anything else.</summary>
    private bool ApplyWeightSettings(LayerArguments args, Value created, (string Argument, string Weight)[] table, string prefix, string expected,
        System.Action<int, string, string> set)
    {
        foreach (var (argument, weight) in table)
        {
            if (!args.IsExplicit(argument) || created.Kind != ValueKind.Layer || args.Known(argument) is not { } value || value.Kind == ValueKind.Null)
            {
                continue;
            }

            if (value.Kind != ValueKind.String || !value.String!.StartsWith(prefix, System.StringComparison.Ordinal))
            {
                Report(DiagnosticIds.InvalidArgument, args.SpanOf(argument), $"{argument} must be {expected}");
                return false;
            }

            set(created.Id, weight, value.String!.Substring(prefix.Length));
        }

        return true;
    }

    private Value CreateLayerValue(IInvocationOperation invocation, string factory, LayerArguments args, SourceSpan span, string? name,
        SourceSpan? nameSpan)
    {
        switch (factory)
        {
            case "Input":
                return CreateInput(args, span, name, nameSpan);

            case "Lambda":
                return CreateLambda(args, span, name, nameSpan);

            case "TimeDistributed":
            {
                var inner = args.Known("layer");
                if (inner is null)
                {
                    return Value.Unknown("invalid argument");
                }

                if (inner.Kind is not (ValueKind.Layer or ValueKind.Model))
                {
                    Report(DiagnosticIds.InvalidArgument, args.SpanOf("layer"), "TimeDistributed needs a layer or a model created in the builder");
                    return Value.Unknown("invalid argument");
                }

                int wrapper = Graph.AddLayer(LayerKind.TimeDistributed, name, span, nameSpan, NoSettings.Instance);
                _timeDistributed[wrapper] = inner;
                return Value.Layer(wrapper);
            }

            case "Bidirectional":
                return CreateBidirectional(args, span, name, nameSpan);

            default:
            {
                if (!LayerRules.TryFunction(factory, out var rule, out var kind))
                {
                    return Unsupported(invocation, $"The layer '{factory}'", " in this version");
                }

                var config = rule.Create(kind, args);
                if (config is null)
                {
                    return Value.Unknown("invalid argument");
                }

                int layer = Graph.AddLayer(kind, name, span, nameSpan, config);
                if (invocation.TargetMethod.Parameters.Length > 0 && invocation.TargetMethod.Parameters[0].Name == "inputs")
                {
                    // The functional form, concatenate([a, b]): create the layer and apply it at once.
                    return Apply(layer, args.Raw("inputs"), args.SpanOf("inputs"), span);
                }

                return Value.Layer(layer);
            }
        }
    }

    private Value CreateInput(LayerArguments args, SourceSpan span, string? name, SourceSpan? nameSpan)
    {
        var shape = args.Known("shape");
        int? dtype = args.Int("dtype");
        if (shape is null || dtype is null)
        {
            return Value.Unknown("invalid argument");
        }

        if (shape.Kind != ValueKind.List)
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("shape"), "The shape of an Input must be an array such as [784] or [28, 28, 1]");
            return Value.Unknown("invalid argument");
        }

        var dims = new List<int>();
        foreach (var item in shape.Items!)
        {
            if (item.Kind == ValueKind.Null)
            {
                dims.Add(-1);
            }
            else if (item is { Kind: ValueKind.Number, IsInteger: true } && item.Number >= 1 && item.Number <= int.MaxValue)
            {
                dims.Add((int)item.Number);
            }
            else
            {
                Report(item.Kind == ValueKind.Unknown ? DiagnosticIds.NonConstantArgument : DiagnosticIds.InvalidArgument,
                    item.Origin ?? args.SpanOf("shape"),
                    item.Kind == ValueKind.Unknown
                        ? new[] { "shape", "Input", item.Reason ?? "it is not constant" }
                        : new[] { $"Every dimension of an Input's shape must be a positive integer or null, but one is {item}" });
                return Value.Unknown("invalid argument");
            }
        }

        int layer = Graph.AddLayer(LayerKind.InputLayer, name, span, nameSpan, new InputConfig(dims.ToEquatableArray(), dtype.Value));
        return Value.Tensor(Graph.AddNode(layer, new List<int>(), span, new List<SourceSpan>()), span);
    }

    private Value ApplyLayer(IInvocationOperation invocation, Frame frame)
    {
        var layer = invocation.Instance is null ? Value.Null : Evaluate(invocation.Instance, frame);
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        if (layer.Kind is not (ValueKind.Layer or ValueKind.Model))
        {
            return Unsupported(invocation, "Calling this layer", layer.Kind == ValueKind.Unknown ? ": " + layer.Reason : "; it was not created by a layer function");
        }

        // The input, and (Layer's optional second parameter) Keras's initial_state.
        var argument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
        var initialArgument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "initialState" && a.ArgumentKind != ArgumentKind.DefaultValue);
        if (argument is null || invocation.Arguments.Length > 2)
        {
            return Invalid();
        }

        var value = Evaluate(argument.Value, frame);
        var span = Spans.Of(invocation.Syntax);
        Value? initialState = null;
        if (initialArgument is not null)
        {
            initialState = Evaluate(initialArgument.Value, frame);
            if (_stopped || SawInvalidCode)
            {
                return Value.Unknown("evaluation stopped");
            }

            var kind = layer.Kind == ValueKind.Layer ? Graph.Layers[layer.Id].Kind : LayerKind.Functional;
            string what = layer.Kind == ValueKind.Layer ? $"{kind} '{Graph.Layers[layer.Id].Name}'" : $"Model '{layer.Model!.Name ?? "model"}'";
            if (kind is not (LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN or LayerKind.Bidirectional))
            {
                if (initialState.Kind != ValueKind.Null)
                {
                    Report(DiagnosticIds.InvalidArgument, Spans.OfArgument(initialArgument),
                        $"{what} takes no initial state; only the recurrent layers (LSTM, GRU, SimpleRNN, and Bidirectional around one) start from one");
                    return Value.Unknown("invalid argument");
                }

                initialState = null;
            }
            else if (initialState.Kind == ValueKind.Null)
            {
                initialState = null;
            }
            else if (initialState.Kind != ValueKind.List || initialState.Items!.Any(t => t.Kind != ValueKind.Tensor))
            {
                Report(initialState.Kind == ValueKind.Unknown ? DiagnosticIds.NonConstantArgument : DiagnosticIds.InvalidArgument, Spans.OfArgument(initialArgument),
                    initialState.Kind == ValueKind.Unknown
                        ? new[] { "initialState", Graph.Layers[layer.Id].Name, initialState.Reason ?? "it is not a list of tensors of the builder" }
                        : new[] { $"{what} takes its initial state as a list of tensors ([h, c] for an LSTM, [h] otherwise)" });
                return Value.Unknown("invalid argument");
            }
        }

        if (layer.Kind == ValueKind.Model)
        {
            var result = ApplyModel(layer.Model!, value, Spans.OfArgument(argument), span);
            if (result.Kind == ValueKind.List && result.Items!.Count != 1)
            {
                Report(DiagnosticIds.InvalidArgument, span,
                    $"Model '{layer.Model!.Name}' has {result.Items.Count} outputs, so it cannot be used as a one-output layer; use model.Call(inputs), which returns them all");
                return Value.Unknown("several outputs");
            }

            return result.Kind == ValueKind.List ? result.Items![0] : result;
        }


        return Apply(layer.Id, value, Spans.OfArgument(argument), span,
            initialState: initialState?.Items!.Select(t => t.WithOrigin(t.Origin ?? Spans.OfArgument(initialArgument!))).ToList());
    }

    /// <summary>
    /// Calls a <c>MultiHeadAttention</c> layer as Keras does: <c>mha(query, value, key, useCausalMask: true)</c>. The
    /// tensors become the node's inputs ([query, value] or [query, value, key]); the call's constant settings are the
    /// node's own (one layer may be called with and without the causal mask).
    /// </summary>
    private Value ApplyAttentionLayer(IInvocationOperation invocation, Frame frame)
    {
        var (layer, failure) = CalledLayer(invocation, frame);
        if (failure is not null)
        {
            return failure;
        }

        var tensors = new Value[4];
        var spans = new SourceSpan[4];
        bool causal = false, scores = false;
        foreach (var argument in invocation.Arguments)
        {
            var value = Evaluate(argument.Value, frame);
            if (_stopped || SawInvalidCode)
            {
                return Value.Unknown("evaluation stopped");
            }

            var span = argument.ArgumentKind == ArgumentKind.DefaultValue ? Spans.Of(invocation.Syntax) : Spans.OfArgument(argument);
            switch (argument.Parameter?.Name)
            {
                case "query":
                    (tensors[0], spans[0]) = (value, span);
                    break;
                case "value":
                    (tensors[1], spans[1]) = (value, span);
                    break;
                case "key":
                    (tensors[2], spans[2]) = (value, span);
                    break;
                case "attentionMask":
                    (tensors[3], spans[3]) = (value, span);
                    break;
                case "useCausalMask" or "returnAttentionScores":
                    if (!ReadCallFlag(value, span, argument, layer.Id, ref causal, ref scores))
                    {
                        return Value.Unknown("non-constant argument");
                    }

                    break;
                default:
                    return Invalid();
            }
        }

        if (tensors[0] is null || tensors[1] is null)
        {
            return Invalid();
        }

        var inputs = new List<Value> { tensors[0].WithOrigin(spans[0]), tensors[1].WithOrigin(spans[1]) };
        if (tensors[2] is { Kind: not ValueKind.Null })
        {
            inputs.Add(tensors[2].WithOrigin(spans[2]));
        }

        // Keras's attention_mask follows the sequences among the node's inputs; the call records that it is there.
        bool masked = tensors[3] is { Kind: not ValueKind.Null };
        if (masked)
        {
            inputs.Add(tensors[3].WithOrigin(spans[3]));
        }

        var output = Apply(layer.Id, Value.List(inputs), Spans.Of(invocation.Syntax), Spans.Of(invocation.Syntax), new MultiHeadAttentionCall(causal, masked, scores));
        return scores ? WithScores(output, inputs[1], MultiHeadAttentionRule.ScoresTemporary, invocation) : output;
    }

    /// <summary>
    /// Calls an <c>Attention</c> or <c>AdditiveAttention</c> layer as Keras does:
    /// <c>attention([query, value], returnAttentionScores: true, useCausalMask: true)</c>. The list's tensors are the
    /// node's inputs; the call's constant arguments are the node's own settings.
    /// </summary>
    private Value ApplySequenceAttention(IInvocationOperation invocation, Frame frame)
    {
        var (layer, failure) = CalledLayer(invocation, frame);
        if (failure is not null)
        {
            return failure;
        }

        Value? inputs = null;
        var inputsSpan = Spans.Of(invocation.Syntax);
        bool causal = false, scores = false;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            var value = Evaluate(argument.Value, frame);
            if (_stopped || SawInvalidCode)
            {
                return Value.Unknown("evaluation stopped");
            }

            var span = Spans.OfArgument(argument);
            switch (argument.Parameter?.Name)
            {
                case "inputs":
                    (inputs, inputsSpan) = (value, span);
                    break;
                case "useCausalMask" or "returnAttentionScores":
                    if (!ReadCallFlag(value, span, argument, layer.Id, ref causal, ref scores))
                    {
                        return Value.Unknown("non-constant argument");
                    }

                    break;
                default:
                    return Invalid();
            }
        }

        if (inputs is null)
        {
            return Invalid();
        }

        var call = causal || scores ? new AttentionCall(causal, scores) : null;
        var output = Apply(layer.Id, inputs, inputsSpan, Spans.Of(invocation.Syntax), call);
        if (!scores || output.Kind != ValueKind.Tensor || inputs.Kind != ValueKind.List || inputs.Items!.Count < 2)
        {
            return output;
        }

        return WithScores(output, inputs.Items[1], AttentionRule.ScoresTemporary(Graph.Layers[layer.Id]), invocation);
    }

    /// <summary>The layer an attention call invokes, or the value to return instead: evaluation stopped, or what is called
    /// was not made by a layer function.</summary>
    private (Value Layer, Value? Failure) CalledLayer(IInvocationOperation invocation, Frame frame)
    {
        var layer = invocation.Instance is null ? Value.Null : Evaluate(invocation.Instance, frame);
        if (_stopped || SawInvalidCode)
        {
            return (layer, Value.Unknown("evaluation stopped"));
        }

        return layer.Kind != ValueKind.Layer
            ? (layer, Unsupported(invocation, "Calling this layer", layer.Kind == ValueKind.Unknown ? ": " + layer.Reason : "; it was not created by a layer function"))
            : (layer, null);
    }

    /// <summary>Reads a call's constant flag into <paramref name="causal"/> (use_causal_mask) or <paramref name="scores"/>
    /// (return_attention_scores); false after UNR0004 when it is not a constant.</summary>
    private bool ReadCallFlag(Value value, SourceSpan span, IArgumentOperation argument, int layer, ref bool causal, ref bool scores)
    {
        if (value.Kind != ValueKind.Bool)
        {
            Report(DiagnosticIds.NonConstantArgument, span, argument.Parameter!.Name, Graph.Layers[layer].Name, value.Reason ?? "it is not a constant bool");
            return false;
        }

        if (argument.Parameter!.Name == "useCausalMask")
        {
            causal = value.Bool;
        }
        else
        {
            scores = value.Bool;
        }

        return true;
    }

    /// <summary>return_attention_scores: (output, scores), the scores a view of the weights the attention node keeps in
    /// its temporary <paramref name="temporary"/>; the value is read for its number of steps only.</summary>
    private Value WithScores(Value output, Value value, int temporary, IInvocationOperation invocation)
    {
        if (output.Kind != ValueKind.Tensor)
        {
            return output;
        }

        var call = Spans.Of(invocation.Syntax);
        int view = Graph.AddLayer(LayerKind.AttentionScores, null, call, null, new AttentionScoresConfig(temporary), prefix: "attention_scores", hidden: true);
        var weights = Value.Tensor(Graph.AddNode(view, new List<int> { output.Id, value.Id }, call, new List<SourceSpan> { call, call }), call);
        return Value.List(new List<Value> { output, weights });
    }

    /// <summary>Applies a layer to a tensor or a list of tensors, adding a node.</summary>
    private Value Apply(int layer, Value inputs, SourceSpan inputsSpan, SourceSpan callSpan, LayerConfig? call = null, List<Value>? initialState = null)
    {
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        var spec = Graph.Layers[layer];
        switch (spec.Kind)
        {
            case LayerKind.Lambda:
                int firstNew = Graph.Nodes.Count;
                return WithoutMasks(ApplyLambda(layer, inputs, inputsSpan, callSpan), spec, inputs, inputsSpan, firstNew);
            case LayerKind.TimeDistributed:
                return ApplyTimeDistributed(layer, inputs, inputsSpan, callSpan);
            case LayerKind.Bidirectional:
                return ApplyBidirectional(layer, inputs, inputsSpan, callSpan, initialState);
        }

        var tensors = inputs.Kind == ValueKind.List ? inputs.Items! : new List<Value> { inputs.WithOrigin(inputsSpan) };
        var nodes = new List<int>();
        var spans = new List<SourceSpan>();
        foreach (var tensor in tensors)
        {
            var at = tensor.Origin ?? inputsSpan;
            if (tensor.Kind != ValueKind.Tensor)
            {
                Report(tensor.Kind == ValueKind.Unknown ? DiagnosticIds.NonConstantArgument : DiagnosticIds.InvalidArgument, at,
                    tensor.Kind == ValueKind.Unknown
                        ? new[] { "inputs", spec.Name, tensor.Reason ?? "it is not a tensor of the builder" }
                        : new[] { $"Layer '{spec.Name}' must be applied to tensors, but one input is {(tensor.Kind == ValueKind.Null ? "null" : tensor.Kind.ToString())}" });
                return Value.Unknown("invalid input");
            }

            nodes.Add(tensor.Id);
            spans.Add(at);
        }

        var rule = LayerRules.TryOf(spec.Kind);
        var (min, max) = rule?.Arity(spec) ?? (1, 1);
        if (max == 1 && nodes.Count != 1)
        {
            Report(DiagnosticIds.InvalidArgument, inputsSpan,
                $"Layer '{spec.Name}' takes one tensor, but it is given {nodes.Count} (a model with several outputs returns them all; pick one)");
            return Value.Unknown("invalid input");
        }

        if (max > 1 && nodes.Count < min)
        {
            Report(DiagnosticIds.InvalidArgument, inputsSpan,
                $"A merge layer ('{spec.Name}') must be applied to a list of at least {min} tensors, but it got {nodes.Count}");
            return Value.Unknown("invalid input");
        }

        if (max > 1 && min == max && nodes.Count != max)
        {
            Report(DiagnosticIds.InvalidArgument, inputsSpan,
                $"A {spec.Kind} layer ('{spec.Name}') must be applied to exactly {max} tensors, but it got {nodes.Count}");
            return Value.Unknown("invalid input");
        }

        // Keras's initial_state: the states follow the input among the node's inputs (and in the summary's "Connected to").
        foreach (var state in initialState ?? new List<Value>())
        {
            nodes.Add(state.Id);
            spans.Add(state.Origin ?? inputsSpan);
        }

        int node = AddLayerNode(layer, nodes, callSpan, spans, call);
        int states = rule?.StateOutputs(spec) ?? 0;
        if (states > 0)
        {
            // return_state: [output, h] (and LSTM's c), each state a view of what the layer keeps.
            var results = new List<Value> { Value.Tensor(node, callSpan) };
            for (int state = 1; state <= states; state++)
            {
                int select = Graph.AddLayer(LayerKind.RecurrentState, null, callSpan, null, new RecurrentStateConfig(state), prefix: "state", hidden: true);
                results.Add(Value.Tensor(Graph.AddNode(select, new List<int> { node }, callSpan, new List<SourceSpan> { callSpan }), callSpan));
            }

            return Value.List(results);
        }

        return Value.Tensor(node, callSpan);
    }

    /// <summary>
    /// Applies a model as a layer, as Keras does: every layer between the model's inputs and outputs is applied again,
    /// in order, to the new inputs. The layers are the same objects, so every call of one model shares its weights.
    /// Returns the outputs as a list.
    /// </summary>
    private Value ApplyModel(BuiltModel model, Value inputs, SourceSpan inputsSpan, SourceSpan callSpan)
    {
        var tensors = inputs.Kind == ValueKind.List ? inputs.Items! : new List<Value> { inputs.WithOrigin(inputsSpan) };
        string name = model.Name ?? "model";
        if (tensors.Count != model.Inputs.Count || tensors.Any(t => t.Kind != ValueKind.Tensor))
        {
            Report(DiagnosticIds.InvalidArgument, inputsSpan,
                $"Model '{name}' takes {model.Inputs.Count} input tensor(s), but it is applied to " +
                (tensors.Any(t => t.Kind != ValueKind.Tensor) ? "something that is not a tensor of the builder" : $"{tensors.Count}"));
            return Value.Unknown("invalid model call");
        }

        var mapping = new Dictionary<int, int>();
        for (int i = 0; i < tensors.Count; i++)
        {
            mapping[model.Inputs[i].Id] = tensors[i].Id;
        }

        // The nodes between the model's inputs and outputs, in creation (topological) order.
        var inner = new HashSet<int>();
        var pending = new Stack<int>(model.Outputs.Select(o => o.Id));
        while (pending.Count > 0)
        {
            int node = pending.Pop();
            if (mapping.ContainsKey(node) || !inner.Add(node))
            {
                continue;
            }

            if (Graph.Nodes[node].Inputs.Count == 0)
            {
                Report(DiagnosticIds.InvalidArgument, callSpan,
                    $"Model '{name}' cannot be applied: its outputs depend on input '{Graph.Layers[Graph.Nodes[node].Layer].Name}', which it does not list");
                return Value.Unknown("disconnected model");
            }

            foreach (int input in Graph.Nodes[node].Inputs)
            {
                pending.Push(input);
            }
        }

        // Inside a Lambda or TimeDistributed the model's nodes join that group (Keras shows only the outer row).
        int application = Graph.Applications.Count;
        int group = Graph.CurrentApplication >= 0 ? Graph.CurrentApplication : application;

        // For the graph's description, the call is a group, and so is every call the model's own graph made (of
        // another model, a Lambda, a TimeDistributed), copied with its nodes.
        int call = Graph.AddGroup("Functional", name, tensors.Select(t => t.Id),
            model.Inputs.Select(i => Graph.Nodes[i.Id].Layer).ToEquatableArray());
        var copiedGroups = new Dictionary<int, int>();
        int CopyGroup(int original)
        {
            if (original < 0)
            {
                return call;
            }

            if (copiedGroups.TryGetValue(original, out int copy))
            {
                return copy;
            }

            var spec = Graph.Groups[original];
            if (spec.Outputs.Count == 0 || !spec.Outputs.All(inner.Contains))
            {
                copy = call; // a group the model's graph only starts from
            }
            else
            {
                int parent = CopyGroup(spec.Parent);
                copy = Graph.Groups.Count;
                Graph.Groups.Add(spec with { Parent = parent });
            }

            copiedGroups[original] = copy;
            return copy;
        }

        foreach (int node in inner.OrderBy(n => n))
        {
            var spec = Graph.Nodes[node];
            var mapped = spec.Inputs.Select(i => mapping[i]).ToList();
            // Masks are made again for the new inputs (a masked tensor passed to the model masks its layers, as in Keras).
            mapping[node] = AddLayerNode(spec.Layer, mapped, callSpan, mapped.Select(_ => inputsSpan).ToList(), spec.Call, group, CopyGroup(spec.Group),
                warn: !Graph.Layers[spec.Layer].Name.StartsWith("/", System.StringComparison.Ordinal));
        }

        int Mapped(int node) => mapping.TryGetValue(node, out int copy) ? copy : node;
        foreach (var copied in copiedGroups)
        {
            if (copied.Value != call)
            {
                var original = Graph.Groups[copied.Key];
                Graph.Groups[copied.Value] = Graph.Groups[copied.Value] with
                {
                    Inputs = original.Inputs.Select(Mapped).ToEquatableArray(),
                    Outputs = original.Outputs.Select(Mapped).ToEquatableArray(),
                };
            }
        }

        var outputs = model.Outputs.Select(o => mapping[o.Id]).ToList();
        Graph.Groups[call] = Graph.Groups[call] with { Outputs = outputs.ToEquatableArray() };
        var expected = model.Inputs.Select(i => Graph.Layers[Graph.Nodes[i.Id].Layer].Config is InputConfig input ? input.Shape : EquatableArray<int>.Empty).ToEquatableArray();
        Graph.Applications.Add(new ApplicationSpec(model.Id, name, tensors.Select(t => t.Id).ToEquatableArray(), outputs.ToEquatableArray(), expected, callSpan));
        return Value.List(outputs.Select(o => Value.Tensor(o, callSpan)).ToList());
    }

    private readonly Dictionary<int, Value> _timeDistributed = new();

    /// <summary>Each Bidirectional wrapper's two recurrent layers: the forward copy and the backward one.</summary>
    private readonly Dictionary<int, (int Forward, int Backward)> _bidirectional = new();

    /// <summary>
    /// Keras's <c>Bidirectional(layer, merge_mode, backward_layer)</c>: the wrapped recurrent layer is copied, as Keras
    /// recreates it from its config, into <c>forward_&lt;name&gt;</c> and (unless a backward layer is given)
    /// <c>backward_&lt;name&gt;</c> going backwards; the layer passed in is never applied.
    /// </summary>
    private Value CreateBidirectional(LayerArguments args, SourceSpan span, string? name, SourceSpan? nameSpan)
    {
        var inner = args.Known("layer");
        var merge = args.Known("mergeMode");
        var backward = args.Known("backwardLayer");
        if (inner is null || merge is null || backward is null)
        {
            return Value.Unknown("invalid argument");
        }

        static bool IsRecurrent(LayerSpec layer) => layer.Kind is LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN;
        if (inner.Kind != ValueKind.Layer || !IsRecurrent(Graph.Layers[inner.Id]))
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("layer"),
                "Bidirectional wraps a recurrent layer created in the builder (LSTM, GRU or SimpleRNN)" +
                (inner.Kind == ValueKind.Layer ? $"; '{Graph.Layers[inner.Id].Name}' is a {Graph.Layers[inner.Id].Kind}" : string.Empty));
            return Value.Unknown("invalid argument");
        }

        string? mode = merge.Kind == ValueKind.Null ? null : merge.String;
        if ((merge.Kind != ValueKind.Null && merge.Kind != ValueKind.String) || mode is not (null or "concat" or "sum" or "mul" or "ave"))
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("mergeMode"),
                $"Bidirectional merges the two directions by \"concat\", \"sum\", \"mul\" or \"ave\", or returns both with null; got {merge}");
            return Value.Unknown("invalid argument");
        }

        var layer = Graph.Layers[inner.Id];
        var config = layer.Settings<RecurrentConfig>();
        if (config.GoBackwards)
        {
            // Keras copies the layer with go_backwards=True for the backward direction: both would then run backwards.
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("layer"),
                $"Bidirectional runs '{layer.Name}' forwards and a copy of it backwards, so the layer must not go backwards itself (goBackwards: false)");
            return Value.Unknown("invalid argument");
        }

        // Keras's force_zero_output_for_mask: with sequences, a masked step's output is zeros in both directions.
        int forwardLayer = Graph.AddLayer(layer.Kind, "forward_" + Unprefixed(layer.Name, "forward_"), span, nameSpan,
            config with { ZeroOutputForMask = config.ReturnSequences });
        int backwardLayer;
        if (backward.Kind == ValueKind.Null)
        {
            backwardLayer = Graph.AddLayer(layer.Kind, "backward_" + Unprefixed(layer.Name, "backward_"), span, nameSpan,
                config with { GoBackwards = true, ZeroOutputForMask = config.ReturnSequences });
        }
        else if (backward.Kind != ValueKind.Layer || !IsRecurrent(Graph.Layers[backward.Id]))
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("backwardLayer"), "Bidirectional's backward layer must be a recurrent layer created in the builder (LSTM, GRU or SimpleRNN)");
            return Value.Unknown("invalid argument");
        }
        else
        {
            var given = Graph.Layers[backward.Id].Settings<RecurrentConfig>();
            string? problem = !given.GoBackwards ? "must go backwards (goBackwards: true), as the forward layer does not"
                : given.ReturnSequences != config.ReturnSequences ? $"must have the forward layer's returnSequences ({config.ReturnSequences.ToString().ToLowerInvariant()})"
                : given.ReturnState != config.ReturnState ? $"must have the forward layer's returnState ({config.ReturnState.ToString().ToLowerInvariant()})"
                : null;
            if (problem is not null)
            {
                Report(DiagnosticIds.InvalidArgument, args.SpanOf("backwardLayer"), $"Bidirectional's backward layer '{Graph.Layers[backward.Id].Name}' {problem}");
                return Value.Unknown("invalid argument");
            }

            backwardLayer = backward.Id;
            Graph.Layers[backwardLayer] = Graph.Layers[backwardLayer] with { Config = given with { ZeroOutputForMask = given.ReturnSequences } };
        }

        int wrapper = Graph.AddLayer(LayerKind.Bidirectional, name, span, nameSpan, new BidirectionalConfig(mode));
        _bidirectional[wrapper] = (forwardLayer, backwardLayer);
        return Value.Layer(wrapper);

        static string Unprefixed(string text, string prefix) => text.StartsWith(prefix, System.StringComparison.Ordinal) ? text.Substring(prefix.Length) : text;
    }

    /// <summary>
    /// Applies a Bidirectional wrapper, as Keras's <c>call</c>: the forward layer and the backward layer on the sequence
    /// (each with its half of the initial state), the backward sequence flipped back to the input's order, the two
    /// merged; with return_state, the forward states then the backward ones follow. Grouped under one application, as
    /// the summary shows one row.
    /// </summary>
    private Value ApplyBidirectional(int wrapper, Value input, SourceSpan inputSpan, SourceSpan callSpan, List<Value>? initialState)
    {
        var spec = Graph.Layers[wrapper];
        if (input.Kind != ValueKind.Tensor)
        {
            Report(DiagnosticIds.InvalidArgument, inputSpan, $"Bidirectional '{spec.Name}' must be applied to one tensor of the builder");
            return Value.Unknown("invalid input");
        }

        var (forwardLayer, backwardLayer) = _bidirectional[wrapper];
        var states = initialState ?? new List<Value>();
        if (states.Count % 2 != 0)
        {
            Report(DiagnosticIds.InvalidArgument, states[0].Origin ?? callSpan,
                $"Bidirectional '{spec.Name}' splits its initial state in halves, the forward layer's then the backward layer's, but it is given {states.Count} tensors");
            return Value.Unknown("invalid initial state");
        }

        int application = Graph.Applications.Count;
        Graph.Applications.Add(new ApplicationSpec(wrapper, spec.Name, new[] { input.Id }.Concat(states.Select(s => s.Id)).ToEquatableArray(),
            EquatableArray<int>.Empty, EquatableArray<EquatableArray<int>>.Empty, callSpan, "Bidirectional"));
        int outer = Graph.CurrentApplication, outerGroup = Graph.CurrentGroup;
        Graph.CurrentApplication = application;
        int group = Graph.AddGroup("Bidirectional", spec.Name, new[] { input.Id }.Concat(states.Select(s => s.Id)));
        Graph.CurrentGroup = group;
        try
        {
            int half = states.Count / 2;
            var forward = Apply(forwardLayer, input, inputSpan, callSpan, initialState: half > 0 ? states.Take(half).ToList() : null);
            var backward = Apply(backwardLayer, input, inputSpan, callSpan, initialState: half > 0 ? states.Skip(half).ToList() : null);
            var results = new[] { forward, backward }.Select(r => r.Kind == ValueKind.List ? r.Items! : new List<Value> { r }).ToList();
            if (results.SelectMany(r => r).Any(v => v.Kind != ValueKind.Tensor))
            {
                return Value.Unknown("invalid Bidirectional");
            }

            var forwardOutput = results[0][0];
            var backwardOutput = results[1][0];
            if (Graph.Layers[backwardLayer].Settings<RecurrentConfig>().ReturnSequences)
            {
                backwardOutput = AddOperation(LayerKind.Flip, "flip", new List<int> { backwardOutput.Id }, callSpan, new FlipConfig(1));
            }

            var pair = new List<int> { forwardOutput.Id, backwardOutput.Id };
            var outputs = spec.Settings<BidirectionalConfig>().MergeMode switch
            {
                "concat" => new List<Value> { AddOperation(LayerKind.Concatenate, "concatenate", pair, callSpan, new ConcatenateConfig(-1)) },
                "sum" => new List<Value> { AddOperation(LayerKind.Add, "add", pair, callSpan, NoSettings.Instance) },
                "mul" => new List<Value> { AddOperation(LayerKind.Multiply, "multiply", pair, callSpan, NoSettings.Instance) },
                "ave" => new List<Value> { AddOperation(LayerKind.Average, "average", pair, callSpan, NoSettings.Instance) },
                _ => new List<Value> { forwardOutput, backwardOutput },
            };
            outputs.AddRange(results[0].Skip(1));
            outputs.AddRange(results[1].Skip(1));
            var ids = outputs.Select(o => o.Id).ToEquatableArray();
            Graph.Applications[application] = Graph.Applications[application] with { Outputs = ids };
            Graph.Groups[group] = Graph.Groups[group] with { Outputs = ids };
            Graph.NodesOfLayer[wrapper].Add(ids[0]);
            return outputs.Count == 1 ? Value.Tensor(ids[0], callSpan) : Value.List(outputs.Select(o => Value.Tensor(o.Id, callSpan)).ToList());
        }
        finally
        {
            Graph.CurrentApplication = outer;
            Graph.CurrentGroup = outerGroup;
        }
    }

    /// <summary>
    /// TimeDistributed: fold the time axis into the rows, apply the inner layer or model once to all rows (one set of
    /// weights for every step), unfold. The nodes are grouped under one application for the summary.
    /// </summary>
    private Value ApplyTimeDistributed(int wrapper, Value input, SourceSpan inputSpan, SourceSpan callSpan)
    {
        var spec = Graph.Layers[wrapper];
        if (input.Kind != ValueKind.Tensor)
        {
            Report(DiagnosticIds.InvalidArgument, inputSpan, $"TimeDistributed '{spec.Name}' must be applied to a tensor of the builder");
            return Value.Unknown("invalid input");
        }

        var shape = Graph.ShapeOf(input.Id);
        if (shape is null || shape.Dims.Count < 2)
        {
            Report(DiagnosticIds.ShapeMismatch, inputSpan, $"TimeDistributed '{spec.Name}'",
                shape is null ? "its input's shape is not known because of an earlier error"
                    : $"its input has shape {shape.Keras}, but TimeDistributed needs a time axis and at least one more: (None, steps, …)");
            return Value.Unknown("invalid input");
        }

        int steps = shape.Dims[0];
        int application = Graph.Applications.Count;
        Graph.Applications.Add(new ApplicationSpec(wrapper, spec.Name, new[] { input.Id }.ToEquatableArray(), EquatableArray<int>.Empty,
            EquatableArray<EquatableArray<int>>.Empty, callSpan, "TimeDistributed"));
        int outer = Graph.CurrentApplication;
        Graph.CurrentApplication = application;
        int outerGroup = Graph.CurrentGroup;
        int group = Graph.AddGroup("TimeDistributed", spec.Name, new[] { input.Id });
        Graph.CurrentGroup = group;
        var folded = AddOperation(LayerKind.Fold, "fold", new List<int> { input.Id }, callSpan, new StepsConfig(steps));
        var inner = _timeDistributed[wrapper];
        var result = inner.Kind == ValueKind.Model ? ApplyModel(inner.Model!, folded, inputSpan, callSpan) : Apply(inner.Id, folded, inputSpan, callSpan);
        if (result.Kind == ValueKind.List && result.Items!.Count == 1)
        {
            result = result.Items[0];
        }

        var unfolded = result.Kind == ValueKind.Tensor ? AddOperation(LayerKind.Unfold, "unfold", new List<int> { result.Id }, callSpan, new StepsConfig(steps)) : result;
        Graph.CurrentApplication = outer;
        Graph.CurrentGroup = outerGroup;
        if (unfolded.Kind != ValueKind.Tensor)
        {
            if (!_stopped && !SawInvalidCode)
            {
                Report(DiagnosticIds.UnsupportedConstruct, callSpan, "TimeDistributed of a layer or model with several outputs", string.Empty);
            }

            return Value.Unknown("invalid TimeDistributed");
        }

        Graph.Applications[application] = Graph.Applications[application] with { Outputs = new[] { unfolded.Id }.ToEquatableArray() };
        Graph.Groups[group] = Graph.Groups[group] with { Outputs = new[] { unfolded.Id }.ToEquatableArray() };
        Graph.NodesOfLayer[wrapper].Add(unfolded.Id);
        if (Graph.MaskOfNode(input.Id) is >= 0 and int mask)
        {
            Graph.MaskOf[unfolded.Id] = mask; // each step is computed on its own, so the steps' mask still holds
        }

        return Value.Tensor(unfolded.Id, callSpan);
    }

    private Value CreateModel(IObjectCreationOperation creation, Frame frame)
    {
        var args = Arguments(creation.Arguments, Spans.Of(creation.Syntax), "Model", frame);
        if (_stopped || SawInvalidCode)
        {
            return Value.Unknown("evaluation stopped");
        }

        var (nameOk, name) = args.Name();
        var inputs = TensorList(args, "inputs");
        var outputs = TensorList(args, "outputs");
        if (!nameOk || inputs is null || outputs is null)
        {
            return Value.Unknown("invalid model");
        }

        var model = new BuiltModel(inputs, outputs, name ?? Graph.DefaultModelName(), Spans.Of(creation.Syntax), args.SpanOf("inputs"), args.SpanOf("outputs"))
        {
            Id = Graph.Models.Count,
        };
        Graph.Models.Add(model);
        return Value.Of(model);
    }

    private List<Value>? TensorList(LayerArguments args, string parameter)
    {
        var value = args.Known(parameter);
        if (value is null)
        {
            return null;
        }

        // A copy, as Keras makes: adding to the list afterwards does not change the model.
        var items = value.Kind == ValueKind.List ? new List<Value>(value.Items!) : new List<Value> { value.WithOrigin(args.SpanOf(parameter)) };
        foreach (var item in items)
        {
            if (item.Kind != ValueKind.Tensor)
            {
                Report(DiagnosticIds.InvalidArgument, item.Origin ?? args.SpanOf(parameter),
                    $"The model's {parameter} must be tensors of this builder, but one is {(item.Kind == ValueKind.Null ? "null" : item.Kind == ValueKind.Unknown ? "unknown: " + item.Reason : item.Kind.ToString())}");
                return null;
            }
        }

        return items;
    }
}
