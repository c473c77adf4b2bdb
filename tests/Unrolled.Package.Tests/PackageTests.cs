using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace Unrolled.Package.Tests;

/// <summary>The packed Unrolled package, consumed from a local folder source exactly as a user's project would.</summary>
public sealed class PackageTests : IClassFixture<PackedFeed>
{
    private readonly PackedFeed _feed;

    public PackageTests(PackedFeed feed) => _feed = feed;

    [Fact]
    public void The_package_holds_the_runtime_in_lib_and_the_compiler_plugins_in_analyzers()
    {
        using var zip = ZipFile.OpenRead(_feed.PackagePath("Unrolled"));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (string expected in new[]
                 {
                     "lib/net9.0/Unrolled.dll", "lib/net9.0/Unrolled.xml", "lib/net10.0/Unrolled.dll", "lib/net10.0/Unrolled.xml",
                     "analyzers/dotnet/cs/Unrolled.Generator.dll", "analyzers/dotnet/cs/Unrolled.Analyzers.dll",
                     "analyzers/dotnet/cs/Unrolled.CodeFixes.dll", "PACKAGE.md", "LICENSE",
                 })
        {
            Assert.Contains(expected, entries);
        }

        // Nothing of the compiler's own assemblies rides along: the compiler provides Roslyn.
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.CodeAnalysis", StringComparison.Ordinal));

        var nuspec = ReadNuspec(zip);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("Unrolled", metadata.Element(ns + "id")!.Value);
        Assert.Equal(_feed.Version, metadata.Element(ns + "version")!.Value);
        Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
        Assert.Equal("PACKAGE.md", metadata.Element(ns + "readme")!.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
        Assert.Contains("keras", metadata.Element(ns + "tags")!.Value);
        Assert.Equal("git", metadata.Element(ns + "repository")!.Attribute("type")!.Value);
        Assert.StartsWith("https://", metadata.Element(ns + "repository")!.Attribute("url")!.Value);

        // The generator and analyzers are not package dependencies; the runtime's two are (the logging abstractions for
        // Fit's LoggerCallback).
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).Distinct().Order().ToArray();
        Assert.Equal(new[] { "Microsoft.Extensions.Logging.Abstractions", "System.Numerics.Tensors" }, dependencies);
        var groups = metadata.Descendants(ns + "group").Select(g => g.Attribute("targetFramework")!.Value).OrderBy(t => t).ToArray();
        Assert.Equal(new[] { "net10.0", "net9.0" }, groups);
    }

    [Fact]
    public void The_template_package_is_a_template_package_with_its_content()
    {
        using var zip = ZipFile.OpenRead(_feed.PackagePath("Unrolled.Templates"));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("content/UnrolledModel/.template.config/template.json", entries);
        Assert.Contains("content/UnrolledModel/UnrolledModel/Classifier.cs", entries);
        Assert.Contains("content/UnrolledModel/UnrolledModel.Tests/ClassifierTests.cs", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        var nuspec = ReadNuspec(zip);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        Assert.Equal("Template", nuspec.Descendants(ns + "packageType").Single().Attribute("name")!.Value);
    }

    [Fact]
    public void A_project_that_references_the_package_generates_trains_and_predicts()
    {
        string project = WriteConsumer("consumer", ScorerModel, """
            using System;
            using Consumer;
            using Unrolled;

            var model = new Scorer(seed: 7);
            Console.WriteLine(model.Summary());
            var random = new Random(1);
            int n = 256;
            var a = new float[n * Scorer.ASize];
            var b = new float[n * Scorer.BSize];
            var y = new float[n];
            for (int i = 0; i < n; i++)
            {
                float s = 0;
                for (int j = 0; j < Scorer.ASize; j++) { a[i * Scorer.ASize + j] = (float)random.NextDouble() - 0.5f; s += a[i * Scorer.ASize + j]; }
                for (int j = 0; j < Scorer.BSize; j++) { b[i * Scorer.BSize + j] = (float)random.NextDouble() - 0.5f; s -= b[i * Scorer.BSize + j]; }
                y[i] = s > 0 ? 1 : 0;
            }

            model.Compile(new Adam(0.01f), new BinaryCrossentropy(), metrics: ["accuracy"]);
            double before = model.Evaluate(new[] { a, b }, new[] { y })["loss"];
            model.Fit(new[] { a, b }, new[] { y }, epochs: 20, batchSize: 32, verbose: 0);
            double after = model.Evaluate(new[] { a, b }, new[] { y })["loss"];
            Span<float> score = stackalloc float[1];
            model.Predict(a.AsSpan(0, Scorer.ASize), b.AsSpan(0, Scorer.BSize), score, batchSize: 1);
            Console.WriteLine($"loss {before:F4} -> {after:F4}; first score {score[0]:F4}");
            return after < before ? 0 : 3;
            """);

        string output = DotNet.Succeed(project, "run", "-c", "Release");
        Assert.Contains("Total params: 59", output);
        Assert.Contains("loss ", output);
        Assert.True(Directory.Exists(Path.Combine(_feed.RestoredPackage, "analyzers", "dotnet", "cs")),
            "restore should have taken Unrolled " + _feed.Version + " from the local feed\n" + output);
    }

    [Fact]
    public void A_shape_error_in_a_consuming_project_is_reported_at_the_exact_call()
    {
        const string badLine = "        var sum = Add([a, Dense(5)(b)]);";
        string model = """
            using Unrolled;
            using static Unrolled.Layers;

            namespace Consumer;

            public partial class Broken
            {
                [ModelBuilder]
                static Model Build()
                {
                    var a = Input([4], name: "a");
                    var b = Input([6], name: "b");
            BAD_LINE
                    return new Model([a, b], Dense(1)(sum));
                }
            }
            """.Replace("BAD_LINE", badLine);
        // The program uses the model as the template's Program.cs does: with the builder's error, it still compiles.
        const string program = """
            using Consumer;
            using Unrolled;

            var model = new Broken(seed: 42);
            System.Console.WriteLine(model.Summary());
            model.Compile(new Adam(learningRate: 0.01f), "mse", metrics: ["mae"]);
            float[][] x = [new float[4], new float[6]], y = [new float[1]];
            var history = model.Fit(x, y, epochs: 1, verbose: 0);
            var test = model.Evaluate(x, y);
            model.SaveWeights("broken.weights");
            new Broken().LoadWeights("broken.weights");
            System.Console.WriteLine(history.Epochs + test["loss"] + model.Predict(x)[0][0]);
            """;
        string project = WriteConsumer("broken", model, program);

        var (exitCode, output) = DotNet.Run(project, "build", "-c", "Release");
        Assert.NotEqual(0, exitCode);
        int line = Array.IndexOf(model.Split('\n'), badLine) + 1;
        int column = badLine.IndexOf("Dense(5)(b)", StringComparison.Ordinal) + 1;
        Assert.Contains($"Model.cs({line},{column}): error UNR0001", output);
        Assert.Contains("(None, 5)", output);
        Assert.Contains("(None, 4)", output);

        // The builder's error is the build's only one: no missing-member errors where the model is used.
        Assert.DoesNotContain("error CS", output);
    }

    [Fact]
    public void The_template_creates_a_project_that_builds_trains_and_passes_its_tests()
    {
        string hive = Path.Combine(_feed.Root, "template-hive");
        DotNet.Succeed(_feed.Root, "new", "install", _feed.PackagePath("Unrolled.Templates"), "--debug:custom-hive", hive);
        string created = Path.Combine(_feed.Root, "from-template");
        DotNet.Succeed(_feed.Root, "new", "unrolled-model", "-n", "Acme.Churn", "-o", created,
            "--UnrolledVersion", _feed.Version, "--debug:custom-hive", hive);

        Assert.True(File.Exists(Path.Combine(created, "Acme.Churn", "Acme.Churn.csproj")));
        Assert.Contains("namespace Acme.Churn;", File.ReadAllText(Path.Combine(created, "Acme.Churn", "Classifier.cs")));

        string tests = DotNet.Succeed(created, "test", "Acme.Churn.sln", "-c", "Release");
        Assert.Contains("Passed!", tests);
        Assert.Contains("Passed:     4", tests);

        string run = DotNet.Succeed(created, "run", "--project", "Acme.Churn", "-c", "Release");
        Assert.Contains("Total params: 387", run);
        Assert.Contains("Test loss", run);
        Assert.Contains("the reloaded model predicts the same: True", run);
    }

    [Fact]
    public void The_templates_default_package_version_is_the_one_this_repository_builds()
    {
        string props = File.ReadAllText(Path.Combine(_feed.RepositoryRoot, "Directory.Build.props"));
        string prefix = XDocument.Parse(props).Descendants("VersionPrefix").Single().Value;
        string template = File.ReadAllText(Path.Combine(_feed.RepositoryRoot, "src", "Templates", "content", "UnrolledModel", ".template.config", "template.json"));
        Assert.Contains($"\"defaultValue\": \"{prefix}\"", template);
    }

    private const string ScorerModel = """
        using Unrolled;
        using static Unrolled.Layers;

        namespace Consumer;

        public partial class Scorer
        {
            [ModelBuilder]
            static Model Build()
            {
                var a = Input([4], name: "a");
                var b = Input([6], name: "b");
                var x = Concatenate()(a, Dense(4, Activation.Relu)(b));
                var score = Dense(3, Activation.Tanh)(x);
                return new Model([a, b], Dense(1, Activation.Sigmoid, name: "score")(score), name: "scorer");
            }
        }
        """;

    private string WriteConsumer(string name, string model, string program)
    {
        string dir = Path.Combine(_feed.Root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Unrolled" Version="{_feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Model.cs"), model);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        return dir;
    }

    private static XDocument ReadNuspec(ZipArchive zip)
    {
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }
}
