using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// A metric for <c>Compile(metrics: ...)</c>, as Keras's <c>keras.metrics</c>: computed over the whole epoch (stateful,
/// as Keras's metrics are), logged under <see cref="Name"/> (prefixed with the output's name when the model has several,
/// and <c>val_</c> for validation: <c>val_department_auc</c>). A string converts by Keras's name: <c>"accuracy"</c>,
/// <c>"auc"</c>, <c>"precision"</c>, …; metrics are not weighted by sample weights (Keras's <c>metrics</c>).
/// </summary>
public abstract class Metric
{
    /// <summary>The names a string converts from.</summary>
    internal static readonly string[] KnownNames =
    [
        "accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy", "mae", "mean_absolute_error", "mse", "mean_squared_error", "rmse", "root_mean_squared_error",
        "mape", "mean_absolute_percentage_error", "auc", "precision", "recall", "f1_score", "r2_score",
    ];

    private protected Metric(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The name the metric is logged under (Keras's <c>metric.name</c>).</summary>
    public string Name { get; }

    /// <summary>Converts a Keras metric name to the metric with Keras's defaults.</summary>
    /// <param name="name">A Keras name (see <see cref="FromName"/>).</param>
    /// <returns>The metric.</returns>
    public static implicit operator Metric(string name) => FromName(name);

    /// <summary>
    /// The metric of a Keras name: <c>accuracy</c> (<c>acc</c>; resolved per output from its loss, as Keras does),
    /// <c>binary_accuracy</c>, <c>categorical_accuracy</c>, <c>sparse_categorical_accuracy</c>,
    /// <c>top_k_categorical_accuracy</c>, <c>sparse_top_k_categorical_accuracy</c>, <c>mae</c>, <c>mse</c>, <c>rmse</c>,
    /// <c>mape</c> (and the long names), <c>auc</c>, <c>precision</c>, <c>recall</c>, <c>f1_score</c>, <c>r2_score</c>.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <returns>The metric.</returns>
    /// <exception cref="ArgumentException">The name is not one of those.</exception>
    public static Metric FromName(string name) => name switch
    {
        null => throw new ArgumentNullException(nameof(name)),
        "accuracy" or "acc" => new Accuracy(name),
        "binary_accuracy" => new BinaryAccuracy(),
        "categorical_accuracy" => new CategoricalAccuracy(),
        "sparse_categorical_accuracy" => new SparseCategoricalAccuracy(),
        "top_k_categorical_accuracy" => new TopKCategoricalAccuracy(),
        "sparse_top_k_categorical_accuracy" => new SparseTopKCategoricalAccuracy(),
        "mae" or "mean_absolute_error" => new MeanAbsoluteErrorMetric(name),
        "mse" or "mean_squared_error" => new MeanSquaredErrorMetric(name),
        "rmse" or "root_mean_squared_error" => new RootMeanSquaredError(name),
        "mape" or "mean_absolute_percentage_error" => new MeanAbsolutePercentageErrorMetric(name),
        "auc" => new AUC(),
        "precision" => new Precision(),
        "recall" => new Recall(),
        "f1_score" => new F1Score(),
        "r2_score" => new R2Score(),
        _ => throw new ArgumentException(
            $"Unknown metric '{name}'. Known metrics: {string.Join(", ", Array.ConvertAll(KnownNames, n => $"'{n}'"))}.", nameof(name)),
    };

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>A fresh state of this metric for one output.</summary>
    /// <param name="loss">The output's loss (Keras resolves <c>accuracy</c> from it).</param>
    /// <param name="columns">The output's last axis.</param>
    internal abstract MetricState Create(Loss loss, int columns);
}

/// <summary>What a metric accumulates over an epoch for one output.</summary>
internal abstract class MetricState
{
    /// <summary>Adds rows of predictions and targets ([rows, cols]; a sparse target is one class index per row), each row
    /// counting with its weight (Keras's <c>sample_weight</c> of a weighted metric), or 1 when <paramref name="weights"/>
    /// is empty.</summary>
    public abstract void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights);

    /// <summary>Row <paramref name="row"/>'s weight: 1 when there are none.</summary>
    protected static double WeightOf(ReadOnlySpan<float> weights, int row) => weights.IsEmpty ? 1 : weights[row];

    /// <summary>The value over everything added since the last reset.</summary>
    public abstract double Result();
}

/// <summary>A metric that is the mean over rows of a per-row value (Keras's <c>MeanMetricWrapper</c>).</summary>
internal sealed class RowMean : MetricState
{
    private readonly Func<ReadOnlySpan<float>, ReadOnlySpan<float>, double> _row;
    private readonly bool _sparse;
    private double _sum;
    private double _count;

    public RowMean(Func<ReadOnlySpan<float>, ReadOnlySpan<float>, double> row, bool sparse = false)
    {
        _row = row;
        _sparse = sparse;
    }

    public override void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights)
    {
        int width = _sparse ? 1 : cols;
        for (int r = 0; r < rows; r++)
        {
            double weight = WeightOf(weights, r);
            if (weight != 0)
            {
                _sum += weight * _row(predictions.Slice(r * cols, cols), targets.Slice(r * width, width));
                _count += weight;
            }
        }
    }

    public override double Result() => _count == 0 ? 0 : _sum / _count;

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    /// <summary>The top-k accuracy of one-hot (arg-max) or sparse (index) targets.</summary>
    public static RowMean TopK(int k, bool sparse)
        => new((p, t) => InTopK(p, sparse ? (int)t[0] : ArgMax(t), k) ? 1 : 0, sparse);

    /// <summary>Keras's in_top_k: the target class scores among the k highest (ties count in its favour).</summary>
    public static bool InTopK(ReadOnlySpan<float> p, int target, int k)
    {
        if ((uint)target >= (uint)p.Length)
        {
            return false;
        }

        int higher = 0;
        for (int i = 0; i < p.Length; i++)
        {
            higher += p[i] > p[target] ? 1 : 0;
        }

        return higher < k;
    }
}

/// <summary>Keras's <c>"accuracy"</c>: binary for binary cross-entropy or a last axis of 1, sparse categorical for sparse
/// categorical cross-entropy, categorical otherwise (Keras's <c>get_metric</c> resolution). For
/// <c>BinaryCrossentropy(fromLogits: true)</c> the threshold is 0 on the logit (σ(z) &gt; 0.5 ⇔ z &gt; 0).</summary>
public sealed class Accuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name it is logged under (<c>accuracy</c> or <c>acc</c>).</param>
    public Accuracy(string name = "accuracy")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => loss switch
    {
        BinaryCrossentropy bce => new BinaryAccuracy(threshold: bce.FromLogits ? 0f : 0.5f).Create(loss, columns),
        _ when columns == 1 => new BinaryAccuracy().Create(loss, columns),
        SparseCategoricalCrossentropy => new SparseCategoricalAccuracy().Create(loss, columns),
        _ => new CategoricalAccuracy().Create(loss, columns),
    };
}

/// <summary>Keras's <c>BinaryAccuracy(threshold)</c>: the share of elements whose thresholded prediction equals the target.</summary>
public sealed class BinaryAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it count as 1.</param>
    /// <param name="name">The logged name.</param>
    public BinaryAccuracy(float threshold = 0.5f, string name = "binary_accuracy")
        : base(name) => Threshold = threshold;

    /// <summary>Predictions above it count as 1.</summary>
    public float Threshold { get; }

    internal override MetricState Create(Loss loss, int columns)
    {
        float threshold = Threshold;
        return new RowMean((p, t) =>
        {
            int hits = 0;
            for (int i = 0; i < p.Length; i++)
            {
                hits += (p[i] > threshold ? 1f : 0f) == t[i] ? 1 : 0;
            }

            return (double)hits / p.Length;
        });
    }
}

/// <summary>Keras's <c>CategoricalAccuracy</c>: the arg-max of the prediction is the arg-max of the one-hot target.</summary>
public sealed class CategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public CategoricalAccuracy(string name = "categorical_accuracy")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new RowMean((p, t) => RowMean.ArgMax(p) == RowMean.ArgMax(t) ? 1 : 0);
}

/// <summary>Keras's <c>SparseCategoricalAccuracy</c>: the arg-max of the prediction is the class index.</summary>
public sealed class SparseCategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new RowMean((p, t) => RowMean.ArgMax(p) == t[0] ? 1 : 0, sparse: true);
}

/// <summary>Keras's <c>TopKCategoricalAccuracy(k)</c>: the one-hot target's class is among the k highest predictions.</summary>
public sealed class TopKCategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the highest predictions count.</param>
    /// <param name="name">The logged name.</param>
    public TopKCategoricalAccuracy(int k = 5, string name = "top_k_categorical_accuracy")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
    }

    /// <summary>How many of the highest predictions count.</summary>
    public int K { get; }

    internal override MetricState Create(Loss loss, int columns) => RowMean.TopK(K, sparse: false);
}

/// <summary>Keras's <c>SparseTopKCategoricalAccuracy(k)</c>: the class index is among the k highest predictions.</summary>
public sealed class SparseTopKCategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the highest predictions count.</param>
    /// <param name="name">The logged name.</param>
    public SparseTopKCategoricalAccuracy(int k = 5, string name = "sparse_top_k_categorical_accuracy")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
    }

    /// <summary>How many of the highest predictions count.</summary>
    public int K { get; }

    internal override MetricState Create(Loss loss, int columns) => RowMean.TopK(K, sparse: true);
}

/// <summary>Keras's <c>MeanAbsoluteError</c> metric.</summary>
public sealed class MeanAbsoluteErrorMetric : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public MeanAbsoluteErrorMetric(string name = "mean_absolute_error")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new RowMean((p, t) =>
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            sum += Math.Abs((double)p[i] - t[i]);
        }

        return sum / p.Length;
    });
}

/// <summary>Keras's <c>MeanSquaredError</c> metric.</summary>
public sealed class MeanSquaredErrorMetric : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public MeanSquaredErrorMetric(string name = "mean_squared_error")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new RowMean(SquaredError);

    internal static double SquaredError(ReadOnlySpan<float> p, ReadOnlySpan<float> t)
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double d = (double)p[i] - t[i];
            sum += d * d;
        }

        return sum / p.Length;
    }
}

/// <summary>Keras's <c>RootMeanSquaredError</c>: the square root of the epoch's mean squared error.</summary>
public sealed class RootMeanSquaredError : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public RootMeanSquaredError(string name = "root_mean_squared_error")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new Root(new RowMean(MeanSquaredErrorMetric.SquaredError));

    private sealed class Root(MetricState inner) : MetricState
    {
        public override void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights)
            => inner.Update(predictions, targets, rows, cols, weights);

        public override double Result() => Math.Sqrt(inner.Result());
    }
}

/// <summary>Keras's <c>MeanAbsolutePercentageError</c> metric: 100 · |t − p| / max(|t|, ε).</summary>
public sealed class MeanAbsolutePercentageErrorMetric : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public MeanAbsolutePercentageErrorMetric(string name = "mean_absolute_percentage_error")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new RowMean((p, t) =>
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            sum += Math.Abs((double)t[i] - p[i]) / Math.Max(Math.Abs((double)t[i]), Loss.Epsilon);
        }

        return 100 * sum / p.Length;
    });
}
