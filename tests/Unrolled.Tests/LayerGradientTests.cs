using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>
/// Every layer's generated backward pass against central finite differences of the loss computed from Predict, on
/// small shapes that cover strides, both paddings, dilation, depth multipliers and sequences of several lengths.
/// </summary>
public class LayerGradientTests
{
    /// <summary>Mean squared error over all outputs of a model, each against its own random target.</summary>
    private static void Check(CompiledModel model, float[][] inputs, int batch, int[]? lengths = null, int seed = 50)
    {
        var outputs = model.Predict(inputs, batch, lengths);
        var targets = outputs.Select((o, j) => Random(o.Length, seed + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch, lengths).Select((o, j) => MeanSquaredError(o, targets[j])).Sum();

        var analytic = AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0, lengths: lengths); return 0f; });
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }

    [Fact]
    public void Conv2D_same_and_strided_non_square_windows_with_max_pooling() => Check(new SmallConvNet(seed: 1), [Random(3 * 6 * 7 * 2, 1)], 3);

    [Fact]
    public void Dilated_Conv2D_with_strided_average_pooling() => Check(new DilatedConvNet(seed: 2), [Random(2 * 9 * 9 * 2, 2)], 2);

    [Fact]
    public void Conv2DTranspose_with_both_paddings_and_UpSampling2D() => Check(new Upsampler(seed: 3), [Random(2 * 8, 3)], 2);

    [Fact]
    public void SeparableConv2D_with_a_depth_multiplier() => Check(new Separable(seed: 4), [Random(2 * 5 * 5 * 3, 4)], 2);

    [Fact]
    public void Conv1D_dilated_and_strided_with_1D_pooling() => Check(new Sequence1D(seed: 5), [Random(3 * 12 * 3, 5)], 3);

    [Fact]
    public void Embedding_LSTM_GRU_both_ways_and_SimpleRNN()
    {
        float[] words = Enumerable.Range(0, 3 * 5).Select(i => (float)(i * 7 % 10)).ToArray();
        Check(new Recurrents(seed: 6), [words], 3);
    }

    [Fact]
    public void Attention_layer_with_the_value_as_key_and_with_a_learned_scale()
    {
        // The scale starts at 1; move it so its gradient is checked away from the identity.
        var model = new AttentionLayers(seed: 21);
        model.GetWeights("attention_1", "scale")[0] = 0.7f;
        Check(model, [Random(3 * 5 * 4, 21), Random(3 * 6 * 4, 22)], 3);
    }

    [Fact]
    public void Bidirectional_with_every_merge_mode_states_and_a_given_backward_layer()
        => Check(new BidirectionalLayers(seed: 30), [Random(3 * 5 * 3, 30)], 3);

    [Fact]
    public void Bidirectional_over_a_run_time_length()
        => Check(new BidirectionalRunTimeLengths(seed: 31), [Random(2 * 6 * 3, 31)], 2, lengths: [6]);

    [Fact]
    public void Decoders_started_from_encoders_states_of_every_kind()
        => Check(new EncoderDecoders(seed: 26), [Random(3 * 5 * 3, 26), Random(3 * 4 * 2, 27)], 3);

    [Fact]
    public void Encoder_and_decoder_over_run_time_lengths()
        => Check(new EncoderDecoderRunTimeLengths(seed: 28), [Random(2 * 6 * 3, 28), Random(2 * 3 * 2, 29)], 2, lengths: [6, 3]);

    [Fact]
    public void MultiHeadAttention_causal_shared_and_cross_with_a_key_and_no_biases()
        => Check(new MultiHeadAttentionLayers(seed: 23), [Random(3 * 5 * 4, 23), Random(3 * 6 * 3, 24)], 3);

    [Fact]
    public void MultiHeadAttention_in_a_transformer_block_over_a_run_time_length()
        => Check(new TransformerBlockOverRunTimeLengths(seed: 25), [Random(2 * 7 * 4, 25)], 2, lengths: [7]);

    [Fact]
    public void MatMul_broadcasting_its_leading_axes()
        => Check(new BroadcastMatMuls(seed: 35), [Random(3 * 2 * 4 * 3, 35), Random(3 * 3 * 5, 36), Random(3 * 4 * 3, 37)], 3);

    [Fact]
    public void EinsumDense_in_each_dense_form_with_biases_over_suffixes()
        => Check(new EinsumDenseLayers(seed: 34), [Random(3 * 5 * 4, 34)], 3);

    [Fact]
    public void EinsumDense_with_reordered_axes_ellipses_and_broadcast_biases()
        => Check(new EinsumGeneralLayers(seed: 35), [Random(3 * 5 * 4, 35)], 3);

    [Fact]
    public void AdditiveAttention_with_a_scale_per_feature_and_without_one()
        => Check(new AdditiveAttentionLayers(seed: 32), [Random(3 * 5 * 4, 32), Random(3 * 6 * 4, 33)], 3);

    [Fact]
    public void Multi_head_attention_by_hand_with_MatMul_Transpose_and_Permute() => Check(new MultiHeadByHand(seed: 20), [Random(3 * 4 * 6, 20)], 3);

    [Fact]
    public void Softmax_along_every_kind_of_axis_and_inside_a_Lambda() => Check(new EverySoftmax(seed: 19), [Random(3 * 4 * 3, 19)], 3);

    [Fact]
    public void Attention_by_hand_over_sequences_of_a_run_time_length()
        => Check(new AttentionOverRunTimeLengths(seed: 18), [Random(2 * 5 * 4, 18)], 2, lengths: [5]);

    [Fact]
    public void PositionEmbedding_with_tokens_and_over_a_leading_axis()
    {
        float[] words = Enumerable.Range(0, 3 * 5).Select(i => (float)(i * 7 % 11)).ToArray();
        Check(new PositionEmbeddings(seed: 16), [words, Random(3 * 2 * 3 * 4, 16)], 3);
    }

    [Fact]
    public void PositionEmbedding_over_sequences_of_a_run_time_length() => Check(new PositionEmbeddingSequences(seed: 17), [Random(2 * 4 * 3, 17)], 2, lengths: [4]);

    [Fact]
    public void Conv1D_and_LSTM_inside_TimeDistributed() => Check(new TimeDistributedLayers(seed: 10), [Random(2 * 3 * 6 * 2, 10)], 2);

    [Fact]
    public void LayerNormalization_over_the_last_axis() => Check(new LayerNormLast(seed: 12), [Random(3 * 6, 12)], 3);

    [Fact]
    public void LayerNormalization_over_two_axes_an_inner_axis_without_beta_or_gamma_and_with_rms_scaling()
        => Check(new LayerNormForms(seed: 13), [Random(2 * 5 * 8, 13)], 2);

    [Fact]
    public void LayerNormalization_over_sequences_of_a_run_time_length() => Check(new LayerNormSequences(seed: 14), [Random(2 * 4 * 3 * 2, 14)], 2, lengths: [4]);

    [Fact]
    public void LayerNormalization_inside_TimeDistributed() => Check(new LayerNormTimeDistributed(seed: 15), [Random(2 * 3 * 4 * 5, 15)], 2);

    [Fact]
    public void A_tensor_and_its_views_as_outputs_each_bring_their_loss() => Check(new ViewOutputs(seed: 11), [Random(3 * 6, 11)], 3);

    [Fact]
    public void A_transposed_convolution_whose_kernel_is_smaller_than_its_stride_has_keras_s_size()
    {
        // Keras: n · s + max(k − s, 0) = 6 · 3 + 0 per axis; the last row of each step gets the bias only.
        var model = new Upsampler(seed: 3);
        Assert.Equal([36, 36, 1], model.Description.Outputs[1].Shape);
    }

    [Fact]
    public void A_sequence_shorter_than_a_valid_window_is_an_error()
    {
        var model = new ShortSequences(seed: 1);
        Assert.Equal(2, model.Predict(Random(5 * 3, 1), 5).Length);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(Random(4 * 3, 1), 4));
        Assert.Contains("a window of 5", error.Message);
        Assert.Contains("at least 5 positions, but the length there is 4", error.Message);
    }

    [Fact]
    public void Returned_states_of_LSTM_and_GRU()
    {
        var model = new ReturnedStates(seed: 9);
        // Keras lists the three results in the output column, cut to the column's width.
        string summary = model.Summary();
        Assert.Contains("lstm (LSTM)                     [(None, 5, 4), (None 128 ", summary);
        Assert.Contains("gru (GRU)                       [(None, 3), (None, 3 81 ", summary); // 3(4·3 + 3·3) + 2·9
        Assert.Contains("lstm[0][2]", summary);
        Check(model, [Random(3 * 5 * 3, 9)], 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void An_LSTM_over_a_run_time_length(int length)
    {
        float[] title = Enumerable.Range(0, 2 * length).Select(i => (float)(i * 3 % 20)).ToArray();
        Check(new TextBranch(seed: 7), [title], 2, [length]);
    }

    [Fact]
    public void Conv1D_and_pooling_over_a_run_time_length()
    {
        const int length = 11;
        float[] posts = Enumerable.Range(0, 2 * length).Select(i => (float)(i * 11 % 30)).ToArray();
        Check(new PostsSmall(seed: 8), [posts], 2, [length]);
    }
}
