using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// SaveWeights / LoadWeights on hand-written models: the format against an independent Python reader and writer
/// (WeightsFiles/unrw.py), bit-exact round trips, matching by name, and every kind of mismatch.
/// </summary>
public class WeightsFileTests
{
    internal static readonly Loss[] Losses = ["categorical_crossentropy", "binary_crossentropy"];

    internal static TwoInputModel Trained(Optimizer optimizer, int steps = 3, int seed = 1)
    {
        var data = SyntheticData.Create(16, seed: 2);
        var model = new TwoInputModel(seed: seed);
        model.Compile(optimizer, Losses);
        for (int i = 0; i < steps; i++)
        {
            model.TrainOnBatch(data.A, data.B, data.Class, data.Flag, 16);
        }

        return model;
    }

    [Fact]
    public void Loads_the_golden_file_that_the_python_writer_made()
    {
        var model = new TwoInputModel();
        model.Compile(new Adam(), Losses);
        model.LoadWeights(WeightsFiles.DataFile("two_input_adam.unrw"));

        float[] weights = model.Weights.ToArray();
        Assert.Equal(24, weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            Assert.Equal((i - 12) / 8f, weights[i]);
        }

        Optimizer adam = model.Optimizer!;
        Assert.Equal(7, adam.Iterations);
        Assert.Equal(0.0025f, adam.LearningRate);
        var buffers = adam.StateBuffers;
        Assert.Equal(["momentum", "velocity"], buffers.Select(b => b.Name));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => i / 64f), buffers[0].Values);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => i / 128f), buffers[1].Values);

        // The training random state (only visible in a file) survives a save: the Python reader sees the golden value.
        JsonElement again = WeightsFiles.PythonDump(WeightsFiles.Save(model, includeOptimizer: true));
        Assert.Equal("81985529216486895", again.GetProperty("optimizer").GetProperty("random_state").GetString());
    }

    public static TheoryData<string> OptimizerNames => new() { "sgd", "rmsprop", "adam" };

    internal static Optimizer Make(string name) => name switch
    {
        "sgd" => new SGD(0.05f, momentum: 0.9f, nesterov: true),
        "rmsprop" => new RMSprop(0.01f, rho: 0.8f, momentum: 0.5f, centered: true),
        _ => new Adam(0.01f, beta1: 0.85f, amsgrad: true),
    };

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void The_python_reader_reads_what_CSharp_writes(string optimizerName)
    {
        var model = Trained(Make(optimizerName));
        model.Optimizer!.LearningRate = 0.0123f;
        JsonElement dump = WeightsFiles.PythonDump(WeightsFiles.Save(model, includeOptimizer: true));

        Assert.Equal(1, dump.GetProperty("version").GetInt32());
        Assert.StartsWith("Unrolled ", dump.GetProperty("producer").GetString());
        Assert.Equal("two_input", dump.GetProperty("model").GetString());
        var tensors = dump.GetProperty("tensors").EnumerateArray().ToArray();
        Assert.Equal(model.Description.Weights.Count, tensors.Length);
        for (int i = 0; i < tensors.Length; i++)
        {
            WeightInfo weight = model.Description.Weights[i];
            Assert.Equal(weight.Layer, tensors[i].GetProperty("layer").GetString());
            Assert.Equal(weight.Name, tensors[i].GetProperty("name").GetString());
            Assert.Equal(weight.Shape, tensors[i].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(weight.Trainable, tensors[i].GetProperty("trainable").GetBoolean());
            Assert.Equal(model.GetWeights(weight.Layer, weight.Name).ToArray().Select(BitConverter.SingleToUInt32Bits),
                tensors[i].GetProperty("bits").EnumerateArray().Select(e => e.GetUInt32()));
        }

        Optimizer optimizer = model.Optimizer!;
        JsonElement saved = dump.GetProperty("optimizer");
        Assert.Equal(optimizer.Name, saved.GetProperty("name").GetString());
        Assert.Equal(3, saved.GetProperty("iterations").GetInt64());
        Assert.Equal(BitConverter.SingleToUInt32Bits(0.0123f), saved.GetProperty("learning_rate_bits").GetUInt32());
        var hyperparameters = saved.GetProperty("hyperparameters").EnumerateObject().ToArray();
        Assert.Equal(optimizer.Hyperparameters.Select(p => p.Name), hyperparameters.Select(p => p.Name));
        Assert.Equal(optimizer.Hyperparameters.Select(p => p.Value), hyperparameters.Select(p => p.Value.GetDouble()));
        var buffers = saved.GetProperty("buffers").EnumerateObject().ToArray();
        Assert.Equal(optimizer.StateBuffers.Select(b => b.Name), buffers.Select(b => b.Name));
        for (int b = 0; b < buffers.Length; b++)
        {
            float[] live = optimizer.StateBuffers[b].Values;
            Assert.Contains(live, v => v != 0); // training filled it, so the comparison means something
            Assert.Equal(live.Select(BitConverter.SingleToUInt32Bits), buffers[b].Value.EnumerateArray().Select(e => e.GetUInt32()));
        }
    }

    [Fact]
    public void A_weights_only_file_has_no_optimizer_section()
    {
        var model = Trained(new Adam());
        JsonElement dump = WeightsFiles.PythonDump(WeightsFiles.Save(model));
        Assert.False(dump.TryGetProperty("optimizer", out _));
    }

    [Fact]
    public void Round_trip_is_bit_exact_for_every_float_including_nan_payloads()
    {
        var model = new TwoInputModel(seed: 1);
        uint[] special = [0x7FC01234, 0xFF800001, 0x7F800001, 0x80000000, 0x00000001, 0x807FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000];
        var random = new Random(3);
        Span<float> weights = model.Weights;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = BitConverter.UInt32BitsToSingle(i < special.Length ? special[i] : (uint)random.NextInt64(0, 1L << 32));
        }

        string expected = WeightsFiles.Bits(model.Weights.ToArray());
        string path = Path.Combine(Path.GetTempPath(), $"unrolled-roundtrip-{Guid.NewGuid():N}.unrw");
        try
        {
            model.SaveWeights(path);
            var fromFile = new TwoInputModel(seed: 9);
            Assert.NotEqual(expected, WeightsFiles.Bits(fromFile.Weights.ToArray()));
            fromFile.LoadWeights(path);
            Assert.Equal(expected, WeightsFiles.Bits(fromFile.Weights.ToArray()));

            var fromStream = new TwoInputModel(seed: 10);
            fromStream.LoadWeights(new MemoryStream(File.ReadAllBytes(path)));
            Assert.Equal(expected, WeightsFiles.Bits(fromStream.Weights.ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Streams_need_not_seek_and_are_left_just_after_the_file()
    {
        var first = Trained(new SGD(0.1f), seed: 1);
        var second = Trained(new SGD(0.1f), seed: 2);
        var buffer = new MemoryStream();
        first.SaveWeights(new ForwardOnlyStream(buffer));
        second.SaveWeights(new ForwardOnlyStream(buffer), includeOptimizer: true);
        buffer.WriteByte(0x42);

        buffer.Position = 0;
        var input = new ForwardOnlyStream(buffer);
        var a = new TwoInputModel(seed: 7);
        a.LoadWeights(input);
        var b = new TwoInputModel(seed: 8);
        b.LoadWeights(input); // not compiled: the default loads the weights and leaves the optimizer state
        Assert.Equal(first.Weights.ToArray(), a.Weights.ToArray());
        Assert.Equal(second.Weights.ToArray(), b.Weights.ToArray());
        Assert.Equal(0x42, buffer.ReadByte());
    }

    [Fact]
    public void Tensors_are_matched_by_name_whatever_their_order()
    {
        var saved = new StubModel("m", ("dense", "kernel", [3, 2]), ("dense", "bias", [2]), ("out", "kernel", [2, 1]));
        var reordered = new StubModel("m", ("out", "kernel", [2, 1]), ("dense", "bias", [2]), ("dense", "kernel", [3, 2]));
        reordered.Weights.Clear();
        reordered.LoadWeights(new MemoryStream(WeightsFiles.Save(saved)));
        foreach (var (layer, name) in new[] { ("dense", "kernel"), ("dense", "bias"), ("out", "kernel") })
        {
            Assert.Equal(saved.GetWeights(layer, name).ToArray(), reordered.GetWeights(layer, name).ToArray());
        }
    }

    private static WeightsFileException LoadFails(CompiledModel model, byte[] file, WeightsFileError error, bool? includeOptimizer = null)
    {
        string before = WeightsFiles.State(model);
        var ex = Assert.Throws<WeightsFileException>(() => model.LoadWeights(new MemoryStream(file), includeOptimizer));
        Assert.Equal(error, ex.Error);
        Assert.Equal(before, WeightsFiles.State(model));
        return ex;
    }

    private static StubModel Mnist(int classes, bool withOutputBias = true, bool withExtra = false)
    {
        var tensors = new[] { ("dense", "kernel", new[] { 784, 64 }), ("dense", "bias", new[] { 64 }), ("dense_1", "kernel", new[] { 64, classes }) }.ToList();
        if (withOutputBias)
        {
            tensors.Add(("dense_1", "bias", [classes]));
        }

        if (withExtra)
        {
            tensors.Add(("dense_2", "kernel", [classes, 1]));
        }

        return new StubModel("mnist_model", tensors.ToArray());
    }

    [Fact]
    public void A_shape_mismatch_names_the_tensor_and_both_shapes()
    {
        var ex = LoadFails(Mnist(12), WeightsFiles.Save(Mnist(10)), WeightsFileError.ModelMismatch);
        Assert.Contains("dense_1/kernel has shape [64, 10] in the file but [64, 12] in model 'mnist_model'", ex.Message);
        Assert.Contains("dense_1/bias has shape [10] in the file but [12] in model 'mnist_model'", ex.Message);
        Assert.StartsWith("The weights stream was saved from model 'mnist_model' and does not fit model 'mnist_model': ", ex.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        var ex = LoadFails(Mnist(10, withExtra: true), WeightsFiles.Save(Mnist(10)), WeightsFileError.ModelMismatch);
        Assert.Contains("dense_2/kernel [10, 1] of model 'mnist_model' is not in the file", ex.Message);
    }

    [Fact]
    public void An_extra_tensor_is_named()
    {
        var ex = LoadFails(Mnist(10, withOutputBias: false), WeightsFiles.Save(Mnist(10)), WeightsFileError.ModelMismatch);
        Assert.Contains("the file has dense_1/bias [10], which model 'mnist_model' does not have", ex.Message);
    }

    [Fact]
    public void Another_model_is_refused_with_a_list_of_differences()
    {
        var ex = LoadFails(new LineModel(), WeightsFiles.Save(Trained(new SGD())), WeightsFileError.ModelMismatch);
        Assert.Contains("was saved from model 'two_input' and does not fit model 'line'", ex.Message);
        Assert.Contains("dense/kernel [2, 1] of model 'line' is not in the file", ex.Message);
        Assert.Contains("the file has class/kernel [5, 3], which model 'line' does not have", ex.Message);

        var many = new StubModel("many", Enumerable.Range(0, 12).Select(i => ($"dense_{i}", "kernel", new[] { 2 })).ToArray());
        var manyEx = LoadFails(new LineModel(), WeightsFiles.Save(many), WeightsFileError.ModelMismatch);
        Assert.Contains("; and 6 more.", manyEx.Message);
    }

    [Fact]
    public void A_newer_format_version_asks_for_a_newer_Unrolled()
    {
        byte[] file = WeightsFiles.Save(Trained(new SGD()));
        file[8] = 2;
        var ex = LoadFails(new TwoInputModel(), file, WeightsFileError.NewerVersion);
        Assert.Equal("The weights stream was written by a newer Unrolled: it is in format version 2, and this Unrolled reads " +
            "versions up to 1. Update the Unrolled package to load it.", ex.Message);

        file[8] = 0;
        Assert.Contains("format version is 0", LoadFails(new TwoInputModel(), file, WeightsFileError.Corrupt).Message);
    }

    [Fact]
    public void Other_formats_are_recognised_and_named()
    {
        var model = new TwoInputModel();
        Assert.Contains("starts with 68656C6C6F20776F; a weights file starts with 89554E52570D0A1A",
            LoadFails(model, "hello world, not weights"u8.ToArray(), WeightsFileError.NotAWeightsFile).Message);
        Assert.Contains("HDF5 file, as Keras's .h5 and .weights.h5",
            LoadFails(model, [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0], WeightsFileError.NotAWeightsFile).Message);
        Assert.Contains("ZIP archive, as a Keras .keras file",
            LoadFails(model, [0x50, 0x4B, 0x03, 0x04, 20, 0], WeightsFileError.NotAWeightsFile).Message);
        Assert.Equal("The weights stream is empty.", LoadFails(model, [], WeightsFileError.Truncated).Message);
    }

    [Fact]
    public void Unknown_flags_and_reserved_bits_are_corruption()
    {
        byte[] file = WeightsFiles.Save(Trained(new SGD()));
        var flagged = (byte[])file.Clone();
        flagged[12] |= 2;
        Assert.Contains("flags are 0x00000002", LoadFails(new TwoInputModel(), flagged, WeightsFileError.Corrupt).Message);
        var reserved = (byte[])file.Clone();
        reserved[30] = 1;
        Assert.Contains("reserved field", LoadFails(new TwoInputModel(), reserved, WeightsFileError.Corrupt).Message);
    }

    [Fact]
    public void A_damaged_header_or_data_is_reported_by_its_checksum()
    {
        byte[] file = WeightsFiles.Save(Trained(new SGD()));
        var header = (byte[])file.Clone();
        header[40] ^= 0x10;
        Assert.Contains("the checksum of its header does not match", LoadFails(new TwoInputModel(), header, WeightsFileError.Corrupt).Message);
        var data = (byte[])file.Clone();
        data[^10] ^= 0x10;
        Assert.Contains("the checksum of its data does not match", LoadFails(new TwoInputModel(), data, WeightsFileError.Corrupt).Message);
    }

    [Fact]
    public void A_file_with_bytes_after_its_end_is_corrupt_but_a_stream_may_go_on()
    {
        var source = Trained(new SGD());
        byte[] file = WeightsFiles.Save(source);
        string path = Path.Combine(Path.GetTempPath(), $"unrolled-trailing-{Guid.NewGuid():N}.unrw");
        File.WriteAllBytes(path, [.. file, 0]);
        try
        {
            var model = new TwoInputModel(seed: 4);
            string before = WeightsFiles.State(model);
            var ex = Assert.Throws<WeightsFileException>(() => model.LoadWeights(path));
            Assert.Equal(WeightsFileError.Corrupt, ex.Error);
            Assert.StartsWith($"Weights file '{path}' is corrupt: it holds 1 bytes after the end its preamble records", ex.Message);
            Assert.Equal(before, WeightsFiles.State(model));
            model.LoadWeights(new MemoryStream([.. file, 0]));
            Assert.Equal(source.Weights.ToArray(), model.Weights.ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<FileNotFoundException>(() => new TwoInputModel().LoadWeights(path));
    }

    [Fact]
    public void Optimizer_state_of_another_type_is_refused_and_nothing_changes()
    {
        byte[] file = WeightsFiles.Save(Trained(new Adam()), includeOptimizer: true);
        var model = Trained(new SGD(0.1f, momentum: 0.9f), seed: 3);
        var ex = LoadFails(model, file, WeightsFileError.OptimizerMismatch);
        Assert.Contains("holds the state of a Adam optimizer, but model 'two_input' is compiled with SGD", ex.Message);
        Assert.Contains("Compile the model with Adam(beta_1: 0.9, beta_2: 0.999, epsilon: 1E-07, amsgrad: false)", ex.Message);

        // Loading only the weights is allowed and leaves the optimizer alone.
        string optimizerBefore = WeightsFiles.State(model).Split('\n', 2)[1];
        model.LoadWeights(new MemoryStream(file), includeOptimizer: false);
        Assert.Equal(optimizerBefore, WeightsFiles.State(model).Split('\n', 2)[1]);
    }

    [Fact]
    public void Optimizer_state_with_other_hyper_parameters_is_refused()
    {
        byte[] file = WeightsFiles.Save(Trained(new Adam(beta1: 0.9f)), includeOptimizer: true);
        var ex = LoadFails(Trained(new Adam(beta1: 0.8f, amsgrad: true)), file, WeightsFileError.OptimizerMismatch);
        Assert.Contains("beta_1 is 0.9 in the file but 0.8 in the model's optimizer", ex.Message);
        Assert.Contains("amsgrad is false in the file but true in the model's optimizer", ex.Message);

        byte[] plain = WeightsFiles.Save(Trained(new SGD()), includeOptimizer: true);
        var momentum = LoadFails(Trained(new SGD(momentum: 0.5f)), plain, WeightsFileError.OptimizerMismatch);
        Assert.Contains("momentum is 0 in the file but 0.5 in the model's optimizer", momentum.Message);
    }

    [Fact]
    public void IncludeOptimizer_says_what_must_be_restored()
    {
        byte[] withState = WeightsFiles.Save(Trained(new RMSprop()), includeOptimizer: true);
        byte[] weightsOnly = WeightsFiles.Save(Trained(new RMSprop()));

        var uncompiled = new TwoInputModel(seed: 5);
        string before = WeightsFiles.State(uncompiled);
        var notCompiled = Assert.Throws<InvalidOperationException>(() => uncompiled.LoadWeights(new MemoryStream(withState), includeOptimizer: true));
        Assert.Contains("holds the state of a RMSprop optimizer, but this TwoInputModel is not compiled", notCompiled.Message);
        Assert.Equal(before, WeightsFiles.State(uncompiled));
        uncompiled.LoadWeights(new MemoryStream(withState)); // the default: weights only when not compiled

        var compiled = Trained(new RMSprop(), seed: 6);
        var missing = LoadFails(compiled, weightsOnly, WeightsFileError.OptimizerMismatch, includeOptimizer: true);
        Assert.Contains("holds no optimizer state (it was saved without includeOptimizer: true)", missing.Message);

        var saveEx = Assert.Throws<InvalidOperationException>(() => new TwoInputModel().SaveWeights(new MemoryStream(), includeOptimizer: true));
        Assert.Contains("is not compiled, so it has no optimizer state to save", saveEx.Message);
    }

    [Fact]
    public void A_model_whose_tensors_do_not_tile_its_weights_cannot_be_saved_by_name()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new UndescribedModel().SaveWeights(new MemoryStream()));
        Assert.Contains("describes weight tensors holding 2 of its 3 parameters", ex.Message);
    }

    private sealed class UndescribedModel()
        : CompiledModel(new ModelDescription("undescribed", [new TensorInfo("x", [1], DType.Float32, 0)],
            [new TensorInfo("y", [1], DType.Float32, 1)], 3, 2, 0, "undescribed", [new WeightInfo("dense", "kernel", [2], 0)]), 1)
    {
        protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer)
        {
        }

        protected override void Forward(Workspace workspace, int batchSize, bool training)
        {
        }

        protected override void Backward(Workspace workspace, int batchSize)
        {
        }
    }
}
