using System;
using System.Collections.Generic;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Runs the model on flat row-major arrays given by position, as Keras's <c>predict</c>.</summary>
    /// <param name="inputs">One flat array per input, in the model's order, each a whole number of samples.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <returns>One flat array per output, in the model's order.</returns>
    /// <exception cref="ArgumentException">The arrays do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public float[][] Predict(float[][] inputs, int batchSize = 32)
        => PredictChecked(InputsByPosition(inputs, nameof(inputs)), batchSize);

    /// <summary>Runs the model on flat row-major arrays given by input name, as Keras's <c>predict</c> with a dictionary.</summary>
    /// <param name="inputs">Flat arrays keyed by input name; every input.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <returns>Flat arrays keyed by output name.</returns>
    /// <exception cref="ArgumentException">The arrays or names do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public IReadOnlyDictionary<string, float[]> Predict(IReadOnlyDictionary<string, float[]> inputs, int batchSize = 32)
    {
        float[][] outputs = PredictChecked(InputsByName(inputs, nameof(inputs)), batchSize);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int j = 0; j < outputs.Length; j++)
        {
            result.Add(Description.Outputs[j].Name, outputs[j]);
        }

        return result;
    }

    private float[][] PredictChecked(float[][] inputs, int batchSize)
    {
        CheckBatchSize(batchSize);
        int samples = ValidateData(inputs, null, null, nameof(inputs), nameof(inputs));
        var outputs = new float[Description.Outputs.Count][];
        for (int j = 0; j < outputs.Length; j++)
        {
            outputs[j] = new float[(long)samples * Description.Outputs[j].Size];
        }

        if (samples == 0)
        {
            return outputs;
        }

        var workspace = AcquirePredictWorkspace(Math.Min(batchSize, samples));
        try
        {
            for (int done = 0; done < samples; done += batchSize)
            {
                int batch = Math.Min(batchSize, samples - done);
                LoadInputs(workspace, inputs, done, batch);
                Forward(workspace, batch, training: false);
                for (int j = 0; j < outputs.Length; j++)
                {
                    TensorInfo info = Description.Outputs[j];
                    workspace.Values(info.Offset, batch * info.Size).CopyTo(outputs[j].AsSpan(done * info.Size, batch * info.Size));
                }
            }

            return outputs;
        }
        finally
        {
            ReleaseWorkspace(workspace);
        }
    }
}
