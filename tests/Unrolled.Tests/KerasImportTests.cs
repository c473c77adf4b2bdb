using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Weight files laid out as Keras 3 and Keras 2 write them (tests/keras/make_keras_files.py, with h5py), loaded into the
/// same models: every weight must land where the script put it, and the predictions must equal the script's numpy
/// forward pass on those weights.
/// </summary>
public class KerasImportTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "keras");

    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement;

    public static IEnumerable<object[]> Files() => Expected.EnumerateObject().Select(p => new object[] { p.Name });

    private static CompiledModel Create(string model) => model switch
    {
        "keras_mlp" => new KerasMlp(seed: 7),
        "keras_branch" => new KerasBranch(seed: 7),
        "keras_conv" => new KerasConv(seed: 7),
        "keras_recurrent" => new KerasRecurrent(seed: 7),
        "keras_norm" => new KerasNorm(seed: 7),
        "keras_nested" => new KerasNested(seed: 7),
        "keras_deep" => new KerasDeep(seed: 7),
        "keras_layer_norm" => new KerasLayerNorm(seed: 7),
        "keras_position" => new KerasPosition(seed: 8),
        "keras_attention" => new KerasAttention(seed: 9),
        "keras_mha" => new KerasMultiHeadAttention(seed: 10),
        "keras_bidirectional" => new KerasBidirectional(seed: 11),
        "keras_additive" => new KerasAdditiveAttention(seed: 12),
        "keras_einsum" => new KerasEinsumDense(seed: 13),
        _ => throw new ArgumentException(model),
    };

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    [Theory]
    [InlineData("mlp.weights.h5")]
    [InlineData("mlp_latest.weights.h5")]
    [InlineData("mlp_keras2.h5")]
    [InlineData("mlp_keras2.weights.h5")]
    [InlineData("mlp.keras")]
    public void A_base_model_nested_in_a_larger_one_takes_the_file_saved_from_it_alone(string fileName)
    {
        var model = new KerasMlpUnderHead(seed: 3);
        float[] head = model.GetReadOnlyWeights("head", "kernel").ToArray();
        string path = Path.Combine(Folder, fileName);

        // The whole model does not fit a file of its base, and nothing changes.
        float[] initial = model.ReadOnlyWeights.ToArray();
        Assert.Throws<KerasWeightsMismatchException>(() => model.LoadKerasWeights(path));
        Assert.Equal(initial, model.ReadOnlyWeights.ToArray());

        var report = model.GetLayer("keras_mlp").LoadKerasWeights(path);
        foreach (var weight in Expected.GetProperty(fileName).GetProperty("weights").EnumerateObject())
        {
            string[] parts = weight.Name.Split('/', 2);
            Assert.Equal(Floats(weight.Value.GetProperty("values")), model.GetReadOnlyWeights(parts[0], parts[1]).ToArray());
        }

        Assert.Equal(head, model.GetReadOnlyWeights("head", "kernel").ToArray());
        Assert.Equal(4, report.Weights.Count);
        Assert.Throws<ArgumentException>(() => model.GetLayer("head").GetLayer("x"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_weight_lands_where_the_file_keeps_it(string fileName)
    {
        var expected = Expected.GetProperty(fileName);
        var model = Create(expected.GetProperty("model").GetString()!);
        var report = model.LoadKerasWeights(Path.Combine(Folder, fileName));

        int count = 0;
        foreach (var weight in expected.GetProperty("weights").EnumerateObject())
        {
            string[] parts = weight.Name.Split('/', 2); // layer, then the weight (a sublayer's: query/kernel)
            float[] values = Floats(weight.Value.GetProperty("values"));
            Assert.Equal(values, model.GetWeights(parts[0], parts[1]).ToArray());
            var info = model.Description.Weights.Single(w => w.Layer == parts[0] && w.Name == parts[1]);
            Assert.Equal(weight.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), info.Shape);
            // Where Keras 3 keeps it: the generator's path, and where a Keras 3 file's value came from.
            Assert.Equal(weight.Value.GetProperty("path").GetString(), info.KerasPath);
            if (report.Format != KerasFileFormat.Keras2Hdf5)
            {
                Assert.Equal(info.KerasPath, report.Sources[model.Description.Weights.ToList().IndexOf(info)]);
            }

            count++;
        }

        Assert.Equal(model.Description.Weights.Count, count);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Predictions_after_import_equal_numpy_on_the_same_weights(string fileName)
    {
        var expected = Expected.GetProperty(fileName);
        var model = Create(expected.GetProperty("model").GetString()!);
        model.LoadKerasWeights(Path.Combine(Folder, fileName));
        float[] input = Floats(expected.GetProperty("input"));
        float[] reference = Floats(expected.GetProperty("output"));
        float[] output = model switch
        {
            KerasMlp m => m.Predict(input),
            KerasBranch m => m.Predict(input),
            KerasConv m => m.Predict(input),
            KerasRecurrent m => m.Predict(input),
            KerasNorm m => m.Predict(input),
            KerasNested m => m.Predict(input),
            KerasDeep m => m.Predict(input),
            KerasLayerNorm m => m.Predict(input),
            KerasPosition m => m.Predict(input),
            KerasAttention m => m.Predict(input),
            KerasMultiHeadAttention m => m.Predict(input),
            KerasBidirectional m => m.Predict(input),
            KerasAdditiveAttention m => m.Predict(input),
            KerasEinsumDense m => m.Predict(input),
            _ => throw new InvalidOperationException(),
        };

        Assert.Equal(reference.Length, output.Length);
        for (int i = 0; i < output.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - reference[i]) <= 1e-5 * Math.Max(1, Math.Abs(reference[i])),
                $"{fileName} output {i}: {output[i]} vs numpy {reference[i]}");
        }
    }

    [Fact]
    public void A_file_without_layer_names_is_read_by_Keras_positions_not_by_creation_order()
    {
        var model = new KerasBranch(seed: 1);
        var report = model.LoadKerasWeights(Path.Combine(Folder, "branch.weights.h5"));
        Assert.Equal(KerasLayerMatching.ByPosition, report.Matching);
        Assert.Equal(KerasFileFormat.Keras3Weights, report.Format);
        // Created a, b, c, out; Keras's model.layers is b, a, c, out (depth from the output).
        Assert.Equal("layers/dense/vars/0", model.Description.Weights.Single(w => w.Layer == "b" && w.Name == "kernel").KerasPath);
        Assert.Equal("layers/dense_1/vars/0", model.Description.Weights.Single(w => w.Layer == "a" && w.Name == "kernel").KerasPath);
        Assert.Equal("layers/dense_3/vars/1", model.Description.Weights.Single(w => w.Layer == "out" && w.Name == "bias").KerasPath);
        Assert.Equal([2, 3, 0, 1, 4, 5, 6, 7], model.Description.Weights.Select(w => w.KerasIndex));
    }

    [Fact]
    public void Named_files_are_matched_by_name_and_report_the_Keras_version()
    {
        var report = new KerasMlp(seed: 1).LoadKerasWeights(Path.Combine(Folder, "mlp.keras"));
        Assert.Equal(KerasLayerMatching.ByName, report.Matching);
        Assert.Equal(KerasFileFormat.Keras3Archive, report.Format);
        Assert.Equal("3.6.0", report.KerasVersion);
        var keras2 = new KerasMlp(seed: 1).LoadKerasWeights(Path.Combine(Folder, "mlp_keras2.h5"));
        Assert.Equal(KerasFileFormat.Keras2Hdf5, keras2.Format);
        Assert.Equal("2.15.0", keras2.KerasVersion);
        Assert.Equal("/model_weights/dense_1/dense_1/kernel:0", keras2.Sources[2]);
    }

    [Theory]
    [InlineData("mlp_keras2.h5")]
    [InlineData("mlp.weights.h5")]
    [InlineData("mlp.keras")]
    public void Other_layer_names_fall_back_to_positions_as_Keras_load_weights_does(string fileName)
    {
        var model = new KerasMlpRenamed(seed: 1);
        var report = model.LoadKerasWeights(Path.Combine(Folder, fileName));
        Assert.Equal(KerasLayerMatching.ByPosition, report.Matching);
        Assert.Equal(Floats(Expected.GetProperty(fileName).GetProperty("weights").GetProperty("dense_1/bias").GetProperty("values")),
            model.GetWeights("probs", "bias").ToArray());

        var error = Assert.Throws<KerasWeightsMismatchException>(() => new KerasMlpRenamed(seed: 1)
            .LoadKerasWeights(Path.Combine(Folder, fileName), KerasLayerMatching.ByName));
        Assert.Contains("'hidden'", error.Message);
        Assert.Contains("'probs'", error.Message);
    }

    [Theory]
    [InlineData("mlp.weights.h5", "layers/dense/vars/0")]
    [InlineData("mlp.keras", "layers/dense/vars/0")]
    [InlineData("mlp_keras2.h5", "/model_weights/dense/dense/kernel:0")]
    [InlineData("mlp_latest.weights.h5", "layers/dense/vars/0")]
    public void A_shape_mismatch_names_the_layer_the_weight_and_both_shapes_and_loads_nothing(string fileName, string source)
    {
        var model = new KerasMlpWide(seed: 3);
        float[] before = model.Weights.ToArray();
        var error = Assert.Throws<KerasWeightsMismatchException>(() => model.LoadKerasWeights(Path.Combine(Folder, fileName)));
        Assert.Contains("Weight 'dense/kernel' has shape [4, 6] in the model but [4, 5] in the file (" + source + ")", error.Message);
        Assert.Contains("Weight 'dense/bias' has shape [6] in the model but [5] in the file", error.Message);
        Assert.Contains("Weight 'dense_1/kernel' has shape [6, 3] in the model but [5, 3] in the file", error.Message);
        Assert.Equal(3, error.Problems.Count);
        Assert.Equal(before, model.Weights.ToArray());
    }

    [Fact]
    public void Layers_missing_on_either_side_are_listed()
    {
        var model = new KerasMlp(seed: 3);
        float[] before = model.Weights.ToArray();
        var error = Assert.Throws<KerasWeightsMismatchException>(() => model.LoadKerasWeights(Path.Combine(Folder, "nested.keras")));
        Assert.Contains("no weights for these layers of the model: 'dense', 'dense_1'", error.Message);
        Assert.Contains("weights for layers the model does not have: 'head' (layers/dense/vars), 'enc' (layers/functional/layers/dense/vars)", error.Message);
        Assert.Equal(before, model.Weights.ToArray());

        var keras2 = Assert.Throws<KerasWeightsMismatchException>(() => model.LoadKerasWeights(Path.Combine(Folder, "branch_keras2.h5")));
        Assert.Contains("The model has 2 layers with weights but the file has 4.", keras2.Message);
        Assert.Contains("weights for layers the model does not have: 'c' (/c), 'out' (/out)", keras2.Message);
    }

    [Fact]
    public void A_nested_model_keeps_its_path_and_Keras_2_group()
    {
        var model = new KerasNested(seed: 1);
        var enc = model.Description.Weights.Single(w => w.Layer == "enc" && w.Name == "kernel");
        Assert.Equal("layers/functional/layers/dense/vars/0", enc.KerasPath);
        Assert.Equal("encoder", enc.KerasLayer);
        var report = model.LoadKerasWeights(Path.Combine(Folder, "nested_keras2.h5"), KerasLayerMatching.ByPosition);
        Assert.Equal("/encoder/enc/kernel:0", report.Sources[0]);
    }

    [Fact]
    public void Not_a_Keras_file_is_invalid_data()
    {
        var model = new KerasMlp(seed: 1);
        var error = Assert.Throws<InvalidDataException>(() => model.LoadKerasWeights(new MemoryStream("not weights"u8.ToArray())));
        Assert.Contains("neither a .keras archive", error.Message);
    }
}

/// <summary>The Keras paths the generator gives wrapped and nested layers (saving_lib's attribute paths).</summary>
public class KerasPathTests
{
    [Fact]
    public void TimeDistributed_layers_and_models_keep_their_weights_under_the_wrappers_layer_attribute()
    {
        var model = new TimeSteps(seed: 1);
        string PathOf(int rows, int columns) => model.Description.Weights
            .Single(w => w.Name == "kernel" && w.Shape.SequenceEqual(new[] { rows, columns })).KerasPath!;

        Assert.Equal("layers/time_distributed/layer/vars/0", PathOf(4, 3));                    // TimeDistributed(Dense)
        Assert.Equal("layers/time_distributed_1/layer/layers/dense/vars/0", PathOf(3, 3));     // TimeDistributed(step model)
        Assert.Equal("layers/time_distributed_1/layer/layers/dense_1/vars/0", PathOf(3, 2));
        Assert.Equal("layers/dense/vars/0", PathOf(2, 1));                                     // after a Keras op, not a layer
        Assert.Equal("time_distributed_1", model.Description.Weights.Single(w => w.Name == "kernel" && w.Shape[1] == 2).KerasLayer);
    }

    [Fact]
    public void Recurrent_layers_keep_their_weights_in_their_cell()
    {
        var model = new KerasRecurrent(seed: 1);
        Assert.Equal(["layers/embedding/vars/0", "layers/lstm/cell/vars/0", "layers/lstm/cell/vars/1", "layers/lstm/cell/vars/2",
            "layers/gru/cell/vars/0", "layers/gru/cell/vars/1", "layers/gru/cell/vars/2", "layers/dense/vars/0", "layers/dense/vars/1"],
            model.Description.Weights.Select(w => w.KerasPath));
        Assert.Equal([2, 9], model.Description.Weights.Single(w => w.Layer == "gru" && w.Name == "bias").Shape); // reset_after
    }
}
