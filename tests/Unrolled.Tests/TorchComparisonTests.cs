using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Tests;

/// <summary>
/// Forward outputs against PyTorch on the same weights (tests/torch/reference.py, run with /usr/bin/python3 or
/// UNROLLED_PYTHON): Dense, LayerNormalization, Conv2D (direct and by Winograd), Conv2DTranspose, LSTM and GRU must agree
/// within 1e-4 relative.
/// Without PyTorch the tests are reported as skipped with the reason; CI installs python3-torch and sets
/// UNROLLED_REQUIRE_TORCH=1, so there a missing PyTorch fails them instead (see <see cref="Peer"/>).
/// </summary>
public class TorchComparisonTests
{
    private readonly ITestOutputHelper _output;

    public TorchComparisonTests(ITestOutputHelper output) => _output = output;

    private static string Script => RepositoryFiles.Find("tests/torch/reference.py");

    /// <summary>One layer for the script: its type, options and weights (by Keras name, with shapes).</summary>
    private static Dictionary<string, object> Layer(CompiledModel model, string layer, string type, Dictionary<string, object>? options = null)
    {
        var entry = new Dictionary<string, object>(options ?? new()) { ["type"] = type };
        foreach (var weight in model.Description.Weights.Where(w => w.Layer == layer))
        {
            entry[weight.Name] = model.GetReadOnlyWeights(layer, weight.Name).ToArray(); // read-only: Winograd stays on
            entry[weight.Name + "_shape"] = weight.Shape.ToArray();
        }

        return entry;
    }

    private void Compare(CompiledModel model, int batch, params Dictionary<string, object>[] layers) => Compare(model, batch, scaled: false, layers);

    /// <summary>Runs the model and PyTorch on the same input and weights. Each output within 1e-4 of PyTorch's, relative
    /// (with a floor of 1e-3 of the largest output), or, when <paramref name="scaled"/>, within 1e-5 of the largest output:
    /// Winograd's 4×4 tiles round by up to a few 1e-6 of the outputs' magnitude whatever each output is.</summary>
    private void Compare(CompiledModel model, int batch, bool scaled, params Dictionary<string, object>[] layers)
        => Compare(model, batch, scaled, output: 0, layers);

    /// <summary>As above, for the model's output number <paramref name="output"/>.</summary>
    private void Compare(CompiledModel model, int batch, bool scaled, int output, params Dictionary<string, object>[] layers)
    {
        var random = new Random(11);
        float[] x = Enumerable.Range(0, batch * model.Description.Inputs[0].Size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        Compare(model, batch, x, scaled, output, layers);
    }

    /// <summary>As above, on the input <paramref name="x"/>.</summary>
    private void Compare(CompiledModel model, int batch, float[] x, bool scaled, int output, params Dictionary<string, object>[] layers)
    {
        PyTorch.Require();
        var input = model.Description.Inputs[0];
        float[] y = model.Predict([x], batch)[output];
        string file = Path.Combine(Path.GetTempPath(), $"unrolled-torch-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["input"] = x,
            ["input_shape"] = new[] { batch }.Concat(input.Shape).ToArray(),
            ["layers"] = layers,
            ["output"] = y,
        }));
        try
        {
            var (code, printed, error) = ExternalProcess.Run(Peer.Python, $"\"{Script}\" \"{file}\"");
            Assert.True(code == 0, error);
            _output.WriteLine(printed);
            using var result = JsonDocument.Parse(printed);
            var outputShape = model.Description.Outputs[output].Shape;
            Assert.Equal(new[] { batch }.Concat(outputShape), result.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            if (scaled)
            {
                double difference = result.RootElement.GetProperty("max_scaled_error").GetDouble();
                Assert.True(difference < 1e-5, $"largest difference from PyTorch, relative to the largest output: {difference:G3}");
            }
            else
            {
                double difference = result.RootElement.GetProperty("max_relative_error").GetDouble();
                Assert.True(difference < 1e-4, $"largest relative difference from PyTorch: {difference:G3}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Dictionary<string, object> Options(params (string Key, object Value)[] options) => options.ToDictionary(o => o.Key, o => o.Value);

    /// <summary>Every bias drawn in [−0.5, 0.5): not zero, so a bias on the wrong axis would show.</summary>
    private static void RandomBiases(CompiledModel model, int seed)
    {
        var random = new Random(seed);
        foreach (var weight in model.Description.Weights.Where(w => w.Name == "bias"))
        {
            foreach (ref float b in model.GetWeights(weight.Layer, weight.Name))
            {
                b = (float)(random.NextDouble() - 0.5);
            }
        }
    }

    [SkippableFact]
    public void Dense_matches_PyTorch()
    {
        var model = new TorchDense(seed: 1);
        Compare(model, 4,
            Layer(model, "dense", "dense", Options(("activation", "tanh"))),
            Layer(model, "dense_1", "dense", Options(("activation", "linear"))));
    }

    [SkippableFact]
    public void Conv2D_matches_PyTorch()
    {
        var model = new TorchConv(seed: 2);
        Compare(model, 3,
            Layer(model, "conv2d", "conv2d", Options(("activation", "relu"), ("strides", new[] { 2, 2 }), ("dilation", new[] { 1, 1 }), ("padding", "same"))),
            Layer(model, "conv2d_1", "conv2d", Options(("activation", "linear"), ("strides", new[] { 1, 1 }), ("dilation", new[] { 1, 1 }), ("padding", "valid"))));
    }

    [SkippableFact]
    public void Conv2D_by_Winograd_matches_PyTorch()
    {
        // Both convolutions are 3×3 and stride 1 from 32 channels, and their outputs (7 × 9, 5 × 7) are large enough for
        // Winograd's F(4×4, 3×3).
        var model = new TorchWinograd(seed: 7);
        Compare(model, 3, scaled: true,
            Layer(model, "conv2d", "conv2d", Options(("activation", "relu"), ("strides", new[] { 1, 1 }), ("dilation", new[] { 1, 1 }), ("padding", "same"))),
            Layer(model, "conv2d_1", "conv2d", Options(("activation", "linear"), ("strides", new[] { 1, 1 }), ("dilation", new[] { 1, 1 }), ("padding", "valid"))));
        Assert.Equal(2, model.CurrentWinogradKernels);
    }

    [SkippableFact]
    public void Attention_written_with_Dot_matches_PyTorch()
    {
        // Dot(axes: [2, 2]) of queries and keys, softmax, Dot(axes: [2, 1]) with the values; PyTorch 1.13 has no
        // scaled_dot_product_attention, so the reference is torch.bmm on the same Dense weights.
        var model = new TorchAttentionByHand(seed: 9);
        Compare(model, 3, new Dictionary<string, object>
        {
            ["type"] = "attention_by_hand",
            ["scale"] = 0.5,
            ["query"] = Layer(model, "query", "dense"),
            ["key"] = Layer(model, "key", "dense"),
            ["value"] = Layer(model, "value", "dense"),
        });
    }

    [SkippableFact]
    public void Attention_layer_matches_PyTorch()
    {
        var model = new TorchAttentionLayer(seed: 11);
        model.GetWeights("attention", "scale")[0] = 0.6f; // not the initial 1, so a missing scale would show
        Compare(model, 3, AttentionLayer(model, causal: false));
    }

    /// <summary>Keras's use_causal_mask on Attention: PyTorch's scores with the later keys filled with −∞.</summary>
    [SkippableFact]
    public void Causal_Attention_layer_matches_PyTorch()
    {
        var model = new TorchCausalAttentionLayer(seed: 12);
        model.GetWeights("attention", "scale")[0] = 0.8f;
        Compare(model, 3, AttentionLayer(model, causal: true));
    }

    private static Dictionary<string, object> AttentionLayer(CompiledModel model, bool causal) => new()
    {
        ["type"] = "attention_layer",
        ["causal"] = causal,
        ["query"] = Layer(model, "query", "dense"),
        ["key"] = Layer(model, "key", "dense"),
        ["value"] = Layer(model, "value", "dense"),
        ["attention"] = Layer(model, "attention", "attention"),
    };

    [SkippableFact]
    public void Multi_head_attention_by_hand_matches_PyTorchs_multi_head_attention()
    {
        var model = new TorchMultiHead(seed: 10);
        Compare(model, 3, new Dictionary<string, object>
        {
            ["type"] = "multi_head_by_hand",
            ["heads"] = 2,
            ["query"] = Layer(model, "query", "dense"),
            ["key"] = Layer(model, "key", "dense"),
            ["value"] = Layer(model, "value", "dense"),
        });
    }

    [SkippableFact]
    public void EinsumDense_matches_PyTorchs_einsum()
    {
        var model = new TorchEinsumDense(seed: 16);
        RandomBiases(model, 16);

        Compare(model, 3,
            Layer(model, "heads", "einsum_dense", Options(("equation", "abc,cde->abde"), ("activation", "tanh"))),
            Layer(model, "merge", "einsum_dense", Options(("equation", "abcd,cde->abe"), ("activation", "linear"))));
    }

    [SkippableFact]
    public void AdditiveAttention_matches_PyTorch()
    {
        var model = new TorchAdditiveAttention(seed: 15);
        Compare(model, 3, new Dictionary<string, object>
        {
            ["type"] = "additive_attention",
            ["query"] = Layer(model, "query", "dense"),
            ["value"] = Layer(model, "value", "dense"),
            ["attention"] = Layer(model, "attention", "attention"),
        });
    }

    [SkippableFact]
    public void MultiHeadAttention_with_and_without_the_causal_mask_matches_PyTorchs_multi_head_attention()
    {
        var model = new TorchMultiHeadAttention(seed: 12);
        var random = new Random(12);
        foreach (var weight in model.Description.Weights.Where(w => w.Name.EndsWith("/bias", StringComparison.Ordinal)))
        {
            // The biases start at zero; give them values so that a bias in the wrong place would show.
            foreach (ref float b in model.GetWeights(weight.Layer, weight.Name))
            {
                b = (float)(random.NextDouble() - 0.5);
            }
        }

        Compare(model, 3,
            Layer(model, "causal", "multi_head_attention", Options(("heads", 2), ("causal", true))),
            Layer(model, "plain", "multi_head_attention", Options(("heads", 3), ("causal", false))));
    }

    /// <summary>torch.einsum of Keras's equation with the kernel in Keras's shape and the bias broadcast as Keras's: the
    /// kernel [out, in], a reordered output with a bias over a kept axis, and the trailing ellipsis.</summary>
    [SkippableFact]
    public void EinsumDense_in_other_forms_matches_PyTorchs_einsum()
    {
        var model = new TorchEinsumGeneral(seed: 17);
        RandomBiases(model, 17);

        Compare(model, 3,
            Layer(model, "transposed_kernel", "einsum_dense", Options(("equation", "abc,dc->abd"), ("activation", "linear"))),
            Layer(model, "new_first", "einsum_dense", Options(("equation", "abc,cd->adb"), ("activation", "tanh"))),
            Layer(model, "trailing", "einsum_dense", Options(("equation", "ab...,bc->ac..."), ("activation", "linear"))));
    }

    [SkippableFact]
    public void Conv2DTranspose_matches_PyTorch()
    {
        var model = new TorchConvTranspose(seed: 3);
        Compare(model, 2,
            Layer(model, "conv2d_transpose", "conv2d_transpose", Options(("activation", "tanh"), ("strides", new[] { 2, 2 }), ("padding", "same"))),
            Layer(model, "conv2d_transpose_1", "conv2d_transpose", Options(("activation", "linear"), ("strides", new[] { 1, 1 }), ("padding", "valid"))));
    }

    [SkippableFact]
    public void LSTM_matches_PyTorch()
    {
        var model = new TorchLstm(seed: 4);
        Compare(model, 3,
            Layer(model, "lstm", "lstm", Options(("units", 4), ("return_sequences", true))),
            Layer(model, "lstm_1", "lstm", Options(("units", 2), ("return_sequences", false))));
    }

    [SkippableFact]
    public void LSTM_and_GRU_going_backwards_match_PyTorch()
    {
        // PyTorch's modules on the sequence flipped along time, which is what Keras's go_backwards computes.
        var model = new TorchBackwards(seed: 6);
        Compare(model, 3,
            Layer(model, "lstm", "lstm", Options(("units", 4), ("return_sequences", true), ("go_backwards", true))),
            Layer(model, "gru", "gru", Options(("units", 2), ("return_sequences", false), ("go_backwards", true))));
    }

    [SkippableFact]
    public void Bidirectional_LSTM_and_GRU_match_PyTorchs_bidirectional_modules()
    {
        var model = new TorchBidirectional(seed: 14);
        Compare(model, 3,
            new Dictionary<string, object>
            {
                ["type"] = "bidirectional",
                ["cell"] = "lstm",
                ["forward"] = Layer(model, "forward_lstm", "lstm", Options(("units", 4), ("return_sequences", true))),
                ["backward"] = Layer(model, "backward_lstm", "lstm", Options(("units", 4), ("return_sequences", true))),
            },
            new Dictionary<string, object>
            {
                ["type"] = "bidirectional",
                ["cell"] = "gru",
                ["forward"] = Layer(model, "forward_gru", "gru", Options(("units", 3), ("return_sequences", false))),
                ["backward"] = Layer(model, "backward_gru", "gru", Options(("units", 3), ("return_sequences", false))),
            });
    }

    /// <summary>
    /// Masked recurrence against PyTorch's own: Keras's mask over a sequence padded at the end (Masking of all-zero steps)
    /// through Bidirectional LSTM (sequences) and GRU (last states) is PyTorch's bidirectional modules on
    /// pack_padded_sequence with each sample's length, padded back with zeros.
    /// </summary>
    [SkippableFact]
    public void Masked_bidirectional_LSTM_and_GRU_match_PyTorchs_packed_sequences()
    {
        var model = new TorchMaskedBidirectional(seed: 15);
        int[] lengths = [6, 3, 1, 4];
        const int steps = 6, features = 3;
        var random = new Random(12);
        float[] x = new float[lengths.Length * steps * features];
        for (int i = 0; i < x.Length; i++)
        {
            int sample = i / (steps * features), step = i / features % steps;
            x[i] = step < lengths[sample] ? (float)((random.NextDouble() * 2) - 1) : 0f; // the padding Masking(0) masks
        }

        Dictionary<string, object> Packed(string cell, string forward, string backward, int units, bool sequences) => new()
        {
            ["type"] = "packed_bidirectional",
            ["cell"] = cell,
            ["lengths"] = lengths,
            ["forward"] = Layer(model, forward, cell, Options(("units", units), ("return_sequences", sequences))),
            ["backward"] = Layer(model, backward, cell, Options(("units", units), ("return_sequences", sequences))),
        };

        Compare(model, lengths.Length, x, scaled: false, output: 0, Packed("lstm", "forward_lstm", "backward_lstm", 4, sequences: true),
            Packed("gru", "forward_gru", "backward_gru", 3, sequences: false));
    }

    [SkippableFact]
    public void Decoders_started_from_an_encoders_states_match_PyTorch()
    {
        // Keras's initial_state is PyTorch's (h0, c0): the encoder's returned states start the decoder.
        var model = new TorchEncoderDecoder(seed: 13);
        Compare(model, 3, scaled: false, output: 0, new Dictionary<string, object>
        {
            ["type"] = "encoder_decoder",
            ["cell"] = "lstm",
            ["encoder"] = Layer(model, "encoder", "lstm", Options(("units", 4), ("return_sequences", false))),
            ["decoder"] = Layer(model, "decoder", "lstm", Options(("units", 4), ("return_sequences", true))),
        });
        Compare(model, 3, scaled: false, output: 1, new Dictionary<string, object>
        {
            ["type"] = "encoder_decoder",
            ["cell"] = "gru",
            ["encoder"] = Layer(model, "gru_encoder", "gru", Options(("units", 5), ("return_sequences", false))),
            ["decoder"] = Layer(model, "gru_decoder", "gru", Options(("units", 5), ("return_sequences", true))),
        });
    }

    [SkippableFact]
    public void GRU_matches_PyTorch()
    {
        var model = new TorchGru(seed: 5);
        Compare(model, 3,
            Layer(model, "gru", "gru", Options(("units", 4), ("return_sequences", true))),
            Layer(model, "gru_1", "gru", Options(("units", 2), ("return_sequences", false))));
    }

    /// <summary>torch.nn.functional.layer_norm over the last axis and the last two (gamma and beta of shape (5, 6)), and
    /// Keras's rms_scaling written out with torch.var (PyTorch has no such layer).</summary>
    [SkippableFact]
    public void LayerNormalization_matches_PyTorch()
    {
        var model = new TorchLayerNorm(seed: 6);
        var random = new Random(6);
        foreach (var weight in model.Description.Weights)
        {
            // Not the initial ones and zeros, which would hide a swapped gamma and beta.
            var values = model.GetWeights(weight.Layer, weight.Name);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextDouble() + 0.5);
            }
        }

        Compare(model, 3,
            Layer(model, "layer_normalization", "layer_norm", Options(("normalized_shape", new[] { 6 }), ("epsilon", 0.001), ("rms", false))),
            Layer(model, "layer_normalization_1", "layer_norm", Options(("normalized_shape", new[] { 5, 6 }), ("epsilon", 1e-5), ("rms", false))),
            Layer(model, "layer_normalization_2", "layer_norm", Options(("normalized_shape", new[] { 6 }), ("epsilon", 0.001), ("rms", true))));
    }
}
