// The one catalogue of layer kinds, compiled into the runtime (public, as GraphNodeKind) and into the generator and
// analyzer (internal, as LayerKind), so the two can never disagree. Adding a kind: add it here, then give it a rule in
// src/Generator/Layers (docs/adding-a-layer.md); a test fails until every kind has one. New kinds go at the end:
// generated code compiled against an earlier runtime holds the members' numbers.
#if UNROLLED_GENERATOR
namespace Unrolled.Generator.Model;

#pragma warning disable CS1591 // documented where the runtime compiles this file
internal enum LayerKind
#else
namespace Unrolled;

/// <summary>
/// What a <see cref="GraphNode"/> computes. Layers are named after their Keras classes, and their
/// <see cref="GraphNode.Config"/> uses the keys of Keras's <c>get_config()</c>; the other kinds are the steps the
/// generator adds between layers (operations inside a <c>Lambda</c>, <c>TimeDistributed</c>'s folding of the time axis,
/// a recurrent layer's returned state) and the three groups (<see cref="Functional"/>, <see cref="Lambda"/>,
/// <see cref="TimeDistributed"/>), which compute nothing themselves: their <see cref="GraphNode.Children"/> do.
/// </summary>
/// <remarks>Shapes are per sample (no batch axis) and channels-last, as Keras's defaults.</remarks>
public enum GraphNodeKind
#endif
{
    /// <summary>An input. At the top level it has no inputs; inside a nested model (a <see cref="Functional"/> group)
    /// it has one, the tensor the model is applied to, and passes it through unchanged. Config: <c>dtype</c>.</summary>
    InputLayer,

    /// <summary><c>activation(x · kernel + bias)</c>. Config: <c>units</c>, <c>activation</c>, <c>use_bias</c>.</summary>
    Dense,

    /// <summary>Joins its inputs along an axis. Config: <c>axis</c> (Keras counts the batch axis as 0).</summary>
    Concatenate,

    /// <summary>The element-wise sum of its inputs.</summary>
    Add,

    /// <summary>The first input minus the second.</summary>
    Subtract,

    /// <summary>The element-wise product of its inputs.</summary>
    Multiply,

    /// <summary>The element-wise mean of its inputs.</summary>
    Average,

    /// <summary>The element-wise maximum of its inputs.</summary>
    Maximum,

    /// <summary>The element-wise minimum of its inputs.</summary>
    Minimum,

    /// <summary>The dot product of two inputs along an axis. Config: <c>axes</c>, <c>normalize</c> (L2-normalise the
    /// inputs first: the cosine similarity).</summary>
    Dot,

    /// <summary>A group: a <c>Lambda</c> layer, whose function's operations are its children.</summary>
    Lambda,

    /// <summary>An element-wise function. Config: <c>function</c>, one of <c>math.abs</c>, <c>math.exp</c>,
    /// <c>math.log</c>, <c>math.sqrt</c>, <c>math.square</c>.</summary>
    UnaryOp,

    /// <summary>An activation used as an operation. Config: <c>function</c> (<c>math.tanh</c>, <c>math.sigmoid</c>,
    /// <c>nn.relu</c>), <c>activation</c>.</summary>
    ActivationOp,

    /// <summary><c>scale · x + shift</c>: a tensor combined with constants (<c>1 - x</c>, <c>x / 2</c>, <c>-x</c>).
    /// Config: <c>scale</c>, <c>shift</c>.</summary>
    Affine,

    /// <summary>An element-wise operation on two tensors, broadcasting as NumPy does. Config: <c>function</c>, one of
    /// <c>__operators__.add</c>, <c>math.subtract</c>, <c>math.multiply</c>, <c>math.truediv</c>, <c>math.maximum</c>,
    /// <c>math.minimum</c>.</summary>
    BinaryOp,

    /// <summary>A sum or mean over one axis. Config: <c>function</c> (<c>math.reduce_sum</c> or
    /// <c>math.reduce_mean</c>), <c>axis</c> (Keras counts the batch axis as 0), <c>keepdims</c>.</summary>
    Reduce,

    /// <summary>A group: a <c>TimeDistributed</c> layer. Its children fold the time axis into the batch
    /// (<see cref="Fold"/>), apply the wrapped layer or model to every step, and unfold (<see cref="Unfold"/>).</summary>
    TimeDistributed,

    /// <summary>Inside <see cref="TimeDistributed"/>: views each sample's <c>steps</c> rows as <c>steps</c> samples
    /// (a reshape from (batch, steps, …) to (batch · steps, …)); its shape is one step's. Config: <c>steps</c>
    /// (-1 when given at run time).</summary>
    Fold,

    /// <summary>Inside <see cref="TimeDistributed"/>: the inverse of <see cref="Fold"/>, from (batch · steps, …) back to
    /// (batch, steps, …). Config: <c>steps</c> (-1 when given at run time).</summary>
    Unfold,

    /// <summary>A 1-D convolution. Config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c>,
    /// <c>data_format</c>, <c>dilation_rate</c>, <c>activation</c>, <c>use_bias</c>.</summary>
    Conv1D,

    /// <summary>A 2-D convolution. Config as <see cref="Conv1D"/>, with (height, width) pairs.</summary>
    Conv2D,

    /// <summary>A transposed 2-D convolution. Config as <see cref="Conv2D"/>.</summary>
    Conv2DTranspose,

    /// <summary>A depthwise then pointwise 2-D convolution. Config as <see cref="Conv2D"/>, and
    /// <c>depth_multiplier</c>.</summary>
    SeparableConv2D,

    /// <summary>Config: <c>pool_size</c>, <c>strides</c>, <c>padding</c>, <c>data_format</c>.</summary>
    MaxPooling1D,

    /// <summary>Config: <c>pool_size</c>, <c>strides</c>, <c>padding</c>, <c>data_format</c>.</summary>
    MaxPooling2D,

    /// <summary>Config: <c>pool_size</c>, <c>strides</c>, <c>padding</c>, <c>data_format</c>.</summary>
    AveragePooling1D,

    /// <summary>Config: <c>pool_size</c>, <c>strides</c>, <c>padding</c>, <c>data_format</c>.</summary>
    AveragePooling2D,

    /// <summary>The maximum over the steps. Config: <c>data_format</c>, <c>keepdims</c>.</summary>
    GlobalMaxPooling1D,

    /// <summary>The maximum over height and width. Config: <c>data_format</c>, <c>keepdims</c>.</summary>
    GlobalMaxPooling2D,

    /// <summary>The mean over the steps. Config: <c>data_format</c>, <c>keepdims</c>.</summary>
    GlobalAveragePooling1D,

    /// <summary>The mean over height and width. Config: <c>data_format</c>, <c>keepdims</c>.</summary>
    GlobalAveragePooling2D,

    /// <summary>Repeats rows and columns. Config: <c>size</c>, <c>data_format</c>, <c>interpolation</c>
    /// (<c>nearest</c>).</summary>
    UpSampling2D,

    /// <summary>Config: <c>target_shape</c> (per sample; -1 for the size that is left, as in Keras).</summary>
    Reshape,

    /// <summary>Config: <c>data_format</c>.</summary>
    Flatten,

    /// <summary>Looks up one row of <c>embeddings</c> per integer input. Config: <c>input_dim</c>,
    /// <c>output_dim</c>.</summary>
    Embedding,

    /// <summary>Config: <c>units</c>, <c>activation</c>, <c>recurrent_activation</c>, <c>use_bias</c>,
    /// <c>return_sequences</c>, <c>return_state</c>, <c>unit_forget_bias</c>. Gates in Keras's order i, f, c, o.</summary>
    LSTM,

    /// <summary>Config: <c>units</c>, <c>activation</c>, <c>recurrent_activation</c>, <c>use_bias</c>,
    /// <c>return_sequences</c>, <c>return_state</c>, <c>reset_after</c>. Gates in Keras's order z, r, h.</summary>
    GRU,

    /// <summary>Config: <c>units</c>, <c>activation</c>, <c>use_bias</c>, <c>return_sequences</c>,
    /// <c>return_state</c>.</summary>
    SimpleRNN,

    /// <summary>Zeroes inputs at random while training (scaling the rest by 1 / (1 - rate)); the identity in
    /// prediction. Config: <c>rate</c>.</summary>
    Dropout,

    /// <summary>Keras's <c>Activation</c> layer (softmax over the last axis). Config: <c>activation</c>.</summary>
    Activation,

    /// <summary>Config: <c>axis</c>, <c>momentum</c>, <c>epsilon</c>, <c>center</c>, <c>scale</c>.</summary>
    BatchNormalization,

    /// <summary>A state a recurrent layer returns besides its output (<c>return_state</c>): its input is the
    /// recurrent node. Config: <c>index</c>, the state's place in Keras's result list (1 the last hidden state
    /// <c>h</c>, 2 LSTM's last cell state <c>c</c>).</summary>
    RecurrentState,

    /// <summary>A group: one call of a model used as a layer, whose layers are its children (Keras's
    /// <c>Functional</c>). Its first children are the model's <see cref="InputLayer"/>s.</summary>
    Functional,

    /// <summary>Normalises each sample over some of its axes (Keras's <c>LayerNormalization</c>). Config: <c>axis</c>,
    /// <c>epsilon</c>, <c>center</c>, <c>scale</c>, <c>rms_scaling</c>.</summary>
    LayerNormalization,

    /// <summary>A learned embedding of each position along the second-to-last axis, the same for every sample, in the
    /// input's shape (Keras-Hub's <c>PositionEmbedding</c>; added to a token embedding it makes a transformer's input).
    /// Config: <c>sequence_length</c>, <c>initializer</c>.</summary>
    PositionEmbedding,

    /// <summary>The softmax along one axis (Keras's <c>Softmax</c> layer, and <c>Ops.Softmax</c> inside a Lambda).
    /// Config: <c>axis</c> (Keras counts the batch axis as 0; -1 is the last).</summary>
    Softmax,

    /// <summary>The matrix product of the last two axes of two tensors, batched over the axes before them, which must
    /// be the same (<c>Ops.MatMul</c>, Keras's <c>ops.matmul</c>). Config: <c>function</c> (<c>linalg.matmul</c>).</summary>
    MatMul,

    /// <summary>Reorders each sample's axes (Keras's <c>Permute</c> layer, and <c>Ops.Transpose</c> with the batch axis
    /// first). Config: <c>dims</c>, the input axis each output axis takes, counting from 1 as Keras does.</summary>
    Permute,

    /// <summary>Keras's dot-product <c>Attention</c> (Luong-style) of a query (Tq, dim), a value (Tv, dv) and a key
    /// (Tv, dim), the value when not given: softmax(scale · q·kᵀ)·v. Config: <c>use_scale</c>, <c>score_mode</c>,
    /// <c>dropout</c>.</summary>
    Attention,

    /// <summary>Keras's <c>MultiHeadAttention</c> of a query (Tq, dq), a value (Tk, dv) and a key (Tk, dk), the value
    /// when not given: each head projects them, attends with scaled dot products, and the heads' outputs are projected
    /// to the output. Config: <c>num_heads</c>, <c>key_dim</c>, <c>value_dim</c>, <c>dropout</c>, <c>use_bias</c>,
    /// <c>output_shape</c>, <c>attention_axes</c>; per call, <c>use_causal_mask</c>.</summary>
    MultiHeadAttention,

    /// <summary>Reverses one axis (Keras's <c>ops.flip</c>); inside <see cref="Bidirectional"/> it puts the backward
    /// layer's sequence back in the input's order. Config: <c>axis</c> (Keras counts the batch axis as 0).</summary>
    Flip,

    /// <summary>A group: a <c>Bidirectional</c> wrapper. Its children run a copy of the wrapped recurrent layer forwards
    /// (<c>forward_…</c>) and one backwards (<c>backward_…</c>), flip the backward sequence (<see cref="Flip"/>) and merge
    /// the two. Config: <c>merge_mode</c>.</summary>
    Bidirectional,

    /// <summary>Keras's <c>AdditiveAttention</c> (Bahdanau-style) of a query (Tq, dim), a value (Tv, dv) and a key (Tv,
    /// dim), the value when not given: softmax over the keys of Σ_d scale_d · tanh(q + k), times the value. Config:
    /// <c>use_scale</c>, <c>dropout</c>.</summary>
    AdditiveAttention,

    /// <summary>Keras's <c>EinsumDense</c> for equations that are a dense product (the input's last axes contracted with the
    /// kernel's first). Config: <c>equation</c>, <c>output_shape</c> (0 for an axis given as None), <c>activation</c>,
    /// <c>bias_axes</c>.</summary>
    EinsumDense,

    /// <summary>A step the generator adds for Keras's masks: a mask per step of a sequence (1 kept, 0 masked), from an
    /// <c>Embedding(mask_zero=True)</c>'s ids, a <c>Masking</c> layer's input, or the OR of a merge's inputs' masks.
    /// Config: <c>op</c> (<c>not_equal</c>, <c>or</c>), <c>value</c>. Never drawn; layers that use it list it in
    /// <c>Masks</c>.</summary>
    Mask,

    /// <summary>Keras's <c>Masking(mask_value)</c>: a step whose features all equal the mask value is zeroed and masked
    /// for the layers after it. Config: <c>mask_value</c>.</summary>
    Masking,

    /// <summary>The attention weights a <see cref="MultiHeadAttention"/> call returns with <c>return_attention_scores</c>
    /// (heads, query steps, key steps): a view of what the layer keeps, before dropout, as Keras returns them.</summary>
    AttentionScores,
}
