using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Unrolled.Generator.Parsing;
using Unrolled.Generator.Shapes;
using static Unrolled.Generator.Emit.NodeEmitter;

namespace Unrolled.Generator.Layers;

/// <summary>A recurrent layer's settings. <c>UnitForgetBias</c> is LSTM's, <c>ResetAfter</c> GRU's (false elsewhere);
/// <c>GoBackwards</c> runs the steps last to first and returns the sequence in that order, as Keras's <c>go_backwards</c>;
/// <c>ZeroOutputForMask</c> is Keras's <c>zero_output_for_mask</c>, which Bidirectional sets on its copies when they return
/// sequences: a masked step's output is zeros instead of the carried state; <c>Dropout</c> is Keras's <c>dropout</c> on the
/// inputs while training (one mask per sample, shared by the steps); <c>RecurrentDropout</c> Keras's <c>recurrent_dropout</c> on
/// the state (one mask per sample and gate, shared by the steps, which also gives LSTM and GRU one input mask per gate, as
/// Keras's implementation 1 does).</summary>
internal sealed record RecurrentConfig(int Units, bool UseBias, bool ReturnSequences, bool ReturnState, bool UnitForgetBias, bool ResetAfter,
    bool GoBackwards, bool ZeroOutputForMask = false, double Dropout = 0, double RecurrentDropout = 0) : LayerConfig
{
    /// <summary>Whether the kernels take the dropout masks per gate (recurrent dropout is on).</summary>
    public bool GateMasks => RecurrentDropout > 0;
}

/// <summary>A <c>Bidirectional</c> wrapper's settings: Keras's <c>merge_mode</c> (concat, sum, mul, ave), or null to return
/// both directions.</summary>
internal sealed record BidirectionalConfig(string? MergeMode) : LayerConfig;

/// <summary>A returned state's place in Keras's result list: 1 the last hidden state <c>h</c>, 2 LSTM's cell state <c>c</c>.</summary>
internal sealed record RecurrentStateConfig(int Index) : LayerConfig;

/// <summary>
/// <c>LSTM</c>, <c>GRU</c> and <c>SimpleRNN</c> over (steps, features) with Keras's gate order (i, f, c, o; z, r, h),
/// <c>return_sequences</c>, <c>return_state</c> and a call's <c>initial_state</c> (the node's inputs after the
/// sequence); and the <c>RecurrentState</c> views a layer with return_state
/// adds for its last states, which alias what the layer keeps.
/// </summary>
internal sealed class RecurrentRule : LayerRule
{
    public override IReadOnlyList<LayerKind> Kinds { get; } = new[] { LayerKind.LSTM, LayerKind.GRU, LayerKind.SimpleRNN, LayerKind.RecurrentState };

    /// <summary>A recurrent layer skips masked steps, carrying its state over them; its sequence output keeps the
    /// mask, its last state has none (Keras's <c>compute_mask</c>).</summary>
    public override MaskFlow Mask(LayerSpec layer)
        => layer.Config is RecurrentConfig { ReturnSequences: true } ? MaskFlow.Keeps : MaskFlow.Ends;

    public override bool ConsumesMask(LayerSpec layer) => layer.Kind != LayerKind.RecurrentState;

    /// <summary>The sequence's mask; the initial states' are not read.</summary>
    public override int MaskedInputs(LayerSpec layer) => 1;

    public override IEnumerable<(string Function, LayerKind Kind)> Functions => Kinds.Where(k => k != LayerKind.RecurrentState).Select(k => (k.ToString(), k));

    public override LayerConfig? Create(LayerKind kind, LayerArguments args)
    {
        int? units = args.Positive("units");
        bool? sequences = args.Bool("returnSequences");
        bool? useBias = args.Bool("useBias");
        bool? option = kind switch
        {
            LayerKind.LSTM => args.Bool("unitForgetBias"),
            LayerKind.GRU => args.Bool("resetAfter"),
            _ => false,
        };
        bool? state = args.Bool("returnState");
        bool? backwards = args.Bool("goBackwards");
        bool? stateful = args.Bool("stateful");
        double? dropout = args.Number("dropout");
        double? recurrentDropout = args.Number("recurrentDropout");
        if (units is null || sequences is null || useBias is null || option is null || state is null || backwards is null || stateful is null
            || dropout is null || recurrentDropout is null)
        {
            return null;
        }

        // The rates are applied in single precision: they must stay below 1 there too.
        foreach (var (rate, parameter) in new[] { (dropout.Value, "dropout"), (recurrentDropout.Value, "recurrentDropout") })
        {
            if (!(rate >= 0 && (float)rate < 1f))
            {
                args.Report(Diagnostics.DiagnosticIds.InvalidArgument, args.SpanOf(parameter),
                    $"{kind}'s {parameter} must lie in [0, 1), but it is {rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                return null;
            }
        }

        if (stateful.Value)
        {
            args.Report(Diagnostics.DiagnosticIds.InvalidArgument, args.SpanOf("stateful"),
                $"{kind} cannot be stateful: a compiled model keeps no state between calls (each prediction depends on its inputs alone, " +
                "so one model serves several threads). To stream a sequence chunk by chunk, return the states (returnState: true) and pass " +
                "them back as the next chunk's initialState, from Inputs of the model (docs/streaming.md)");
            return null;
        }

        return new RecurrentConfig(units.Value, useBias.Value, sequences.Value, state.Value,
            UnitForgetBias: kind == LayerKind.LSTM && option.Value, ResetAfter: kind == LayerKind.GRU && option.Value, GoBackwards: backwards.Value,
            Dropout: dropout.Value, RecurrentDropout: recurrentDropout.Value);
    }

    /// <summary>With return_state, the last h (and LSTM's c) follow the output.</summary>
    public override int StateOutputs(LayerSpec layer)
        => layer.Config is RecurrentConfig { ReturnState: true } ? (layer.Kind == LayerKind.LSTM ? 2 : 1) : 0;

    public override TensorShape? Infer(ShapeContext c)
    {
        if (c.Layer.Kind == LayerKind.RecurrentState)
        {
            var producer = c.Spec.Layers[c.Spec.Nodes[c.NodeSpec.Inputs[0]].Layer];
            return new TensorShape(new[] { producer.Settings<RecurrentConfig>().Units }.ToEquatableArray(), 0);
        }

        if (!c.IsFloat())
        {
            return null;
        }

        int? features = c.Channels(2, "(None, steps, features)");
        if (features is not int f)
        {
            return null;
        }

        var s = c.Settings<RecurrentConfig>();
        int units = s.Units;
        int gates = Gates(c.Layer.Kind);

        // Keras's initial_state: the inputs after the sequence, [h, c] for an LSTM and [h] otherwise, each (units).
        int given = c.Inputs.Count - 1, expected = StateCount(c.Layer.Kind);
        if (given > 0)
        {
            string form = expected == 2 ? "[h, c]" : "[h]";
            if (given != expected)
            {
                return c.FailAt(given < expected ? 1 : expected + 1,
                    $"{c.What} starts from {form}, {expected} state(s) of shape (None, {units}), but its initialState has {given}");
            }

            for (int i = 1; i <= given; i++)
            {
                if (c.Inputs[i].Dims.Count != 1 || c.Inputs[i].Dims[0] != units)
                {
                    return c.FailAt(i, $"its initial state {(expected == 2 ? (i == 1 ? "h" : "c") : "h")} has shape {c.Inputs[i].Keras}, " +
                                       $"but {c.What} keeps states of shape (None, {units})");
                }
            }
        }

        c.Weight("kernel", WeightInit.GlorotUniform, f, gates * units);
        c.Weight("recurrent_kernel", WeightInit.Orthogonal, units, gates * units);
        if (s.UseBias)
        {
            if (s.ResetAfter)
            {
                c.Weight("bias", WeightInit.Zeros, 2, gates * units); // reset_after: input and recurrent biases
            }
            else
            {
                c.Weight("bias", s.UnitForgetBias ? WeightInit.UnitForgetBias : WeightInit.Zeros, gates * units);
            }
        }

        return c.Shape(s.ReturnSequences ? new[] { c.Input.Dims[0], units } : new[] { units });
    }

    public override bool IsView(LayerSpec layer) => layer.Kind == LayerKind.RecurrentState;

    /// <summary>A returned state is the layer's temporary of its index (1: h, 2: c).</summary>
    public override int? AliasedTemporary(LayerSpec layer) => layer.Kind == LayerKind.RecurrentState ? layer.Settings<RecurrentStateConfig>().Index : null;

    /// <summary>The kernels write the sequence's gradient with one product (overwriteDx), unless dropout across the steps
    /// routes it through the dropped input's gradient first.</summary>
    public override bool OverwritesInputGradient(LayerSpec layer, int input)
        => input == 0 && layer.Config is RecurrentConfig s && layer.Kind != LayerKind.RecurrentState && !(s.Dropout > 0 && !s.GateMasks);

    /// <summary>The per-step cache (temporary 0) is read by backward as values only: no gradient to clear (4.9 MB a step
    /// for the news LSTM at batch 64).</summary>
    public override bool TemporaryHasGradient(LayerSpec layer, int temporary) => temporary != 0;

    /// <summary>The cache backward reads (per step), then with return_state the last h (and LSTM's c).</summary>
    public override int[] Temporaries(PlanContext c)
    {
        if (c.Layer.Kind == LayerKind.RecurrentState)
        {
            return System.Array.Empty<int>(); // a view of the layer's own temporaries
        }

        var s = c.Settings<RecurrentConfig>();
        int steps = c.Input.Dims[0], features = c.Input.Dims[1];
        var sizes = new[] { c.PerRow(c.Dims.Mul(steps, CachePerStep(c.Layer))) }.Concat(Enumerable.Repeat(c.PerRow(s.Units), StateOutputs(c.Layer)));
        if (s.GateMasks)
        {
            // Recurrent dropout: the state masks, one per sample and gate, and with dropout the input masks likewise.
            int gates = Gates(c.Layer.Kind);
            sizes = sizes.Concat(new[] { c.PerRow(gates * s.Units) });
            return (s.Dropout > 0 ? sizes.Concat(new[] { c.PerRow(gates * features) }) : sizes).ToArray();
        }

        // With dropout: the dropped input the kernels read while training, and its mask, one per sample.
        return (s.Dropout > 0 ? sizes.Concat(new[] { c.PerRow(c.Dims.Mul(steps, features)), c.PerRow(features) }) : sizes).ToArray();
    }

    /// <summary>Dropout on the inputs or the state applies while training only.</summary>
    public override bool UsesTrainingFlag(LayerSpec layer) => layer.Config is RecurrentConfig { Dropout: > 0 } or RecurrentConfig { RecurrentDropout: > 0 };

    /// <summary>With recurrent dropout, the kernels' mask arguments (the temporaries after the cache and the states): the
    /// state masks, and with dropout the input masks.</summary>
    private string GateMaskArguments(NodeEmitter e, int features)
    {
        var s = e.Settings<RecurrentConfig>();
        int first = 1 + StateOutputs(e.Layer), gates = Gates(e.Layer.Kind);
        return $", stateMasks: {e.Temporary(first, gates * s.Units)}" + (s.Dropout > 0 ? $", inputMasks: {e.Temporary(first + 1, gates * features)}" : string.Empty);
    }

    /// <summary>The temporaries of the dropped input and its mask, after the cache and the states.</summary>
    private (string Input, string Mask, string InputGradient) Dropped(NodeEmitter e, int steps, int features)
    {
        int first = 1 + StateOutputs(e.Layer);
        int size = e.Dims.Mul(steps, features);
        return (e.Temporary(first, size), e.Temporary(first + 1, features), e.TemporaryGradient(first, size));
    }

    /// <summary>The input projections of every step; with recurrent dropout, room after them for a dropped state (or with
    /// dropout a dropped input sequence), one gate at a time.</summary>
    public override int Scratch(PlanContext c)
    {
        if (c.Layer.Kind == LayerKind.RecurrentState)
        {
            return 0;
        }

        var s = c.Settings<RecurrentConfig>();
        int steps = c.Input.Dims[0], projections = c.Dims.Mul(steps, 4 * s.Units);
        if (!s.GateMasks)
        {
            return projections;
        }

        int dropped = s.Dropout > 0 ? c.Dims.Max(c.Dims.Mul(steps, c.Input.Dims[1]), s.Units) : s.Units;
        return c.Dims.Add(projections, dropped);
    }

    public override void Forward(NodeEmitter e)
    {
        var s = e.Settings<RecurrentConfig>();
        var (steps, features) = Sequence(e);
        string cache = e.Temporary(0, e.Dims.Mul(steps, CachePerStep(e.Layer)));
        string Call(string x, string extra = "") => $"{Kernels}Recurrent.{KernelName(e.Layer.Kind)}Forward({x}, {e.Weight("kernel")}, {e.Weight("recurrent_kernel")}, {e.Weight("bias")}, " +
                                 $"{e.Values(e.Node)}, {States(e, backward: false)}, {cache}, {e.Scratch}, {Tail(e, steps, features)}{InitialState(e, backward: false)}{Masked(e)}{extra});";
        string call = Call(e.Values(e.Input));
        if (s.GateMasks)
        {
            // Keras's recurrent dropout (implementation 1): while training, fresh masks per sample and gate, the same at
            // every step; the kernels multiply each gate's input and state by its own.
            int first = 1 + StateOutputs(e.Layer), gates = Gates(e.Layer.Kind);
            e.Open("if (workspace.TrainingPass)");
            e.Line($"{Kernels}Dropout.DrawMask({e.Temporary(first, gates * s.Units)}[..(batchSize * {N(gates * s.Units)})], {Float(s.RecurrentDropout)}, workspace.NextRandomSeed());");
            if (s.Dropout > 0)
            {
                e.Line($"{Kernels}Dropout.DrawMask({e.Temporary(first + 1, gates * features)}[..(batchSize * {N(gates * features)})], {Float(s.Dropout)}, workspace.NextRandomSeed());");
            }

            e.Line(Call(e.Values(e.Input), GateMaskArguments(e, features)));
            e.Close();
            e.Open("else");
        }
        else if (s.Dropout > 0)
        {
            // Keras's dropout: while training the kernels read the input times one mask per sample, the same at every step.
            var dropped = Dropped(e, steps, features);
            e.Open("if (workspace.TrainingPass)");
            e.Line($"{Kernels}Dropout.AcrossSteps({e.Values(e.Input)}, {dropped.Input}, {dropped.Mask}, batchSize, {e.D(steps)}, {N(features)}, " +
                   $"{Float(s.Dropout)}, workspace.NextRandomSeed());");
            e.Line(Call(dropped.Input));
            e.Close();
            e.Open("else");
        }

        if (e.Fold is not { } fold)
        {
            e.Line(call);
            if (s.Dropout > 0 || s.GateMasks)
            {
                e.Close();
            }

            return;
        }

        // Fed by an Embedding: at inference, once folded, each step's projection is a row of the folded table.
        string table = FoldedTable(fold);
        string bias = e.Layer.Kind == LayerKind.GRU ? $"{e.Weight("bias")}, " : string.Empty; // GRU's recurrent bias row
        e.Open($"if (!{table}.IsEmpty)");
        e.Line($"{Kernels}Recurrent.{KernelName(e.Layer.Kind)}ForwardFolded({e.Values(e.InputsOf(fold.Embedding)[0])}, {table}, {N(fold.Vocabulary)}, " +
               $"{e.Weight("recurrent_kernel")}, {bias}{e.Values(e.Node)}, {States(e, backward: false)}, {cache}, {e.Scratch}, " +
               $"batchSize, {e.D(steps)}, {N(s.Units)}, returnSequences: {Bool(s.ReturnSequences)}" +
               (e.Layer.Kind == LayerKind.GRU ? $", resetAfter: {Bool(s.ResetAfter)}" : string.Empty) + Backwards(s) + InitialState(e, backward: false) + Masked(e) + ");");
        e.Close();
        e.Open("else");
        e.Line(call);
        e.Close();
        if (s.Dropout > 0 || s.GateMasks)
        {
            e.Close();
        }
    }

    public override void Backward(NodeEmitter e)
    {
        var s = e.Settings<RecurrentConfig>();
        var (steps, features) = Sequence(e);
        string cache = e.Temporary(0, e.Dims.Mul(steps, CachePerStep(e.Layer)));
        bool acrossSteps = s.Dropout > 0 && !s.GateMasks;
        var dropped = acrossSteps ? Dropped(e, steps, features) : default;

        // With dropout across the steps, the kernels saw the dropped input: their input gradient is the dropped input's,
        // masked back below. With recurrent dropout the kernels take the masks themselves.
        string x = acrossSteps ? dropped.Input : e.Values(e.Input);
        string dx = acrossSteps && e.NeedsGradient(e.Input) ? dropped.InputGradient : e.GradientOrEmpty(e.Input);
        e.Line($"var dy = {e.Gradient(e.Node)};");
        e.Line($"{Kernels}Recurrent.{KernelName(e.Layer.Kind)}Backward({x}, {e.Weight("kernel")}, {e.Weight("recurrent_kernel")}, {cache}, " +
               $"dy, {States(e, backward: true)}, {dx}, {e.WeightGradientOrEmpty("kernel")}, {e.WeightGradientOrEmpty("recurrent_kernel")}, " +
               $"{e.WeightGradientOrEmpty("bias")}, {e.Scratch}, {Tail(e, steps, features)}{InitialState(e, backward: true)}{Masked(e)}" +
               (s.GateMasks ? GateMaskArguments(e, features) : string.Empty) + (!acrossSteps && e.InputGradientFresh(0) ? ", overwriteDx: true" : string.Empty) + ");");
        if (acrossSteps && e.NeedsGradient(e.Input))
        {
            e.Line($"{Kernels}Dropout.AcrossStepsBackward({dropped.InputGradient}, {dropped.Mask}, {e.Gradient(e.Input)}, batchSize, {e.D(steps)}, {N(features)});");
        }
    }

    public override string WeightPathSuffix => "/cell";

    public override bool IsKerasLayer(LayerKind kind) => kind != LayerKind.RecurrentState;

    public override void Describe(LayerSpec layer, KerasConfig config)
    {
        if (layer.Kind == LayerKind.RecurrentState)
        {
            config.Settings("RecurrentStateSettings").Int("index", layer.Settings<RecurrentStateConfig>().Index);
            return;
        }

        var s = layer.Settings<RecurrentConfig>();
        config.Settings("RecurrentSettings").Int("units", s.Units).Text("activation", "tanh");
        if (layer.Kind != LayerKind.SimpleRNN)
        {
            config.Text("recurrent_activation", "sigmoid");
        }

        config.Bool("use_bias", s.UseBias).Bool("return_sequences", s.ReturnSequences).Bool("return_state", s.ReturnState)
            .Bool("go_backwards", s.GoBackwards);
        if (layer.Kind == LayerKind.LSTM)
        {
            config.Bool("unit_forget_bias", s.UnitForgetBias);
        }
        else if (layer.Kind == LayerKind.GRU)
        {
            config.Bool("reset_after", s.ResetAfter);
        }

        if (s.Dropout > 0)
        {
            config.Number("dropout", s.Dropout); // listed when set, as the runtime's record lists it
        }

        if (s.RecurrentDropout > 0)
        {
            config.Number("recurrent_dropout", s.RecurrentDropout);
        }

        if (s.ZeroOutputForMask)
        {
            config.Bool("zero_output_for_mask", true);
        }
    }

    /// <summary>Floats a recurrent layer keeps per step for backward: LSTM's four gates, c and h; GRU's five vectors; SimpleRNN's h.</summary>
    private static int CachePerStep(LayerSpec layer) => layer.Kind switch { LayerKind.LSTM => 6, LayerKind.GRU => 5, _ => 1 } * layer.Settings<RecurrentConfig>().Units;

    private static int Gates(LayerKind kind) => kind switch { LayerKind.LSTM => 4, LayerKind.GRU => 3, _ => 1 };

    private static string KernelName(LayerKind kind) => kind switch
    {
        LayerKind.LSTM => "Lstm",
        LayerKind.GRU => "Gru",
        _ => "SimpleRnn",
    };

    private static (int Steps, int Features) Sequence(NodeEmitter e)
    {
        var dims = e.ShapeOf(e.Input).Dims;
        return (dims[0], dims[1]);
    }

    private static string Tail(NodeEmitter e, int steps, int features)
    {
        var s = e.Settings<RecurrentConfig>();
        return $"batchSize, {e.D(steps)}, {N(features)}, {N(s.Units)}, returnSequences: {Bool(s.ReturnSequences)}" +
               (e.Layer.Kind == LayerKind.GRU ? $", resetAfter: {Bool(s.ResetAfter)}" : string.Empty) + Backwards(s);
    }

    /// <summary>How many states a layer starts from (Keras's initial_state): LSTM's h and c, the others' h.</summary>
    private static int StateCount(LayerKind kind) => kind == LayerKind.LSTM ? 2 : 1;

    /// <summary>The kernels' initial-state arguments (the node's inputs after the sequence, and backward their
    /// gradients), written only when the call gives them.</summary>
    private static string InitialState(NodeEmitter e, bool backward)
    {
        if (e.Inputs.Count < 2)
        {
            return string.Empty;
        }

        string text = $", initialH: {e.Values(e.Inputs[1])}" + (e.Inputs.Count > 2 ? $", initialC: {e.Values(e.Inputs[2])}" : string.Empty);
        if (backward)
        {
            text += $", dInitialH: {e.GradientOrEmpty(e.Inputs[1])}" + (e.Inputs.Count > 2 ? $", dInitialC: {e.GradientOrEmpty(e.Inputs[2])}" : string.Empty);
        }

        return text;
    }

    /// <summary>The kernels' mask arguments (Keras's mask of the sequence, and zero_output_for_mask), written only when the
    /// sequence is masked.</summary>
    private static string Masked(NodeEmitter e)
        => e.Mask(0) is { } mask ? $", mask: {mask}" + (e.Settings<RecurrentConfig>().ZeroOutputForMask ? ", zeroOutputForMask: true" : string.Empty) : string.Empty;

    /// <summary>The kernels' go_backwards argument, written only when set.</summary>
    private static string Backwards(RecurrentConfig s) => s.GoBackwards ? ", goBackwards: true" : string.Empty;

    /// <summary>The last-state arguments of a recurrent kernel: the regions kept for return_state, or empty.</summary>
    private static string States(NodeEmitter e, bool backward)
    {
        var s = e.Settings<RecurrentConfig>();
        int count = e.Layer.Kind == LayerKind.LSTM ? 2 : 1;
        string empty = backward ? $"{ReadOnlySpan}.Empty" : $"{Span}.Empty";
        return string.Join(", ", Enumerable.Range(1, count).Select(k => !s.ReturnState ? empty
            : backward ? e.TemporaryGradient(k, s.Units) : e.Temporary(k, s.Units)));
    }
}
