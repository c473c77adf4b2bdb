using System;

namespace Unrolled;

/// <summary>Keras's <c>Precision(thresholds)</c>: TP / (TP + FP) over the epoch, each element a binary prediction
/// (above the threshold is positive), as Keras counts them.</summary>
public sealed class Precision : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it are positive.</param>
    /// <param name="name">The logged name.</param>
    public Precision(float threshold = 0.5f, string name = "precision")
        : base(name) => Threshold = threshold;

    /// <summary>Predictions above it are positive.</summary>
    public float Threshold { get; }

    internal override MetricState Create(Loss loss, int columns) => new Counts(Threshold, recall: false, sparse: loss.IsSparse);

    internal sealed class Counts(float threshold, bool recall, bool sparse) : MetricState
    {
        private double _tp, _fp, _fn;

        public override void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights)
        {
            for (int r = 0; r < rows; r++)
            {
                double weight = WeightOf(weights, r);
                for (int c = 0; c < cols; c++)
                {
                    bool predicted = predictions[(r * cols) + c] > threshold;
                    bool actual = sparse ? (int)targets[r] == c : targets[(r * cols) + c] >= 0.5f;
                    _tp += predicted && actual ? weight : 0;
                    _fp += predicted && !actual ? weight : 0;
                    _fn += !predicted && actual ? weight : 0;
                }
            }
        }

        public override double Result()
        {
            double denominator = recall ? _tp + _fn : _tp + _fp;
            return denominator == 0 ? 0 : _tp / denominator;
        }
    }
}

/// <summary>Keras's <c>Recall(thresholds)</c>: TP / (TP + FN) over the epoch, each element a binary prediction.</summary>
public sealed class Recall : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it are positive.</param>
    /// <param name="name">The logged name.</param>
    public Recall(float threshold = 0.5f, string name = "recall")
        : base(name) => Threshold = threshold;

    /// <summary>Predictions above it are positive.</summary>
    public float Threshold { get; }

    internal override MetricState Create(Loss loss, int columns) => new Precision.Counts(Threshold, recall: true, sparse: loss.IsSparse);
}

/// <summary>How <see cref="F1Score"/> combines its classes.</summary>
public enum F1Average
{
    /// <summary>The unweighted mean of the classes' F1 scores.</summary>
    Macro,

    /// <summary>F1 of the counts summed over the classes.</summary>
    Micro,

    /// <summary>The classes' F1 scores weighted by their number of true instances.</summary>
    Weighted,
}

/// <summary>
/// Keras's <c>F1Score(average, threshold)</c>: per class, 2·TP / (2·TP + FP + FN) over the epoch, then averaged. Without a
/// threshold each row's arg-max is its positive class (Keras's <c>threshold=None</c>); with one, every element above it is
/// positive. Keras's default <c>average=None</c> logs one value per class; a log holds one number, so the default here is
/// the macro average.
/// </summary>
public sealed class F1Score : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="average">How classes combine.</param>
    /// <param name="threshold">Null: each row's arg-max is positive; else elements above it are.</param>
    /// <param name="name">The logged name.</param>
    public F1Score(F1Average average = F1Average.Macro, float? threshold = null, string name = "f1_score")
        : base(name)
    {
        Average = average;
        Threshold = threshold;
    }

    /// <summary>How classes combine.</summary>
    public F1Average Average { get; }

    /// <summary>The threshold, or null for the arg-max.</summary>
    public float? Threshold { get; }

    internal override MetricState Create(Loss loss, int columns) => new State(this, columns, loss.IsSparse);

    private sealed class State(F1Score metric, int columns, bool sparse) : MetricState
    {
        private readonly double[] _tp = new double[columns], _fp = new double[columns], _fn = new double[columns];

        public override void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights)
        {
            for (int r = 0; r < rows; r++)
            {
                var p = predictions.Slice(r * cols, cols);
                int best = RowMean.ArgMax(p);
                double weight = WeightOf(weights, r);
                for (int c = 0; c < cols; c++)
                {
                    bool predicted = metric.Threshold is float t ? p[c] > t : c == best;
                    bool actual = sparse ? (int)targets[r] == c : targets[(r * cols) + c] >= 0.5f;
                    _tp[c] += predicted && actual ? weight : 0;
                    _fp[c] += predicted && !actual ? weight : 0;
                    _fn[c] += !predicted && actual ? weight : 0;
                }
            }
        }

        public override double Result()
        {
            if (metric.Average == F1Average.Micro)
            {
                double tp = Sum(_tp), fp = Sum(_fp), fn = Sum(_fn);
                return F1(tp, fp, fn);
            }

            double total = 0, weights = 0;
            for (int c = 0; c < _tp.Length; c++)
            {
                double weight = metric.Average == F1Average.Weighted ? _tp[c] + _fn[c] : 1;
                total += weight * F1(_tp[c], _fp[c], _fn[c]);
                weights += weight;
            }

            return weights == 0 ? 0 : total / weights;
        }

        private static double F1(double tp, double fp, double fn) => tp == 0 ? 0 : 2 * tp / ((2 * tp) + fp + fn);

        private static double Sum(double[] values)
        {
            double sum = 0;
            foreach (double v in values)
            {
                sum += v;
            }

            return sum;
        }
    }
}

/// <summary>The curve <see cref="AUC"/> integrates.</summary>
public enum AucCurve
{
    /// <summary>The receiver operating characteristic: recall against the false-positive rate.</summary>
    ROC,

    /// <summary>Precision against recall.</summary>
    PR,
}

/// <summary>
/// Keras's <c>AUC(num_thresholds=200, curve)</c>: true and false positives and negatives counted over the epoch at
/// <see cref="NumThresholds"/> thresholds (0 − ε, evenly spaced ones, 1 + ε; every element a binary prediction, as
/// Keras's <c>multi_label=False</c>), then the curve integrated as Keras's <c>summation_method="interpolation"</c>: the
/// trapezoidal rule for ROC, Davis and Goadrich's interpolation for PR. An approximation of the exact area that tightens
/// with more thresholds.
/// </summary>
public sealed class AUC : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="numThresholds">How many thresholds; more than 1.</param>
    /// <param name="curve">ROC or PR.</param>
    /// <param name="name">The logged name.</param>
    public AUC(int numThresholds = 200, AucCurve curve = AucCurve.ROC, string name = "auc")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numThresholds, 2);
        NumThresholds = numThresholds;
        Curve = curve;
    }

    /// <summary>How many thresholds.</summary>
    public int NumThresholds { get; }

    /// <summary>The curve.</summary>
    public AucCurve Curve { get; }

    internal override MetricState Create(Loss loss, int columns) => new State(this, loss.IsSparse);

    private sealed class State : MetricState
    {
        private readonly AUC _metric;
        private readonly bool _sparse;
        private readonly float[] _thresholds;
        private readonly double[] _tp, _fp, _tn, _fn;

        public State(AUC metric, bool sparse)
        {
            _metric = metric;
            _sparse = sparse;
            int n = metric.NumThresholds;
            // Keras: [0 − ε] + [(i + 1) / (n − 1) for i in range(n − 2)] + [1 + ε], in float32.
            _thresholds = new float[n];
            _thresholds[0] = -1e-7f;
            for (int i = 0; i < n - 2; i++)
            {
                _thresholds[i + 1] = (float)((i + 1) * 1.0 / (n - 1));
            }

            _thresholds[n - 1] = 1f + 1e-7f;
            _tp = new double[n];
            _fp = new double[n];
            _tn = new double[n];
            _fn = new double[n];
        }

        public override void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights)
        {
            for (int r = 0; r < rows; r++)
            {
                double weight = WeightOf(weights, r);
                for (int c = 0; c < cols; c++)
                {
                    float p = predictions[(r * cols) + c];
                    bool actual = _sparse ? (int)targets[r] == c : targets[(r * cols) + c] >= 0.5f;
                    for (int k = 0; k < _thresholds.Length; k++)
                    {
                        bool predicted = p > _thresholds[k];
                        if (actual)
                        {
                            (predicted ? ref _tp[k] : ref _fn[k]) += weight;
                        }
                        else
                        {
                            (predicted ? ref _fp[k] : ref _tn[k]) += weight;
                        }
                    }
                }
            }
        }

        public override double Result() => _metric.Curve == AucCurve.ROC ? Roc() : Pr();

        private double Roc()
        {
            int n = _thresholds.Length;
            double area = 0;
            for (int k = 0; k < n - 1; k++)
            {
                double recall0 = Divide(_tp[k], _tp[k] + _fn[k]), recall1 = Divide(_tp[k + 1], _tp[k + 1] + _fn[k + 1]);
                double fpr0 = Divide(_fp[k], _fp[k] + _tn[k]), fpr1 = Divide(_fp[k + 1], _fp[k + 1] + _tn[k + 1]);
                area += (fpr0 - fpr1) * (recall0 + recall1) / 2;
            }

            return area;
        }

        /// <summary>Keras's interpolate_pr_auc (Davis and Goadrich 2006).</summary>
        private double Pr()
        {
            int n = _thresholds.Length;
            double area = 0;
            for (int k = 0; k < n - 1; k++)
            {
                double dtp = _tp[k] - _tp[k + 1];
                double p0 = _tp[k] + _fp[k], p1 = _tp[k + 1] + _fp[k + 1];
                double dp = p0 - p1;
                double slope = Divide(dtp, Math.Max(dp, 0));
                double intercept = _tp[k + 1] - (slope * p1);
                double ratio = p0 > 0 && p1 > 0 ? Divide(p0, Math.Max(p1, 0)) : 1;
                area += Divide(slope * (dtp + (intercept * Math.Log(ratio))), Math.Max(_tp[k + 1] + _fn[k + 1], 0));
            }

            return area;
        }

        private static double Divide(double a, double b) => b == 0 ? 0 : a / b;
    }
}

/// <summary>
/// Keras's <c>R2Score(class_aggregation="uniform_average")</c>: per output column 1 − SS_res / SS_tot over the epoch, then
/// the mean over the columns.
/// </summary>
public sealed class R2Score : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The logged name.</param>
    public R2Score(string name = "r2_score")
        : base(name)
    {
    }

    internal override MetricState Create(Loss loss, int columns) => new State(columns);

    private sealed class State(int columns) : MetricState
    {
        private readonly double[] _sum = new double[columns], _squares = new double[columns], _residuals = new double[columns];
        private double _count;

        public override void Update(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int rows, int cols, ReadOnlySpan<float> weights)
        {
            for (int r = 0; r < rows; r++)
            {
                double weight = WeightOf(weights, r);
                for (int c = 0; c < cols; c++)
                {
                    double t = targets[(r * cols) + c], d = t - predictions[(r * cols) + c];
                    _sum[c] += weight * t;
                    _squares[c] += weight * t * t;
                    _residuals[c] += weight * d * d;
                }

                _count += weight;
            }
        }

        public override double Result()
        {
            double total = 0;
            for (int c = 0; c < _sum.Length; c++)
            {
                double mean = _sum[c] / _count;
                double ssTot = _squares[c] - (_count * mean * mean);
                total += ssTot == 0 ? (_residuals[c] == 0 ? 1 : 0) : 1 - (_residuals[c] / ssTot);
            }

            return total / _sum.Length;
        }
    }
}
