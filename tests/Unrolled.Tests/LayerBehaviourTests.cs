using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>The new layers at the model level: clear errors for bad ids, no allocation, sequence lengths.</summary>
public class LayerBehaviourTests
{
    [Fact]
    public void An_out_of_range_id_names_the_id_and_where_it_is_and_changes_nothing()
    {
        var model = new Recurrents(seed: 1);
        float[] words = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(words));
        Assert.Contains("12", error.Message);
        Assert.Contains("sample 1, position 4", error.Message);
        Assert.Contains("[0, 10)", error.Message);

        model.Compile(new SGD(learningRate: 0.1f), "mse");
        float[] before = model.Weights.ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => model.TrainOnBatch(words, [0f, 1f], 2));
        Assert.Equal(before, model.Weights.ToArray()); // the step stopped before any update
        words[9] = 9;
        Assert.Equal(2, model.Predict(words).Length);
    }

    [Fact]
    public void Convolution_and_recurrent_steps_allocate_nothing()
    {
        const int batch = 8;
        var conv = new SmallConvNet(seed: 1);
        conv.Compile("adam", "mse");
        float[] image = Random(batch * 6 * 7 * 2, 1), output = new float[batch * 2];
        Assert.Equal(0, AllocationTests.AllocatedBy(() => conv.Predict(image, output, batch)));
        Assert.Equal(0, AllocationTests.AllocatedBy(() => conv.TrainOnBatch(image, output, batch)));

        var text = new TextBranch(seed: 2);
        text.Compile("rmsprop", "categorical_crossentropy");
        float[] title = Enumerable.Range(0, batch * 9).Select(i => (float)(i % 20)).ToArray(), classes = new float[batch * 2];
        for (int s = 0; s < batch; s++)
        {
            classes[s * 2 + s % 2] = 1f;
        }

        text.Reserve(batch, 9);
        Assert.Equal(0, AllocationTests.AllocatedBy(() =>
        {
            text.Predict(title, classes, 9, batch);
            text.TrainOnBatch(title.AsSpan(0, batch * 5), classes, 5, batch);
        }));
    }
}

/// <summary>Predicting many batches on two cores gives exactly the one-core outputs.</summary>
public class ParallelPredictTests
{
    [Fact]
    public void Two_threads_predict_what_one_thread_predicts()
    {
        var model = new SmallConvNet(seed: 4);
        float[] images = GradientTests.Random(70 * 6 * 7 * 2, 4);
        int saved = Kernels.Threading.MaxThreads;
        try
        {
            Kernels.Threading.MaxThreads = 1;
            float[] one = model.Predict([images], batchSize: 8)[0];
            Kernels.Threading.MaxThreads = 2;
            float[] two = model.Predict([images], batchSize: 8)[0];
            Assert.Equal(one, two);
            Assert.Equal(one, model.Predict([images], batchSize: 8)[0]); // the second workspace is reused
        }
        finally
        {
            Kernels.Threading.MaxThreads = saved;
        }
    }
}
