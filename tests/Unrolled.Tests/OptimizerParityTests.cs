using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Tests;

/// <summary>
/// The optimizers PyTorch also has, step by step against PyTorch's own implementation on the same weights and
/// gradients (tests/torch/optimizers.py, float64): AdamW, Adagrad, Adadelta and Adamax. Epsilon is set to 1e-12 where the
/// two libraries add it in different places (inside or outside a square root, or in Adamax's max), so the comparison
/// sees the update rules themselves. NAdam is not compared: PyTorch 1.13 (Debian's) multiplies μ_t into the next
/// momentum product twice (<c>mu_product_next = mu_product * mu * mu_next</c>, fixed in later releases), so Nadam is
/// checked against Keras's formulas alone (OptimizerTests).
/// </summary>
public class OptimizerParityTests
{
    private readonly ITestOutputHelper _output;

    public OptimizerParityTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Cases() => new[] { "adamw", "adagrad", "adadelta", "adamax" }.Select(n => new object[] { n });

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Steps_match_PyTorchs_optimizer(string name)
    {
        PyTorch.Require();
        const int count = 37, steps = 6;
        var random = new Random(name.Length * 7 + name[0]);
        float[] w = Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[][] gradients = Enumerable.Range(0, steps)
            .Select(s => Enumerable.Range(0, count).Select(i => (float)(((random.NextDouble() * 2) - 1) * (1 + (i % 5)))).ToArray()).ToArray();
        const float eps = 1e-12f;
        (Optimizer Ours, Dictionary<string, double> Settings) = name switch
        {
            "adamw" => ((Optimizer)new AdamW(0.01f, 0.05f, 0.9f, 0.999f, eps), new Dictionary<string, double> { ["lr"] = 0.01, ["weight_decay"] = 0.05, ["beta1"] = 0.9, ["beta2"] = 0.999, ["eps"] = eps }),
            "adagrad" => (new Adagrad(0.05f, 0.1f, eps), new Dictionary<string, double> { ["lr"] = 0.05, ["initial"] = 0.1, ["eps"] = eps }),
            "adadelta" => (new Adadelta(1f, 0.95f, 1e-6f), new Dictionary<string, double> { ["lr"] = 1.0, ["rho"] = 0.95, ["eps"] = 1e-6f }),
            _ => (new Adamax(0.01f, 0.9f, 0.999f, eps), new Dictionary<string, double> { ["lr"] = 0.01, ["beta1"] = 0.9, ["beta2"] = 0.999, ["eps"] = eps }),
        };

        string file = Path.Combine(Path.GetTempPath(), $"unrolled-optimizer-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["name"] = name, ["settings"] = Settings, ["weights"] = w.Select(v => (double)v).ToArray(),
            ["gradients"] = gradients.Select(g => g.Select(v => (double)v).ToArray()).ToArray(),
        }));
        try
        {
            var (code, printed, error) = ExternalProcess.Run(Peer.Python, $"\"{RepositoryFiles.Find("tests/torch/optimizers.py")}\" \"{file}\"");
            Assert.True(code == 0, error);
            using var result = JsonDocument.Parse(printed);
            var theirs = result.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            Ours.Build(new object(), count);
            for (int step = 0; step < steps; step++)
            {
                Ours.Apply(w, gradients[step]);
                for (int i = 0; i < count; i++)
                {
                    Assert.True(Math.Abs(theirs[step][i] - w[i]) <= 2e-6 * (1 + Math.Abs(theirs[step][i])),
                        $"{name} step {step + 1} weight {i}: PyTorch {theirs[step][i]}, Unrolled {w[i]}");
                }
            }

            _output.WriteLine($"{name}: {steps} steps of {count} weights within 2e-6 of PyTorch {result.RootElement.GetProperty("torch").GetString()}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
