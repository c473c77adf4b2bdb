using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>
/// One home per layer kind: every kind of the shared catalogue has exactly one rule, every facet of it is exercised,
/// and a kind without a rule is reported as UNR0017 naming it rather than emitting an empty block.
/// </summary>
public class LayerRuleTests
{
    /// <summary>A small model per kind, each using the kind once (the node named "probe" where it can be named),
    /// after a Dense layer, so that backward must compute the probe's input gradient too.</summary>
    internal static readonly Dictionary<LayerKind, string> Probes = new()
    {
        [LayerKind.Dense] = "var x = Input([4]); var y = Dense(3, Activation.Swish, name: \"probe\")(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.Activation] = "var x = Input([4]); var y = ActivationLayer(Activation.Softmax, name: \"probe\")(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.Concatenate] = "var x = Input([4]); var h = Dense(4)(x); var y = Concatenate(name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.Add] = "var x = Input([4]); var h = Dense(4)(x); var y = Add(name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.Subtract] = "var x = Input([4]); var h = Dense(4)(x); var y = Subtract(name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.Multiply] = "var x = Input([4]); var h = Dense(4)(x); var y = Multiply(name: \"probe\")([h, x, h]); return new Model(x, y);",
        [LayerKind.Average] = "var x = Input([4]); var h = Dense(4)(x); var y = Average(name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.Maximum] = "var x = Input([4]); var h = Dense(4)(x); var y = Maximum(name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.Minimum] = "var x = Input([4]); var h = Dense(4)(x); var y = Minimum(name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.Dot] = "var x = Input([4]); var h = Dense(4)(x); var y = Dot(axes: -1, normalize: true, name: \"probe\")([h, x]); return new Model(x, y);",
        [LayerKind.UnaryOp] = "var x = Input([4]); var y = Lambda(t => Ops.Exp(t))(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.ActivationOp] = "var x = Input([4]); var y = Lambda(t => Ops.Tanh(t))(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.Affine] = "var x = Input([4]); var y = Lambda(t => 1 - t)(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.BinaryOp] = "var x = Input([4]); var h = Dense(4)(x); var y = Lambda(t => t * t)(h); return new Model(x, y);",
        [LayerKind.Reduce] = "var x = Input([4, 2]); var y = Lambda(t => Ops.Mean(t, axis: 1))(Dense(3)(x)); return new Model(x, y);",
        [LayerKind.Fold] = "var x = Input([5, 4]); var y = TimeDistributed(Dense(2))(x); return new Model(x, y);",
        [LayerKind.Unfold] = "var x = Input([5, 4]); var y = TimeDistributed(Dense(2))(x); return new Model(x, y);",
        [LayerKind.Conv1D] = "var x = Input([8, 2]); var y = Conv1D(3, 3, name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.Conv2D] = "var x = Input([6, 6, 2]); var y = Conv2D(3, 3, name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.Conv2DTranspose] = "var x = Input([4, 4, 2]); var y = Conv2DTranspose(3, 3, strides: 2, name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.SeparableConv2D] = "var x = Input([6, 6, 2]); var y = SeparableConv2D(3, 3, name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.MaxPooling1D] = "var x = Input([8, 2]); var y = MaxPooling1D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.MaxPooling2D] = "var x = Input([4, 4, 2]); var y = MaxPooling2D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.AveragePooling1D] = "var x = Input([8, 2]); var y = AveragePooling1D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.AveragePooling2D] = "var x = Input([4, 4, 2]); var y = AveragePooling2D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.GlobalMaxPooling1D] = "var x = Input([8, 2]); var y = GlobalMaxPooling1D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.GlobalMaxPooling2D] = "var x = Input([4, 4, 2]); var y = GlobalMaxPooling2D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.GlobalAveragePooling1D] = "var x = Input([8, 2]); var y = GlobalAveragePooling1D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.GlobalAveragePooling2D] = "var x = Input([4, 4, 2]); var y = GlobalAveragePooling2D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.UpSampling2D] = "var x = Input([4, 4, 2]); var y = UpSampling2D(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.Reshape] = "var x = Input([4]); var y = Reshape([2, 2], name: \"probe\")(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.Flatten] = "var x = Input([2, 2]); var y = Flatten(name: \"probe\")(Dense(2)(x)); return new Model(x, y);",
        [LayerKind.Embedding] = "var x = Input([5], DType.Int32); var y = Dense(2)(Embedding(10, 3, name: \"probe\")(x)); return new Model(x, y);",
        [LayerKind.LSTM] = "var x = Input([5, 3]); var y = LSTM(4, name: \"probe\")(Dense(3)(x)); return new Model(x, y);",
        [LayerKind.GRU] = "var x = Input([5, 3]); var y = GRU(4, name: \"probe\")(Dense(3)(x)); return new Model(x, y);",
        [LayerKind.SimpleRNN] = "var x = Input([5, 3]); var y = SimpleRNN(4, name: \"probe\")(Dense(3)(x)); return new Model(x, y);",
        [LayerKind.RecurrentState] = "var x = Input([5, 3]); var (o, h, c) = LSTM(4, returnState: true, name: \"probe\")(Dense(3)(x)); return new Model(x, [o, h, c]);",
        [LayerKind.Dropout] = "var x = Input([4]); var y = Dropout(0.5, name: \"probe\")(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.BatchNormalization] = "var x = Input([4]); var y = BatchNormalization(name: \"probe\")(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.LayerNormalization] = "var x = Input([3, 4]); var y = LayerNormalization(axis: [1, 2], name: \"probe\")(Dense(4)(x)); return new Model(x, y);",
        [LayerKind.PositionEmbedding] = "var x = Input([5, 3]); var h = Dense(3)(x); var y = Add([h, PositionEmbedding(8, name: \"probe\")(h)]); return new Model(x, y);",
        [LayerKind.Softmax] = "var x = Input([5, 3]); var y = Softmax(axis: 1, name: \"probe\")(Dense(3)(x)); return new Model(x, y);",
        [LayerKind.MatMul] = "var x = Input([5, 3]); var y = Lambda((Tensor[] t) => Ops.MatMul(t[0], t[1]), name: \"probe\")([Dense(3)(x), Reshape([3, 5])(x)]); return new Model(x, y);",
        [LayerKind.Permute] = "var x = Input([5, 3]); var y = Permute([2, 1], name: \"probe\")(Dense(3)(x)); return new Model(x, y);",
        [LayerKind.EinsumDense] = "var x = Input([5, 3]); var y = EinsumDense(\"abc,cde->abde\", [null, 2, 4], biasAxes: \"de\", name: \"probe\")(x); return new Model(x, y);",
        [LayerKind.AdditiveAttention] = "var x = Input([5, 3]); var y = AdditiveAttention(name: \"probe\")([Dense(3)(x), Dense(3)(x)]); return new Model(x, y);",
        [LayerKind.Flip] = "var x = Input([5, 3]); var y = Bidirectional(LSTM(2, returnSequences: true), name: \"probe\")(x); return new Model(x, y);",
        [LayerKind.Masking] = "var x = Input([5, 3]); var y = Dense(2)(Masking(0.5, name: \"probe\")(Dense(3)(x))); return new Model(x, y);",
        [LayerKind.Mask] = "var x = Input([5], dtype: DType.Int32); var e = Embedding(9, 3, maskZero: true, name: \"probe\")(x); var y = Add()([e, Dense(3)(Masking()(e))]); return new Model(x, y);",
        [LayerKind.AttentionScores] = "var x = Input([5, 3]); var (o, s) = MultiHeadAttention(2, 4, name: \"probe\")(x, x, returnAttentionScores: true); return new Model(x, [o, s]);",
        [LayerKind.MultiHeadAttention] = "var x = Input([5, 3]); var y = MultiHeadAttention(2, 4, name: \"probe\")(x, Dense(3)(x), useCausalMask: true); return new Model(x, y);",
        [LayerKind.Attention] = "var x = Input([5, 3]); var y = Attention(useScale: true, name: \"probe\")([Dense(3)(x), Dense(3)(x)]); return new Model(x, y);",
        [LayerKind.InputLayer] = "var x = Input([4]); var y = Dense(2)(x); return new Model(x, y);",
    };

    [Fact]
    public void Every_kind_of_the_catalogue_has_exactly_one_rule_or_is_a_group()
    {
        var missing = new List<string>();
        foreach (LayerKind kind in Enum.GetValues(typeof(LayerKind)))
        {
            if (LayerRules.IsGroup(kind))
            {
                Assert.Null(LayerRules.TryOf(kind));
                continue;
            }

            if (LayerRules.TryOf(kind) is not { } rule)
            {
                missing.Add(kind.ToString());
                continue;
            }

            Assert.Contains(kind, rule.Kinds);
            Assert.Single(LayerRules.All, r => r.Kinds.Contains(kind));
        }

        Assert.True(missing.Count == 0, "no rule for " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_builder_function_of_the_runtime_is_served_by_a_rule_and_every_rule_s_function_exists()
    {
        var functions = typeof(global::Unrolled.Layers).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(global::Unrolled.Layer) || m.ReturnType == typeof(global::Unrolled.MergeLayer) || m.ReturnType == typeof(global::Unrolled.AttentionLayer)
                        || m.ReturnType == typeof(global::Unrolled.SequenceAttentionLayer)
                        || m.GetParameters().FirstOrDefault()?.Name == "inputs")
            .Select(m => m.Name)
            .Where(n => n is not ("Lambda" or "TimeDistributed" or "Bidirectional")) // groups, built by the evaluator itself
            .ToHashSet();
        foreach (string function in functions)
        {
            Assert.True(LayerRules.TryFunction(function, out _, out _), $"Layers.{function} has no rule: the generator would call it unsupported");
        }

        foreach (var rule in LayerRules.All)
        {
            foreach (var (function, kind) in rule.Functions)
            {
                Assert.True(functions.Contains(function), $"{rule.GetType().Name} serves Layers.{function}, which the runtime does not declare");
                Assert.Contains(kind, rule.Kinds);
            }
        }
    }

    [Fact]
    public void Every_kind_has_a_probe_model()
    {
        var kinds = Enum.GetValues(typeof(LayerKind)).Cast<LayerKind>().Where(k => !LayerRules.IsGroup(k));
        var missing = kinds.Where(k => !Probes.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "no probe model for " + string.Join(", ", missing));
    }

    public static IEnumerable<object[]> ProbeKinds => Probes.Keys.Select(k => new object[] { k.ToString() });

    /// <summary>Each kind's facets, through a real model: it compiles, its rule's description reads back, and every
    /// node of the kind that computes something has forward and backward statements (never an empty block).</summary>
    [Theory]
    [MemberData(nameof(ProbeKinds))]
    public void Every_facet_of_a_kind_runs_and_its_code_is_never_an_empty_block(string kindName)
    {
        var kind = (LayerKind)Enum.Parse(typeof(LayerKind), kindName);
        string code = Generated.Code(Sources.Builder(Probes[kind]));
        var rule = LayerRules.Of(kind);

        // The graph row carries the kind and its settings as Keras names them.
        Assert.Contains($"global::Unrolled.GraphNodeKind.{kind},", code);
        Assert.False(string.IsNullOrEmpty(rule.KerasClass(kind)));

        // The node's code: the comment line the emitter writes before each block, then the block's statements.
        // The forward pass's body is the overload that takes the inputs where Predict holds them, when the model has one.
        string forward = Section(code, code.Contains("private void Forward(") ? "private void Forward(" : "protected override void Forward(");
        string backward = Section(code, "protected override void Backward(");
        // Reshape and Flatten are views too, but the probes make them outputs, which get a copy of their own.
        bool view = kind is LayerKind.Fold or LayerKind.Unfold or LayerKind.RecurrentState or LayerKind.AttentionScores;
        if (kind == LayerKind.Mask)
        {
            // A mask is computed forward and carries no gradient, so it has no backward block.
            Assert.NotEmpty(Blocks(forward, kind));
            Assert.Empty(Blocks(backward, kind));
            return;
        }

        if (view || kind == LayerKind.InputLayer)
        {
            Assert.DoesNotContain($"({kind}):", forward); // a view aliases its input; an input is read where Predict holds it
            return;
        }

        foreach (var section in new[] { forward, backward })
        {
            var blocks = Blocks(section, kind).ToList();
            Assert.NotEmpty(blocks);
            Assert.All(blocks, b => Assert.True(b.Any(l => l.Contains(";")), $"an empty block for {kind}:\n{string.Join("\n", b)}"));
        }
    }

    [Theory]
    [MemberData(nameof(ProbeKinds))]
    public void The_runtime_builds_each_kind_s_node_with_the_settings_record_the_rule_names_and_exports_it(string kindName)
    {
        var kind = (LayerKind)Enum.Parse(typeof(LayerKind), kindName);
        var (_, output) = TestCompiler.Generate(TestCompiler.Compile(Sources.Builder(Probes[kind])));
        using var image = new System.IO.MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, TestCompiler.Describe(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        // Loaded and constructed, every GraphNode checks that its record describes its kind (a wrong record throws).
        var context = new System.Runtime.Loader.AssemblyLoadContext("probe-" + kindName, isCollectible: true);
        try
        {
            image.Position = 0;
            var type = context.LoadFromStream(image).GetType("M", throwOnError: true)!;
            var constructor = type.GetConstructors().OrderBy(c => c.GetParameters().Length).First();
            var model = (CompiledModel)constructor.Invoke(constructor.GetParameters().Select(p => p.HasDefaultValue ? p.DefaultValue : null).ToArray());
            var nodes = model.Description.Graph!.Nodes.Where(n => (int)n.Kind == (int)kind).ToList();
            Assert.NotEmpty(nodes);

            // The record lists its keys once each, and prints as its Keras config.
            foreach (var node in nodes)
            {
                bool hasSettings = node.Settings is not null;
                Assert.True(hasSettings == node.Config.Count > 0, $"{node.Name}: settings {node.Settings} but config [{string.Join(", ", node.Config)}]");
                if (hasSettings)
                {
                    Assert.True(node.Settings!.Describes(node.Kind));
                    Assert.Equal(node.Settings.ToString(), string.Join(", ", node.Config));
                    Assert.Equal(node.Config.Select(c => c.Name).Distinct().Count(), node.Config.Count);
                }
            }

            // Every kind has an ONNX form, found through its record (or, for the kinds without settings, the exporter).
            using var onnx = new System.IO.MemoryStream();
            model.ExportOnnx(onnx);
            Assert.True(onnx.Length > 0);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void A_kind_without_a_rule_is_reported_as_UNR0017_naming_it()
    {
        var compilation = TestCompiler.Compile(TestModels.Mlp);
        LayerRules.MissingForTests.Value = LayerKind.Dense;
        System.Collections.Immutable.ImmutableArray<Diagnostic> diagnostics;
        GeneratorDriverRunResult result;
        try
        {
            result = TestCompiler.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out diagnostics).GetRunResult();
        }
        finally
        {
            LayerRules.MissingForTests.Value = null;
        }

        Assert.Null(result.Results.Single().Exception);
        Assert.Contains("was not generated: UNR0017", Assert.Single(result.GeneratedTrees).ToString()); // the surface only
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("UNR0017", diagnostic.Id);
        Assert.Contains("no layer rule serves the kind 'Dense'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Throws<MissingLayerRuleException>(() => LayerRules.Of((LayerKind)1000));
    }

    /// <summary>The text of a generated method, from its signature to the next method's documentation.</summary>
    private static string Section(string code, string signature)
    {
        int start = code.IndexOf(signature, StringComparison.Ordinal);
        Assert.True(start >= 0, "no " + signature);
        int end = code.IndexOf("/// <", start, StringComparison.Ordinal);
        return end < 0 ? code.Substring(start) : code.Substring(start, end - start);
    }

    /// <summary>The lines of each node block of a kind: after its "// name (Kind): …" comment, up to the next comment
    /// or the end of the method.</summary>
    private static IEnumerable<List<string>> Blocks(string section, LayerKind kind)
    {
        var lines = section.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("// ", StringComparison.Ordinal) && lines[i].Contains($"({kind}):"))
            {
                var block = new List<string>();
                for (int j = i + 1; j < lines.Length && !lines[j].TrimStart().StartsWith("// ", StringComparison.Ordinal); j++)
                {
                    block.Add(lines[j]);
                }

                yield return block;
            }
        }
    }
}
