namespace Unrolled;

/// <summary>
/// A symbolic tensor in a <see cref="ModelBuilderAttribute">[ModelBuilder]</see> method: what <see cref="Layers.Input"/>
/// returns and what a layer returns when applied, as Keras's <c>KerasTensor</c>. It holds no data; the generator
/// tracks its shape at compile time.
/// </summary>
public sealed class Tensor
{
    private Tensor()
    {
    }

    /// <summary>
    /// Takes apart what a layer with several results gives, as Python unpacks Keras's list:
    /// <c>var (output, state) = GRU(32, returnState: true)(x);</c>
    /// </summary>
    /// <param name="first">The first result (the layer's output).</param>
    /// <param name="second">The second (for a recurrent layer, the last hidden state).</param>
    public void Deconstruct(out Tensor first, out Tensor second) => throw BuilderOnlyException.For(nameof(Deconstruct));

    /// <summary>
    /// Takes apart what a layer with three results gives: <c>var (output, stateH, stateC) = LSTM(32, returnState: true)(x);</c>
    /// </summary>
    /// <param name="first">The first result (the layer's output).</param>
    /// <param name="second">The second (the last hidden state).</param>
    /// <param name="third">The third (the last cell state).</param>
    public void Deconstruct(out Tensor first, out Tensor second, out Tensor third) => throw BuilderOnlyException.For(nameof(Deconstruct));

    /// <summary>
    /// Takes apart four results: a bidirectional GRU's or SimpleRNN's output (or, with mergeMode null, its two outputs)
    /// and states, <c>var (output, forwardH, backwardH) = …</c> has three; <c>var (forward, backward, forwardH, backwardH)
    /// = Bidirectional(GRU(8, returnState: true), mergeMode: null)(x);</c> four.
    /// </summary>
    /// <param name="first">The first result.</param>
    /// <param name="second">The second.</param>
    /// <param name="third">The third.</param>
    /// <param name="fourth">The fourth.</param>
    public void Deconstruct(out Tensor first, out Tensor second, out Tensor third, out Tensor fourth) => throw BuilderOnlyException.For(nameof(Deconstruct));

    /// <summary>
    /// Takes apart five results: a bidirectional LSTM's output and its states,
    /// <c>var (output, forwardH, forwardC, backwardH, backwardC) = Bidirectional(LSTM(32, returnState: true))(x);</c>
    /// </summary>
    /// <param name="first">The first result (the merged output).</param>
    /// <param name="second">The forward layer's last hidden state.</param>
    /// <param name="third">The forward layer's last cell state.</param>
    /// <param name="fourth">The backward layer's last hidden state.</param>
    /// <param name="fifth">The backward layer's last cell state.</param>
    public void Deconstruct(out Tensor first, out Tensor second, out Tensor third, out Tensor fourth, out Tensor fifth)
        => throw BuilderOnlyException.For(nameof(Deconstruct));

    /// <summary>The tensor's shape without the batch axis, as Keras's <c>x.shape[1:]</c>; known at compile time.</summary>
    public int[] Shape => throw BuilderOnlyException.For(nameof(Shape));

    /// <summary>Element-wise the sum, with Keras's broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The result.</returns>
    public static Tensor operator +(Tensor a, Tensor b) => throw BuilderOnlyException.For("operator +");

    /// <summary>Element-wise the sum with a constant.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The constant.</param>
    /// <returns>The result.</returns>
    public static Tensor operator +(Tensor a, float b) => throw BuilderOnlyException.For("operator +");

    /// <summary>Element-wise the sum of a constant and a tensor.</summary>
    /// <param name="a">The constant.</param>
    /// <param name="b">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor operator +(float a, Tensor b) => throw BuilderOnlyException.For("operator +");

    /// <summary>Element-wise the difference, with Keras's broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The result.</returns>
    public static Tensor operator -(Tensor a, Tensor b) => throw BuilderOnlyException.For("operator -");

    /// <summary>Element-wise the difference with a constant.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The constant.</param>
    /// <returns>The result.</returns>
    public static Tensor operator -(Tensor a, float b) => throw BuilderOnlyException.For("operator -");

    /// <summary>Element-wise the difference of a constant and a tensor.</summary>
    /// <param name="a">The constant.</param>
    /// <param name="b">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor operator -(float a, Tensor b) => throw BuilderOnlyException.For("operator -");

    /// <summary>Element-wise the product, with Keras's broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The result.</returns>
    public static Tensor operator *(Tensor a, Tensor b) => throw BuilderOnlyException.For("operator *");

    /// <summary>Element-wise the product with a constant.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The constant.</param>
    /// <returns>The result.</returns>
    public static Tensor operator *(Tensor a, float b) => throw BuilderOnlyException.For("operator *");

    /// <summary>Element-wise the product of a constant and a tensor.</summary>
    /// <param name="a">The constant.</param>
    /// <param name="b">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor operator *(float a, Tensor b) => throw BuilderOnlyException.For("operator *");

    /// <summary>Element-wise the quotient, with Keras's broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The result.</returns>
    public static Tensor operator /(Tensor a, Tensor b) => throw BuilderOnlyException.For("operator /");

    /// <summary>Element-wise the quotient with a constant.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The constant.</param>
    /// <returns>The result.</returns>
    public static Tensor operator /(Tensor a, float b) => throw BuilderOnlyException.For("operator /");

    /// <summary>Element-wise the quotient of a constant and a tensor.</summary>
    /// <param name="a">The constant.</param>
    /// <param name="b">The tensor.</param>
    /// <returns>The result.</returns>
    public static Tensor operator /(float a, Tensor b) => throw BuilderOnlyException.For("operator /");

    /// <summary>Element-wise negation.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>−x.</returns>
    public static Tensor operator -(Tensor x) => throw BuilderOnlyException.For("operator -");
}

/// <summary>
/// A layer with one input, as returned by <see cref="Layers.Dense"/>. Apply it to a tensor to add a node to the
/// graph: <c>Dense(64)(x)</c>. Applying the same layer object again reuses its weights (a shared layer).
/// </summary>
/// <param name="input">The tensor the layer is applied to.</param>
/// <param name="initialState">For a recurrent layer (<see cref="Layers.LSTM"/>, <see cref="Layers.GRU"/>,
/// <see cref="Layers.SimpleRNN"/>), the state to start from instead of zeros, as Keras's <c>initial_state</c>: LSTM's
/// <c>[h, c]</c>, the others' <c>[h]</c>, each (units) per sample (an encoder's returned states, for a decoder). Other
/// layers take none.</param>
/// <returns>The layer's output tensor for this call.</returns>
public delegate Tensor Layer(Tensor input, Tensor[]? initialState = null);

/// <summary>
/// A layer that merges several tensors, as returned by <see cref="Layers.Concatenate(int, string?)"/> and
/// <see cref="Layers.Add(string?)"/>: <c>Concatenate()([a, b])</c>.
/// </summary>
/// <param name="inputs">The tensors to merge.</param>
/// <returns>The merged tensor.</returns>
public delegate Tensor MergeLayer(params Tensor[] inputs);

/// <summary>
/// A sequence attention layer, as returned by <see cref="Layers.Attention"/> and <see cref="Layers.AdditiveAttention"/>,
/// called as Keras calls them: <c>attention([query, value])</c> or <c>attention([query, value, key])</c>, with Keras's
/// call arguments. Calling the same layer object again reuses its weights.
/// </summary>
/// <param name="inputs"><c>[query, value]</c> or <c>[query, value, key]</c>, each (steps, features); the key is the value
/// when not given.</param>
/// <param name="returnAttentionScores">Also return the attention weights (Keras's <c>return_attention_scores</c>), (query
/// steps, value steps), after dropout while training as Keras returns them:
/// <c>var (output, scores) = Attention()([q, v], returnAttentionScores: true);</c></param>
/// <param name="useCausalMask">Whether query step i attends to value steps 0..i only (Keras's <c>use_causal_mask</c>), as
/// a decoder's self-attention does; a compile-time constant, combined with the value's Keras mask.</param>
/// <returns>The attention output, (query steps, value features); with <paramref name="returnAttentionScores"/>, the output
/// and the weights.</returns>
public delegate Tensor SequenceAttentionLayer(Tensor[] inputs, bool returnAttentionScores = false, bool useCausalMask = false);

/// <summary>
/// An attention layer, as returned by <see cref="Layers.MultiHeadAttention"/>, called as Keras calls it:
/// <c>mha(query, value)</c> for cross-attention, <c>mha(x, x)</c> for self-attention, with an optional key (the value
/// when not given) and Keras's causal mask. Calling the same layer object again reuses its weights.
/// </summary>
/// <param name="query">The query sequence, (steps, features).</param>
/// <param name="value">The value sequence, (steps, features).</param>
/// <param name="key">The key sequence, with the value's steps; the value when null.</param>
/// <param name="useCausalMask">Whether query step i attends to key steps 0..i only (Keras's <c>use_causal_mask</c>), as
/// a decoder does; a compile-time constant.</param>
/// <param name="attentionMask">Keras's <c>attention_mask</c>: a (query steps, key steps) tensor per sample, 1 (or any value
/// above 0.5) where a query may attend to a key and 0 where not, combined with the causal mask and the inputs' Keras masks;
/// a query that may attend to no key outputs the output projection's bias. It gets no gradient.</param>
/// <param name="returnAttentionScores">Also return the attention weights (Keras's <c>return_attention_scores</c>), (heads,
/// query steps, key steps) before dropout: <c>var (output, scores) = mha(x, x, returnAttentionScores: true);</c></param>
/// <returns>The attention output, (query steps, features); with <paramref name="returnAttentionScores"/>, the output and the
/// weights.</returns>
public delegate Tensor AttentionLayer(Tensor query, Tensor value, Tensor? key = null, bool useCausalMask = false, Tensor? attentionMask = null,
    bool returnAttentionScores = false);

/// <summary>
/// The model a <see cref="ModelBuilderAttribute">[ModelBuilder]</see> method returns: its inputs and outputs, as
/// Keras's <c>Model(inputs=..., outputs=...)</c>.
/// </summary>
public sealed class Model
{
    /// <summary>A model with one input and one output.</summary>
    /// <param name="inputs">The model's input, as returned by <see cref="Layers.Input"/>.</param>
    /// <param name="outputs">The model's output.</param>
    /// <param name="name">The model's name, shown by <c>Summary()</c>; Keras's default is <c>"model"</c>.</param>
    public Model(Tensor inputs, Tensor outputs, string? name = null) => throw BuilderOnlyException.For("Model");

    /// <summary>A model with several inputs and outputs, in the order the generated methods take them.</summary>
    /// <param name="inputs">The model's inputs, each returned by <see cref="Layers.Input"/>.</param>
    /// <param name="outputs">The model's outputs.</param>
    /// <param name="name">The model's name, shown by <c>Summary()</c>; Keras's default is <c>"model"</c>.</param>
    public Model(Tensor[] inputs, Tensor[] outputs, string? name = null) => throw BuilderOnlyException.For("Model");

    /// <summary>A model with several inputs and one output.</summary>
    /// <param name="inputs">The model's inputs, each returned by <see cref="Layers.Input"/>.</param>
    /// <param name="outputs">The model's output.</param>
    /// <param name="name">The model's name, shown by <c>Summary()</c>; Keras's default is <c>"model"</c>.</param>
    public Model(Tensor[] inputs, Tensor outputs, string? name = null) => throw BuilderOnlyException.For("Model");

    /// <summary>A model with one input and several outputs.</summary>
    /// <param name="inputs">The model's input, as returned by <see cref="Layers.Input"/>.</param>
    /// <param name="outputs">The model's outputs.</param>
    /// <param name="name">The model's name, shown by <c>Summary()</c>; Keras's default is <c>"model"</c>.</param>
    public Model(Tensor inputs, Tensor[] outputs, string? name = null) => throw BuilderOnlyException.For("Model");

    /// <summary>
    /// The model's output (Keras's <c>model.output</c>): node 0, the tensor the model was built with. Once the model
    /// has been applied as a layer it has several nodes and this is ambiguous (UNR0015): use <see cref="GetOutputAt"/>.
    /// </summary>
    public Tensor Output => throw BuilderOnlyException.For(nameof(Output));

    /// <summary>The model's input (Keras's <c>model.input</c>); ambiguous once the model has been applied (UNR0015).</summary>
    public Tensor Input => throw BuilderOnlyException.For(nameof(Input));

    /// <summary>The model's outputs, in order (Keras's <c>model.outputs</c>).</summary>
    public Tensor[] Outputs => throw BuilderOnlyException.For(nameof(Outputs));

    /// <summary>
    /// Keras's <c>model.trainable</c>, set in the builder: <c>baseModel.Trainable = false;</c> freezes every layer the
    /// model computes with, wherever it is applied (one set of weights). The generated model starts with them frozen; at
    /// run time <c>model.GetLayer(name).Trainable</c> changes it (see <see cref="ModelLayer"/>).
    /// </summary>
    public bool Trainable
    {
        get => throw BuilderOnlyException.For(nameof(Trainable));
        set => throw BuilderOnlyException.For(nameof(Trainable));
    }

    /// <summary>The model's inputs, in order (Keras's <c>model.inputs</c>).</summary>
    public Tensor[] Inputs => throw BuilderOnlyException.For(nameof(Inputs));

    /// <summary>The output at node <paramref name="nodeIndex"/>: 0 is the model as built, 1 its first call, and so on.</summary>
    /// <param name="nodeIndex">The node.</param>
    /// <returns>That node's output.</returns>
    public Tensor GetOutputAt(int nodeIndex) => throw BuilderOnlyException.For(nameof(GetOutputAt));

    /// <summary>The input at node <paramref name="nodeIndex"/>: 0 is the model as built, 1 its first call, and so on.</summary>
    /// <param name="nodeIndex">The node.</param>
    /// <returns>That node's input.</returns>
    public Tensor GetInputAt(int nodeIndex) => throw BuilderOnlyException.For(nameof(GetInputAt));

    /// <summary>
    /// Applies the model to a tensor, as Keras's <c>model(x)</c>: its layers are applied again, sharing their weights
    /// with every other call of this model. For a model with one input and one output.
    /// </summary>
    /// <param name="input">The tensor; its shape must be the model's input shape.</param>
    /// <returns>The model's output for this call.</returns>
    public Tensor Call(Tensor input) => throw BuilderOnlyException.For(nameof(Call));

    /// <summary>Applies the model to several tensors (one per model input), returning every output.</summary>
    /// <param name="inputs">One tensor per model input, in order.</param>
    /// <returns>The model's outputs for this call, in order.</returns>
    public Tensor[] Call(Tensor[] inputs) => throw BuilderOnlyException.For(nameof(Call));

    /// <summary>Uses a one-input, one-output model as a layer: <c>Layer encoder = new Model(…); var z = encoder(x);</c></summary>
    /// <param name="model">The model.</param>
    public static implicit operator Layer(Model model) => throw BuilderOnlyException.For("Model");

    /// <summary>Uses a several-input, one-output model as a merge layer: <c>MergeLayer m = model; var y = m(a, b);</c></summary>
    /// <param name="model">The model.</param>
    public static implicit operator MergeLayer(Model model) => throw BuilderOnlyException.For("Model");
}
