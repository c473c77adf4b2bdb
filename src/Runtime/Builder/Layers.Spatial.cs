using System.Linq;
using System.Collections.Generic;
using Unrolled.Onnx;

namespace Unrolled;

public static partial class Layers
{
    /// <summary>
    /// A 1-D convolution over (None, steps, channels), as Keras's <c>Conv1D</c>: kernel
    /// [kernelSize, channels, filters] (glorot-uniform), bias [filters] (zeros).
    /// </summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The window length.</param>
    /// <param name="strides">The step between windows.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The spacing between the window's taps.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> unless stated.</param>
    /// <param name="useBias">Whether the layer adds a bias per filter.</param>
    /// <param name="name">The layer's name (<c>conv1d</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer Conv1D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        Activation activation = Activation.Linear, bool useBias = true, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(Conv1D));

    /// <summary>
    /// A 2-D convolution over (None, height, width, channels), as Keras's <c>Conv2D</c>: kernel
    /// [kernel height, kernel width, channels, filters] (glorot-uniform), bias [filters] (zeros).
    /// </summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The window's height and width (a square window).</param>
    /// <param name="strides">The step between windows, in both directions.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The spacing between the window's taps.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> unless stated.</param>
    /// <param name="useBias">Whether the layer adds a bias per filter.</param>
    /// <param name="name">The layer's name (<c>conv2d</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer Conv2D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        Activation activation = Activation.Linear, bool useBias = true, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(Conv2D));

    /// <summary>A 2-D convolution with a window of another height than width, as Keras's <c>Conv2D(filters, (h, w))</c>.</summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The window as [height, width].</param>
    /// <param name="strides">The steps as [down, across]; [1, 1] when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The tap spacing as [down, across]; [1, 1] when null.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> unless stated.</param>
    /// <param name="useBias">Whether the layer adds a bias per filter.</param>
    /// <param name="name">The layer's name (<c>conv2d</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer Conv2D(int filters, int[] kernelSize, int[]? strides = null, Padding padding = Padding.Valid, int[]? dilationRate = null,
        Activation activation = Activation.Linear, bool useBias = true, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(Conv2D));

    /// <summary>
    /// A transposed 2-D convolution (the gradient of a convolution, which grows the image), as Keras's
    /// <c>Conv2DTranspose</c>: kernel [kernel height, kernel width, filters, channels], bias [filters]. With
    /// <see cref="Padding.Valid"/> the output is input · strides + max(kernelSize − strides, 0); with
    /// <see cref="Padding.Same"/>, input · strides.
    /// </summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="strides">The upsampling factor in both directions.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> unless stated.</param>
    /// <param name="useBias">Whether the layer adds a bias per filter.</param>
    /// <param name="name">The layer's name (<c>conv2d_transpose</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer Conv2DTranspose(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid,
        Activation activation = Activation.Linear, bool useBias = true, string? name = null, bool trainable = true, string? kernelInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(Conv2DTranspose));

    /// <summary>
    /// A depthwise-separable 2-D convolution, as Keras's <c>SeparableConv2D</c>: a depthwise kernel
    /// [kernel height, kernel width, channels, depthMultiplier], then a pointwise kernel [1, 1, channels · depthMultiplier,
    /// filters] and a bias [filters].
    /// </summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The depthwise window's height and width.</param>
    /// <param name="strides">The step between windows.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="dilationRate">The spacing between the window's taps.</param>
    /// <param name="depthMultiplier">Depthwise output channels per input channel.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> unless stated.</param>
    /// <param name="useBias">Whether the layer adds a bias per filter.</param>
    /// <param name="name">The layer's name (<c>separable_conv2d</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer SeparableConv2D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        int depthMultiplier = 1, Activation activation = Activation.Linear, bool useBias = true, string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(SeparableConv2D));

    /// <summary>Max pooling over windows of a sequence, as Keras's <c>MaxPooling1D</c> (alias <c>MaxPool1D</c>).</summary>
    /// <param name="poolSize">The window length.</param>
    /// <param name="strides">The step between windows; <paramref name="poolSize"/> when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="name">The layer's name (<c>max_pooling1d</c>, … by default).</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer MaxPooling1D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(MaxPooling1D));

    /// <inheritdoc cref="MaxPooling1D"/>
    public static Layer MaxPool1D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(MaxPool1D));

    /// <summary>Max pooling over windows of an image, as Keras's <c>MaxPooling2D</c> (alias <c>MaxPool2D</c>).</summary>
    /// <param name="poolSize">The window's height and width.</param>
    /// <param name="strides">The step between windows; <paramref name="poolSize"/> when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/>.</param>
    /// <param name="name">The layer's name (<c>max_pooling2d</c>, … by default).</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer MaxPooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(MaxPooling2D));

    /// <inheritdoc cref="MaxPooling2D"/>
    public static Layer MaxPool2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(MaxPool2D));

    /// <summary>Average pooling over windows of a sequence, as Keras's <c>AveragePooling1D</c> (alias <c>AvgPool1D</c>).</summary>
    /// <param name="poolSize">The window length.</param>
    /// <param name="strides">The step between windows; <paramref name="poolSize"/> when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/> (padding is not counted).</param>
    /// <param name="name">The layer's name (<c>average_pooling1d</c>, … by default).</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer AveragePooling1D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(AveragePooling1D));

    /// <inheritdoc cref="AveragePooling1D"/>
    public static Layer AvgPool1D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(AvgPool1D));

    /// <summary>Average pooling over windows of an image, as Keras's <c>AveragePooling2D</c> (alias <c>AvgPool2D</c>).</summary>
    /// <param name="poolSize">The window's height and width.</param>
    /// <param name="strides">The step between windows; <paramref name="poolSize"/> when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (Keras's default) or <see cref="Padding.Same"/> (padding is not counted).</param>
    /// <param name="name">The layer's name (<c>average_pooling2d</c>, … by default).</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer AveragePooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(AveragePooling2D));

    /// <inheritdoc cref="AveragePooling2D"/>
    public static Layer AvgPool2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        => throw BuilderOnlyException.For(nameof(AvgPool2D));

    /// <summary>The maximum over the steps of a sequence, per channel, as Keras's <c>GlobalMaxPooling1D</c> (alias <c>GlobalMaxPool1D</c>).</summary>
    /// <param name="name">The layer's name (<c>global_max_pooling1d</c>, … by default).</param>
    /// <returns>A layer giving (None, channels).</returns>
    public static Layer GlobalMaxPooling1D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalMaxPooling1D));

    /// <inheritdoc cref="GlobalMaxPooling1D"/>
    public static Layer GlobalMaxPool1D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalMaxPool1D));

    /// <summary>The maximum over an image's positions, per channel, as Keras's <c>GlobalMaxPooling2D</c> (alias <c>GlobalMaxPool2D</c>).</summary>
    /// <param name="name">The layer's name (<c>global_max_pooling2d</c>, … by default).</param>
    /// <returns>A layer giving (None, channels).</returns>
    public static Layer GlobalMaxPooling2D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalMaxPooling2D));

    /// <inheritdoc cref="GlobalMaxPooling2D"/>
    public static Layer GlobalMaxPool2D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalMaxPool2D));

    /// <summary>The mean over the steps of a sequence, per channel, as Keras's <c>GlobalAveragePooling1D</c> (alias <c>GlobalAvgPool1D</c>).</summary>
    /// <param name="name">The layer's name (<c>global_average_pooling1d</c>, … by default).</param>
    /// <returns>A layer giving (None, channels).</returns>
    public static Layer GlobalAveragePooling1D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalAveragePooling1D));

    /// <inheritdoc cref="GlobalAveragePooling1D"/>
    public static Layer GlobalAvgPool1D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalAvgPool1D));

    /// <summary>The mean over an image's positions, per channel, as Keras's <c>GlobalAveragePooling2D</c> (alias <c>GlobalAvgPool2D</c>).</summary>
    /// <param name="name">The layer's name (<c>global_average_pooling2d</c>, … by default).</param>
    /// <returns>A layer giving (None, channels).</returns>
    public static Layer GlobalAveragePooling2D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalAveragePooling2D));

    /// <inheritdoc cref="GlobalAveragePooling2D"/>
    public static Layer GlobalAvgPool2D(string? name = null) => throw BuilderOnlyException.For(nameof(GlobalAvgPool2D));

    /// <summary>Repeats each row and column of an image, as Keras's <c>UpSampling2D(size)</c> (nearest neighbour).</summary>
    /// <param name="size">The factor in both directions.</param>
    /// <param name="name">The layer's name (<c>up_sampling2d</c>, … by default).</param>
    /// <returns>A layer to apply to an image tensor.</returns>
    public static Layer UpSampling2D(int size = 2, string? name = null) => throw BuilderOnlyException.For(nameof(UpSampling2D));

    /// <summary>Gives a tensor another shape with the same values in the same order, as Keras's <c>Reshape(target_shape)</c>.</summary>
    /// <param name="targetShape">The new per-sample shape; one entry may be -1 to take what is left.</param>
    /// <param name="name">The layer's name (<c>reshape</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer Reshape(int[] targetShape, string? name = null) => throw BuilderOnlyException.For(nameof(Reshape));

    /// <summary>
    /// Applies an activation function as a layer of its own, as Keras's <c>Activation("relu")</c> (the summary shows it
    /// as <c>activation (Activation)</c>). Softmax works over the last axis. It is not called <c>Activation</c> here
    /// because that name is the enum's.
    /// </summary>
    /// <param name="activation">The function.</param>
    /// <param name="name">The layer's name (<c>activation</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer ActivationLayer(Activation activation, string? name = null) => throw BuilderOnlyException.For(nameof(ActivationLayer));

    /// <summary>
    /// The softmax along one axis, as Keras's <c>Softmax(axis)</c> layer: each line of the input along the axis becomes
    /// positive values summing to 1 (exp(x − max) / Σ exp(x − max)). <c>ActivationLayer(Activation.Softmax)</c> is the same
    /// over the last axis; this one takes any axis, such as attention scores' query axis.
    /// </summary>
    /// <param name="axis">The axis, counting the batch axis as 0; negative from the end (-1, the last).</param>
    /// <param name="name">The layer's name (<c>softmax</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor; the output has its shape.</returns>
    public static Layer Softmax(int axis = -1, string? name = null) => throw BuilderOnlyException.For(nameof(Softmax));

    /// <summary>
    /// Reorders each sample's axes, as Keras's <c>Permute(dims)</c>: output axis i is input axis dims[i], counting from
    /// 1 (the batch axis stays first). <c>Permute([2, 1])</c> swaps a sequence's steps and features.
    /// </summary>
    /// <param name="dims">The input axes in their new order, a permutation of 1 to the input's rank.</param>
    /// <param name="name">The layer's name (<c>permute</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer Permute(int[] dims, string? name = null) => throw BuilderOnlyException.For(nameof(Permute));

    /// <summary>Flattens each sample to one axis, as Keras's <c>Flatten()</c>.</summary>
    /// <param name="name">The layer's name (<c>flatten</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer Flatten(string? name = null) => throw BuilderOnlyException.For(nameof(Flatten));

    /// <summary>
    /// Turns integer ids into vectors, as Keras's <c>Embedding(input_dim, output_dim)</c>: a table [inputDim, outputDim]
    /// started uniform in [−0.05, 0.05]. Apply it to an <see cref="DType.Int32"/> input; an id outside [0, inputDim) is a
    /// run-time error naming the id and where it is. Training updates only the rows a batch uses.
    /// </summary>
    /// <param name="inputDim">The vocabulary size: ids run from 0 to inputDim − 1.</param>
    /// <param name="outputDim">The length of each vector.</param>
    /// <param name="maskZero">Keras's <c>mask_zero</c>: id 0 is padding. The output carries a mask (id ≠ 0) that the
    /// layers after it use as Keras's do: recurrent layers skip the padded steps, <c>GlobalAveragePooling1D</c> averages
    /// the others, attention ignores padded keys, and a loss on a sequence output leaves them out (docs/masking.md).
    /// Id 0 still has its row, so inputDim counts it.</param>
    /// <param name="name">The layer's name (<c>embedding</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="embeddingsInitializer">Keras's <c>embeddings_initializer</c> by name; null for <c>"random_uniform"</c>.</param>
    /// <param name="embeddingsRegularizer">Keras's <c>embeddings_regularizer</c>, or null.</param>
    /// <param name="embeddingsConstraint">Keras's <c>embeddings_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a tensor of ids: (None, steps) gives (None, steps, outputDim).</returns>
    public static Layer Embedding(int inputDim, int outputDim, bool maskZero = false, string? name = null, bool trainable = true, string? embeddingsInitializer = null, Regularizer? embeddingsRegularizer = null, Constraint? embeddingsConstraint = null, Regularizer? activityRegularizer = null) => throw BuilderOnlyException.For(nameof(Embedding));

    /// <summary>
    /// A learned embedding of each position, as Keras-Hub's <c>PositionEmbedding(sequence_length)</c>: a table
    /// [sequenceLength, features] (glorot-uniform) whose first <c>steps</c> rows are the output for every sample, in the
    /// input's shape. Only the input's shape is read. Added to a token embedding, it is a transformer's input, as Keras's
    /// <c>TokenAndPositionEmbedding</c>:
    /// <code>
    /// var tokens = Embedding(vocabulary, 64)(ids);                    // (None, steps, 64)
    /// var x = Add([tokens, PositionEmbedding(maxLength)(tokens)]);
    /// </code>
    /// A sequence longer than <paramref name="sequenceLength"/> is an error: at compile time for a fixed length, at run
    /// time for a length given then. (Keras-Hub's <c>start_index</c>, for cached decoding, is not supported.)
    /// </summary>
    /// <param name="sequenceLength">The most positions a sequence may have.</param>
    /// <param name="name">The layer's name (<c>position_embedding</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to a (None, steps, features) tensor, giving the same shape.</returns>
    public static Layer PositionEmbedding(int sequenceLength, string? name = null, bool trainable = true) => throw BuilderOnlyException.For(nameof(PositionEmbedding));
}

/// <summary>The settings of a convolution: <see cref="Layers.Conv1D"/>, <see cref="Layers.Conv2D(int, int, int, Padding, int, Activation, bool, string?, bool, string?, string?, Regularizer?, Regularizer?, Constraint?, Constraint?, Regularizer?)"/>,
/// <see cref="Layers.Conv2DTranspose"/> and <see cref="Layers.SeparableConv2D"/>.</summary>
/// <param name="Filters">The number of output channels.</param>
/// <param name="KernelSize">The window, one size per spatial axis.</param>
/// <param name="Strides">The step between windows, one per spatial axis.</param>
/// <param name="Padding"><c>valid</c> or <c>same</c>.</param>
/// <param name="DataFormat">Always <c>channels_last</c>.</param>
/// <param name="DilationRate">The spacing of the window's taps, one per spatial axis.</param>
/// <param name="Activation">Keras's name of the activation (<c>relu</c>, <c>linear</c>).</param>
/// <param name="UseBias">Whether the layer has a bias.</param>
/// <param name="DepthMultiplier">For <c>SeparableConv2D</c>, the depthwise channels per input channel; null for the
/// others.</param>
public sealed record ConvolutionSettings(int Filters, IReadOnlyList<int> KernelSize, IReadOnlyList<int> Strides, string Padding, string DataFormat,
    IReadOnlyList<int> DilationRate, string Activation, bool UseBias, int? DepthMultiplier = null) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind)
        => kind == GraphNodeKind.SeparableConv2D ? DepthMultiplier is not null
            : DepthMultiplier is null && kind is GraphNodeKind.Conv1D or GraphNodeKind.Conv2D or GraphNodeKind.Conv2DTranspose;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Convolution(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("filters", Filters);
        yield return new("kernel_size", KernelSize);
        yield return new("strides", Strides);
        yield return new("padding", Padding);
        yield return new("data_format", DataFormat);
        yield return new("dilation_rate", DilationRate);
        if (DepthMultiplier is int multiplier)
        {
            yield return new("depth_multiplier", multiplier);
        }

        yield return new("activation", Activation);
        yield return new("use_bias", UseBias);
    }
}

/// <summary>The settings of a pooling layer (<see cref="Layers.MaxPooling2D"/>, <see cref="Layers.AveragePooling1D"/>, …).</summary>
/// <param name="PoolSize">The window, one size per spatial axis.</param>
/// <param name="Padding"><c>valid</c> or <c>same</c>.</param>
/// <param name="Strides">The step between windows, one per spatial axis.</param>
/// <param name="DataFormat">Always <c>channels_last</c>.</param>
public sealed record PoolingSettings(IReadOnlyList<int> PoolSize, string Padding, IReadOnlyList<int> Strides, string DataFormat) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind)
        => kind is GraphNodeKind.MaxPooling1D or GraphNodeKind.MaxPooling2D or GraphNodeKind.AveragePooling1D or GraphNodeKind.AveragePooling2D;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Pooling(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("pool_size", PoolSize);
        yield return new("padding", Padding);
        yield return new("strides", Strides);
        yield return new("data_format", DataFormat);
    }
}

/// <summary>The settings of a global pooling layer (<see cref="Layers.GlobalAveragePooling1D"/>, …).</summary>
/// <param name="DataFormat">Always <c>channels_last</c>.</param>
/// <param name="KeepDims">Whether the pooled axes stay, with size 1.</param>
public sealed record GlobalPoolingSettings(string DataFormat, bool KeepDims) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind)
        => kind is GraphNodeKind.GlobalMaxPooling1D or GraphNodeKind.GlobalMaxPooling2D or GraphNodeKind.GlobalAveragePooling1D
            or GraphNodeKind.GlobalAveragePooling2D;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.GlobalPooling(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("data_format", DataFormat);
        yield return new("keepdims", KeepDims);
    }
}

/// <summary>The settings of an <see cref="Layers.UpSampling2D"/> layer.</summary>
/// <param name="Size">The factor per spatial axis (rows, columns).</param>
/// <param name="DataFormat">Always <c>channels_last</c>.</param>
/// <param name="Interpolation">Always <c>nearest</c>.</param>
public sealed record UpSamplingSettings(IReadOnlyList<int> Size, string DataFormat, string Interpolation) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.UpSampling2D;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.UpSampling(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("size", Size);
        yield return new("data_format", DataFormat);
        yield return new("interpolation", Interpolation);
    }
}

/// <summary>The settings of a <see cref="Layers.Reshape"/> layer.</summary>
/// <param name="TargetShape">The per-sample shape of the output.</param>
public sealed record ReshapeSettings(IReadOnlyList<int> TargetShape) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Reshape;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Reshape(x[0], TargetShape);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("target_shape", TargetShape);
    }
}

/// <summary>The settings of a <see cref="Layers.Flatten"/> layer.</summary>
/// <param name="DataFormat">Always <c>channels_last</c>.</param>
public sealed record FlattenSettings(string DataFormat) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Flatten;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Flatten(x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("data_format", DataFormat);
    }
}

/// <summary>The settings of an <see cref="Layers.ActivationLayer"/> (Keras's <c>Activation</c>).</summary>
/// <param name="Activation">Keras's name of the activation (<c>relu</c>, <c>softmax</c>).</param>
public sealed record ActivationSettings(string Activation) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Activation;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Activate(node, x[0], Activation);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("activation", Activation);
    }
}

/// <summary>The settings of an <see cref="Layers.Embedding"/> layer.</summary>
/// <param name="InputDim">The number of token ids (the vocabulary's size).</param>
/// <param name="OutputDim">The size of each embedding vector.</param>
/// <param name="MaskZero">Whether id 0 is padding, masked for the layers that follow (Keras's <c>mask_zero</c>).</param>
public sealed record EmbeddingSettings(int InputDim, int OutputDim, bool MaskZero = false) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Embedding;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Embedding(node, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("input_dim", InputDim);
        yield return new("output_dim", OutputDim);
        yield return new("mask_zero", MaskZero);
    }
}

/// <summary>The settings of a <see cref="Layers.Permute"/> layer (or an <c>Ops.Transpose</c> inside a Lambda).</summary>
/// <param name="Dims">For each output axis, the input axis it takes, counting from 1 (the batch axis excluded).</param>
public sealed record PermuteSettings(IReadOnlyList<int> Dims) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Permute;

    /// <summary>ONNX's Transpose with the batch axis first.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
        => onnx.Op("Transpose", x, null, OnnxAttribute.Ints("perm", new long[] { 0 }.Concat(Dims.Select(d => (long)d)).ToArray()));

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("dims", Dims);
    }
}

/// <summary>The settings of a <see cref="Layers.Softmax"/> layer (or an <c>Ops.Softmax</c> inside a Lambda).</summary>
/// <param name="Axis">The normalised axis, counting the batch axis as 0, or from the end (-1 the last).</param>
public sealed record SoftmaxSettings(int Axis) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Softmax;

    /// <summary>ONNX's Softmax, whose axis (since opset 13) is the one normalised axis, as Keras's.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
        => onnx.Op("Softmax", x, null, OnnxAttribute.Int("axis", Axis < 0 ? Axis + node.InputShapes[0].Count + 1 : Axis));

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("axis", Axis);
    }
}

/// <summary>The settings of a <see cref="Layers.PositionEmbedding"/> layer.</summary>
/// <param name="SequenceLength">The most positions a sequence may have: the table's rows.</param>
/// <param name="Initializer">The table's initializer, <c>glorot_uniform</c>.</param>
public sealed record PositionEmbeddingSettings(int SequenceLength, string Initializer) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.PositionEmbedding;

    /// <summary>The table's first rows (one per step of the input) as an initializer, expanded to the input's shape.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
    {
        var shape = node.Shape;
        int steps = shape[^2], features = shape[^1];
        if (steps < 0)
        {
            throw OnnxExporter.Unsupported(node, "its steps are given at run time (the exporter writes the table's first rows as a constant)");
        }

        string rows = onnx.Initializer(OnnxExporter.WeightName(node, "embeddings"), new long[] { steps, features },
            () => onnx.Weight(node, "embeddings")[..(steps * features)]);
        return onnx.Op("Expand", new[] { rows, onnx.Op("Shape", new[] { x[0] }, "shape") }, null);
    }

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("sequence_length", SequenceLength);
        yield return new("initializer", Initializer);
    }
}
