namespace Unrolled.Generator.Model;

/// <summary>How a weight tensor starts, as Keras initialises it.</summary>
internal enum WeightInit
{
    /// <summary>glorot_uniform, with Keras's fans from the shape (receptive field times the last two axes).</summary>
    GlorotUniform,

    Zeros,

    Ones,

    /// <summary>orthogonal (recurrent kernels).</summary>
    Orthogonal,

    /// <summary>uniform(−0.05, 0.05) (Embedding).</summary>
    Uniform,

    /// <summary>zeros with the forget gate's quarter set to one (LSTM's unit_forget_bias).</summary>
    UnitForgetBias,
}

/// <summary>One weight tensor of a layer, in Keras's order within the layer (<c>kernel</c>, <c>bias</c>, …).</summary>
/// <param name="Name">Keras's name for it.</param>
/// <param name="Dims">Its shape, all constants.</param>
/// <param name="Init">How it starts.</param>
/// <param name="Trainable">False for state the optimizer leaves alone (BatchNormalization's moving statistics).</param>
internal sealed record WeightSpec(string Name, EquatableArray<int> Dims, WeightInit Init, bool Trainable = true)
{
    public int Size
    {
        get
        {
            int size = 1;
            foreach (int d in Dims)
            {
                size = checked(size * d);
            }

            return size;
        }
    }
}
