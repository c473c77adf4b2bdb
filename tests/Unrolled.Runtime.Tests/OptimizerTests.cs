using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Each optimizer's first three steps against Keras 3's update formulas, written out here in double. 21 weights cover
/// both the SIMD blocks and the scalar remainder of the update loops.
/// </summary>
public class OptimizerTests
{
    private const int N = 21;

    [Theory]
    [InlineData(0.1f, 0f, false)]
    [InlineData(0.05f, 0.9f, false)]
    [InlineData(0.05f, 0.9f, true)]
    public void SgdMatchesKeras(float lr, float momentum, bool nesterov)
    {
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        var m = new double[N];
        Check(new SGD(lr, momentum, nesterov), w, grads, expected, (g, t) =>
        {
            for (int i = 0; i < N; i++)
            {
                if (momentum == 0)
                {
                    expected[i] -= lr * g[i];
                    continue;
                }

                m[i] = (momentum * m[i]) - (lr * g[i]);
                expected[i] += nesterov ? (momentum * m[i]) - (lr * g[i]) : m[i];
            }
        });
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0.5f, false)]
    [InlineData(0f, true)]
    [InlineData(0.3f, true)]
    public void RmspropMatchesKeras(float momentum, bool centered)
    {
        const double lr = 0.01, rho = 0.9, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        var v = new double[N];
        var a = new double[N];
        var m = new double[N];
        Check(new RMSprop(0.01f, 0.9f, momentum, 1e-7f, centered), w, grads, expected, (g, t) =>
        {
            for (int i = 0; i < N; i++)
            {
                v[i] = (rho * v[i]) + ((1 - rho) * g[i] * g[i]);
                double denominator;
                if (centered)
                {
                    a[i] = (rho * a[i]) + ((1 - rho) * g[i]);
                    denominator = v[i] - (a[i] * a[i]) + eps;
                }
                else
                {
                    denominator = v[i] + eps;
                }

                double increment = lr * g[i] / Math.Sqrt(denominator);
                if (momentum > 0)
                {
                    m[i] = (momentum * m[i]) + increment;
                    expected[i] -= m[i];
                }
                else
                {
                    expected[i] -= increment;
                }
            }
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamMatchesKeras(bool amsgrad)
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        var m = new double[N];
        var v = new double[N];
        var vHat = new double[N];
        Check(new Adam(0.01f, amsgrad: amsgrad), w, grads, expected, (g, t) =>
        {
            double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
            for (int i = 0; i < N; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - b1);
                v[i] += ((g[i] * g[i]) - v[i]) * (1 - b2);
                double vv = v[i];
                if (amsgrad)
                {
                    vHat[i] = Math.Max(vHat[i], v[i]);
                    vv = vHat[i];
                }

                expected[i] -= alpha * m[i] / (Math.Sqrt(vv) + eps);
            }
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamWDecaysTheWeightsThenStepsAsAdam(bool amsgrad)
    {
        const double lr = 0.01, wd = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        double[] m = new double[N], v = new double[N], vHat = new double[N];
        Check(new AdamW(0.01f, 0.05f, amsgrad: amsgrad), w, grads, expected, (g, t) =>
        {
            double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
            for (int i = 0; i < N; i++)
            {
                expected[i] -= expected[i] * wd * lr;
                m[i] += (g[i] - m[i]) * (1 - b1);
                v[i] += ((g[i] * g[i]) - v[i]) * (1 - b2);
                vHat[i] = Math.Max(vHat[i], v[i]);
                expected[i] -= alpha * m[i] / (Math.Sqrt(amsgrad ? vHat[i] : v[i]) + eps);
            }
        });
    }

    [Fact]
    public void AdagradMatchesKeras()
    {
        const double lr = 0.05, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        var a = new double[N];
        Array.Fill(a, 0.1);
        Check(new Adagrad(0.05f), w, grads, expected, (g, t) =>
        {
            for (int i = 0; i < N; i++)
            {
                a[i] += g[i] * g[i];
                expected[i] -= lr * g[i] / Math.Sqrt(a[i] + eps);
            }
        });
    }

    [Fact]
    public void AdadeltaMatchesKeras()
    {
        const double lr = 1.0, rho = 0.95, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        double[] eg = new double[N], ed = new double[N];
        Check(new Adadelta(1f), w, grads, expected, (g, t) =>
        {
            for (int i = 0; i < N; i++)
            {
                eg[i] = (rho * eg[i]) + ((1 - rho) * g[i] * g[i]);
                double delta = -Math.Sqrt(ed[i] + eps) / Math.Sqrt(eg[i] + eps) * g[i];
                ed[i] = (rho * ed[i]) + ((1 - rho) * delta * delta);
                expected[i] += lr * delta;
            }
        });
    }

    [Fact]
    public void AdamaxMatchesKeras()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        double[] m = new double[N], u = new double[N];
        Check(new Adamax(0.01f), w, grads, expected, (g, t) =>
        {
            for (int i = 0; i < N; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - b1);
                u[i] = Math.Max(b2 * u[i], Math.Abs(g[i]));
                expected[i] -= lr * m[i] / ((1 - Math.Pow(b1, t)) * (u[i] + eps));
            }
        });
    }

    [Fact]
    public void NadamMatchesKeras()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        double[] m = new double[N], v = new double[N];
        double product = 1;
        double Mu(double step) => b1 * (1 - (0.5 * Math.Pow(0.96, step))); // keras/src/optimizers/nadam.py
        Check(new Nadam(0.01f), w, grads, expected, (g, t) =>
        {
            double ut = Mu(t), utNext = Mu(t + 1);
            product *= ut;
            double productNext = product * utNext;
            for (int i = 0; i < N; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - b1);
                v[i] += ((g[i] * g[i]) - v[i]) * (1 - b2);
                double mHat = (utNext * m[i] / (1 - productNext)) + ((1 - ut) * g[i] / (1 - product));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                expected[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        });
    }

    [Fact]
    public void LionMatchesKeras()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.99;
        var (w, grads) = Problem();
        var expected = ToDouble(w);
        var m = new double[N];
        Check(new Lion(0.01f), w, grads, expected, (g, t) =>
        {
            for (int i = 0; i < N; i++)
            {
                expected[i] -= lr * Math.Sign((b1 * m[i]) + ((1 - b1) * g[i]));
                m[i] = (b2 * m[i]) + ((1 - b2) * g[i]);
            }
        });
    }

    /// <summary>Keras's clipvalue, clipnorm (per weight tensor) and global_clipnorm on an SGD step of rate 1, so the update
    /// is the clipped gradient itself; the model's own gradients are left as they are.</summary>
    [Fact]
    public void Gradients_are_clipped_as_Keras_clips_them()
    {
        float[] g = [3f, 4f, 0f, 0.3f, -0.4f];        // tensor 1: norm 5; tensor 2: norm 0.5
        (int, int)[] tensors = [(0, 3), (3, 2)];
        float[] Step(Optimizer optimizer)
        {
            float[] w = new float[5];
            float[] gradients = (float[])g.Clone();
            optimizer.Build(new object(), 5, tensors);
            optimizer.Apply(w, gradients);
            Assert.Equal(g, gradients);
            return Array.ConvertAll(w, v => -v);
        }

        Assert.Equal([1f, 1f, 0f, 0.3f, -0.4f], Step(new SGD(1f) { ClipValue = 1f }));
        var perTensor = Step(new SGD(1f) { ClipNorm = 1f });                  // the first scaled to norm 1, the second kept
        Assert.Equal([0.6f, 0.8f, 0f, 0.3f, -0.4f], perTensor.Select(v => MathF.Round(v, 6)).ToArray());
        double global = Math.Sqrt(25 + 0.25);                                 // all five: norm √25.25, scaled to 2
        var together = Step(new SGD(1f) { GlobalClipNorm = 2f });
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(g[i] * 2 / global, together[i], 5);
        }

        Assert.Equal(g, Step(new SGD(1f) { GlobalClipNorm = 100f }));       // shorter than the limit: unchanged
        Assert.Throws<ArgumentException>(() => Step(new SGD(1f) { ClipNorm = 1f, ClipValue = 1f }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { ClipNorm = 0f });
    }

    [Fact]
    public void FtrlMatchesKeras()
    {
        // keras/src/optimizers/ftrl.py's update_step, written out in double.
        var (w, grads) = Problem();
        const double lr = 0.1, power = 0.5, l1 = 0.05, l2 = 0.02, shrink = 0.01, beta = 0.3, initial = 0.1;
        double[] x = ToDouble(w), n = Enumerable.Repeat(initial, N).ToArray(), z = new double[N];
        Check(new Ftrl(0.1f, -0.5f, 0.1f, 0.05f, 0.02f, 0.01f, 0.3f), w, grads, x, (g, _) =>
        {
            double l2Total = l2 + (beta / (2 * lr));
            for (int i = 0; i < N; i++)
            {
                double next = n[i] + (g[i] * g[i]);
                z[i] += g[i] + (2 * shrink * x[i]) - ((Math.Pow(next, power) - Math.Pow(n[i], power)) / lr * x[i]);
                double quadratic = (Math.Pow(next, power) / lr) + (2 * l2Total);
                x[i] = (Math.Clamp(z[i], -l1, l1) - z[i]) / quadratic;
                n[i] = next;
            }
        });
        Assert.IsType<Ftrl>((Optimizer)"ftrl");
        Assert.Throws<ArgumentOutOfRangeException>(() => new Ftrl(learningRatePower: 0.5f));
    }

    [Fact]
    public void Every_optimizer_takes_Keras_weight_decay_before_its_step()
    {
        // Keras 3's base optimizer: w −= w · wd · lr, then the optimizer's own update (here SGD: w −= lr · g).
        var (w, grads) = Problem();
        double[] x = ToDouble(w);
        Check(new SGD(0.1f) { WeightDecay = 0.2f }, w, grads, x, (g, _) =>
        {
            for (int i = 0; i < N; i++)
            {
                x[i] -= x[i] * 0.2 * 0.1;
                x[i] -= 0.1 * g[i];
            }
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { WeightDecay = -0.1f });
        Assert.Contains(("weight_decay", (double)0.2f), new SGD { WeightDecay = 0.2f }.Hyperparameters);
    }

    [Fact]
    public void The_moving_average_follows_Keras_use_ema_and_can_overwrite_the_weights()
    {
        // Keras: after each update avg ← m·avg + (1 − m)·w, with m = 0 at the first update; every k updates w ← avg.
        var (w, grads) = Problem();
        double[] x = ToDouble(w), average = new double[N];
        var sgd = new SGD(0.1f) { UseEma = true, EmaMomentum = 0.9f, EmaOverwriteFrequency = 2 };
        Check(sgd, w, grads, x, (g, step) =>
        {
            double m = step == 1 ? 0 : 0.9;
            for (int i = 0; i < N; i++)
            {
                x[i] -= 0.1 * g[i];
                average[i] = (m * average[i]) + ((1 - m) * x[i]);
                if (step % 2 == 0)
                {
                    x[i] = average[i];
                }
            }
        });
        var (name, values) = sgd.StateBuffers.Single(b => b.Name == "average");
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(average[i], values[i], 5);
        }
    }

    [Fact]
    public void NewOptimizersConvertFromTheirNamesWithKerasDefaults()
    {
        var adamw = Assert.IsType<AdamW>((Optimizer)"AdamW");
        Assert.Equal((0.001f, 0.004f), (adamw.LearningRate, adamw.WeightDecay!.Value));
        Assert.Equal(0.1f, Assert.IsType<Adagrad>((Optimizer)"adagrad").InitialAccumulatorValue);
        Assert.Equal(0.95f, Assert.IsType<Adadelta>((Optimizer)"adadelta").Rho);
        Assert.IsType<Adamax>((Optimizer)"adamax");
        Assert.IsType<Nadam>((Optimizer)"nadam");
        Assert.Equal((0.9f, 0.99f), (Assert.IsType<Lion>((Optimizer)"lion").Beta1, new Lion().Beta2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(weightDecay: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adadelta(rho: 1f));
    }

    [Fact]
    public void DefaultsAreKeras3s()
    {
        var sgd = new SGD();
        Assert.Equal((0.01f, 0f, false), (sgd.LearningRate, sgd.Momentum, sgd.Nesterov));
        var rms = new RMSprop();
        Assert.Equal((0.001f, 0.9f, 0f, 1e-7f, false), (rms.LearningRate, rms.Rho, rms.Momentum, rms.Epsilon, rms.Centered));
        var adam = new Adam();
        Assert.Equal((0.001f, 0.9f, 0.999f, 1e-7f, false), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.Amsgrad));
        Assert.IsType<Adam>((Optimizer)"adam");
        Assert.IsType<SGD>((Optimizer)"SGD");
        Assert.IsType<RMSprop>((Optimizer)"rmsprop");
        Assert.Contains("'adafactor'", Assert.Throws<ArgumentException>(() => (Optimizer)"adagrid").Message); // the known names are listed
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD(momentum: 1.5f));
    }

    [Fact]
    public void UpdateAllocatesNothing()
    {
        var (w, grads) = Problem();
        foreach (Optimizer optimizer in new Optimizer[]
        {
            new SGD(0.1f, 0.9f, true), new RMSprop(centered: true, momentum: 0.5f), new Adam(amsgrad: true), new AdamW(), new Adagrad(), new Adadelta(),
            new Adamax(), new Nadam(), new Lion(), new Ftrl(), new Adafactor(), new SGD(0.1f) { ClipNorm = 1f }, new Adam { GlobalClipNorm = 1f, Schedule = new CosineDecay(0.01, 100) },
        })
        {
            optimizer.Build(this, N);
            optimizer.Apply(w, grads[0]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                optimizer.Apply(w, grads[1]);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(11, optimizer.Iterations);
        }
    }

    [Fact]
    public void Adafactor_follows_Keras_3_step_by_step_with_factored_rows_and_columns()
    {
        // Three weight tensors as a model has them: a matrix, a vector and a stack of two matrices.
        (int Offset, int[] Shape)[] tensors = [(0, [2, 3]), (6, [4]), (10, [2, 2, 3])];
        const int count = 22;
        var random = new Random(7);
        float[] w = Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[][] grads = Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, count)
            .Select(i => (float)(((random.NextDouble() * 2) - 1) * (1 + (i % 3)) * (s == 1 ? 5 : 1))).ToArray()).ToArray();
        var optimizer = new Adafactor(learningRate: 0.5f);
        optimizer.Build(new object(), count, Array.ConvertAll(tensors, t => (t.Offset, t.Shape.Aggregate(1, (a, b) => a * b))), null,
            Array.ConvertAll(tensors, t => t.Shape));

        // Keras 3's update_step, written out per tensor in double.
        double[] x = ToDouble(w);
        var r = new Dictionary<int, double[]>();
        var c = new Dictionary<int, double[]>();
        var v = new Dictionary<int, double[]>();
        for (int step = 1; step <= 3; step++)
        {
            optimizer.Apply(w, grads[step - 1]);
            foreach (var (offset, shape) in tensors)
            {
                int size = shape.Aggregate(1, (a, b) => a * b);
                double[] g = Enumerable.Range(offset, size).Select(i => (double)grads[step - 1][i]).ToArray();
                double[] var = x.Skip(offset).Take(size).ToArray();
                double rho = Math.Min(0.5, 1 / Math.Sqrt(step));
                double alpha = Math.Max(1e-3, Math.Sqrt(var.Average(z => z * z))) * rho;
                double beta = 1 - Math.Pow(step, -0.8);
                double[] reg = g.Select(z => (z * z) + 1e-30).ToArray();
                double[] velocity;
                if (shape.Length >= 2)
                {
                    int n = shape[^1], m = shape[^2], blocks = size / (m * n);
                    double[] rowMeans = Enumerable.Range(0, blocks * m).Select(k => Enumerable.Range(0, n).Average(j => reg[(k * n) + j])).ToArray();
                    double[] columnMeans = Enumerable.Range(0, blocks * n)
                        .Select(k => Enumerable.Range(0, m).Average(i => reg[((k / n) * m * n) + (i * n) + (k % n)])).ToArray();
                    r[offset] = r.TryGetValue(offset, out var rOld) ? rOld.Zip(rowMeans, (a, b) => (beta * a) + ((1 - beta) * b)).ToArray() : rowMeans;
                    c[offset] = c.TryGetValue(offset, out var cOld) ? cOld.Zip(columnMeans, (a, b) => (beta * a) + ((1 - beta) * b)).ToArray() : columnMeans;
                    velocity = new double[size];
                    for (int b = 0; b < blocks; b++)
                    {
                        double mean = Enumerable.Range(0, m).Average(i => r[offset][(b * m) + i]);
                        for (int i = 0; i < m; i++)
                        {
                            for (int j = 0; j < n; j++)
                            {
                                velocity[(b * m * n) + (i * n) + j] = r[offset][(b * m) + i] / mean * c[offset][(b * n) + j];
                            }
                        }
                    }
                }
                else
                {
                    velocity = v.TryGetValue(offset, out var old) ? old.Zip(reg, (a, b) => (beta * a) + ((1 - beta) * b)).ToArray() : reg;
                    v[offset] = velocity;
                }

                double[] u = g.Zip(velocity, (a, b) => a / Math.Sqrt(b)).ToArray();
                double rms = Math.Sqrt(u.Average(z => z * z));
                for (int i = 0; i < size; i++)
                {
                    x[offset + i] -= alpha * u[i] / Math.Max(1, rms / 1.0);
                }
            }

            for (int i = 0; i < count; i++)
            {
                Assert.True(Math.Abs(x[i] - w[i]) <= 1e-5 * (1 + Math.Abs(x[i])), $"step {step} weight {i}: expected {x[i]}, got {w[i]}");
            }
        }

        Assert.IsType<Adafactor>((Optimizer)"adafactor");
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(beta2Decay: 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adafactor(clipThreshold: 0));
    }

    private static void Check(Optimizer optimizer, float[] w, float[][] grads, double[] expected, Action<float[], int> reference)
    {
        optimizer.Build(new object(), N);
        for (int step = 1; step <= 3; step++)
        {
            optimizer.Apply(w, grads[step - 1]);
            reference(grads[step - 1], step);
            for (int i = 0; i < N; i++)
            {
                Assert.True(Math.Abs(expected[i] - w[i]) <= 1e-5 * (1 + Math.Abs(expected[i])),
                    $"{optimizer.Name} step {step} weight {i}: expected {expected[i]}, got {w[i]}");
            }
        }

        Assert.Equal(3, optimizer.Iterations);
    }

    private static (float[] Weights, float[][] Gradients) Problem()
    {
        var random = new Random(42);
        var w = new float[N];
        var grads = new float[3][];
        for (int i = 0; i < N; i++)
        {
            w[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int s = 0; s < 3; s++)
        {
            grads[s] = new float[N];
            for (int i = 0; i < N; i++)
            {
                // Varied magnitudes and signs, including a sign flip between steps for the momentum terms.
                grads[s][i] = (float)(((random.NextDouble() * 2) - 1) * (1 + (i % 4)));
            }
        }

        return (w, grads);
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);
}
