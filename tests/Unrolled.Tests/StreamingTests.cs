using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Keras's stateful recurrent layers are not in Unrolled (a compiled model keeps no state between calls); a sequence is
/// streamed by passing the returned states back as the next chunk's initial state. Chunk by chunk must give what the
/// whole sequence gives in one call.
/// </summary>
public class StreamingTests
{
    [Theory]
    [InlineData(new[] { 10 })]
    [InlineData(new[] { 4, 6 })]
    [InlineData(new[] { 1, 3, 1, 5 })]
    public void Chunks_carried_through_the_states_give_what_the_whole_sequence_gives(int[] chunks)
    {
        const int batch = 2, steps = 10, features = 3;
        var model = new StreamingLstm(seed: 3);
        float[] x = GradientTests.Random(batch * steps * features, 5);
        float[][] whole = model.Predict([x, new float[batch * 4], new float[batch * 4]], batch, lengths: [steps]);

        float[] h = new float[batch * 4], c = new float[batch * 4];
        var outputs = new float[batch * steps * 2];
        int start = 0;
        foreach (int length in chunks)
        {
            // The chunk: steps start..start+length of each sample.
            float[] chunk = new float[batch * length * features];
            for (int b = 0; b < batch; b++)
            {
                Array.Copy(x, ((b * steps) + start) * features, chunk, b * length * features, length * features);
            }

            float[][] result = model.Predict([chunk, h, c], batch, lengths: [length]);
            for (int b = 0; b < batch; b++)
            {
                Array.Copy(result[0], b * length * 2, outputs, ((b * steps) + start) * 2, length * 2);
            }

            (h, c) = (result[1], result[2]);
            start += length;
        }

        Near(whole[0], outputs);
        Near(whole[1], h);
        Near(whole[2], c);
    }

    private static void Near(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6f, $"{p.First} against {p.Second}"));
    }
}
