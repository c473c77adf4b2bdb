// The seed tutorials' functional-API models, each as a [ModelBuilder] class: every one prints its summary (Keras's
// table), compiles as the tutorial does, trains on the tutorial's dummy data and predicts. With --graph DIR, it draws
// them instead: each model's graph as DOT, Mermaid and (with Graphviz) SVG, and the training curves of a short fit.
//
//   dotnet run --project samples/Tutorials -c Release [-- NAME ...]                 (no name: all of them)
//   dotnet run --project samples/Tutorials -c Release -- --graph pictures [NAME ...]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Tutorials;
using Unrolled;

var examples = new (string Name, string Title, Action Run, Func<CompiledModel> Create)[]
{
    ("news", "Multi-input, multi-output: the news headline model (Embedding, LSTM, auxiliary input and output)", NewsHeadlines.Run, () => new NewsHeadlines(seed: 0)),
    ("tweets", "A shared LSTM over two tweets", SharedLstmTweets.Run, () => new SharedLstmTweets(seed: 1)),
    ("qa", "Question answering: two variable-length texts", QuestionAnswering.Run, () => new QuestionAnswering(seed: 2)),
    ("posts", "Three outputs from a Conv1D text model (age, income, gender)", PostsModel.Run, () => new PostsModel(seed: 3)),
    ("inception", "An Inception module", InceptionModule.Run, () => new InceptionModule(seed: 4)),
    ("residual", "Residual connections, with a strided 1×1 projection", ResidualBlocks.Run, () => new ResidualBlocks(seed: 5)),
    ("siamese", "A shared LSTM over two sequences (layer sharing)", SharedLstmPair.Run, () => new SharedLstmPair(seed: 11)),
    ("xception", "Models as layers: one Xception base over two cameras' images", XceptionSiamese.Run, () => new XceptionSiamese(seed: 15)),
    ("autoencoder", "Encoder and autoencoder from one stack of layers", ConvAutoencoder.Run, () => new ConvAutoencoder(seed: 6)),
    ("nested", "Models as layers: an autoencoder of an encoder and a decoder model", NestedAutoencoder.Run, () => new NestedAutoencoder(seed: 8)),
    ("ensemble", "An ensemble: three models, outputs averaged", Ensemble.Run, () => new Ensemble(seed: 9)),
    ("tickets", "The ticket classifier: three inputs, two outputs", TicketClassifier.Run, () => new TicketClassifier(seed: 12)),
    ("xy", "x_in / y_in: losses by list and by name", TwoInTwoOut.Run, () => new TwoInTwoOut(seed: 13)),
    ("manhattan", "Manhattan LSTM: a Lambda layer merging two encodings", ManhattanLstm.Run, () => new ManhattanLstm(seed: 14)),
    ("timedistributed", "TimeDistributed(model) over a sequence of images", SequenceClassifier.Run, () => new SequenceClassifier(seed: 10)),
};

string? pictures = null;
int graphOption = Array.IndexOf(args, "--graph");
if (graphOption >= 0)
{
    if (graphOption + 1 >= args.Length)
    {
        Console.Error.WriteLine("--graph needs a directory to write the pictures to.");
        return 2;
    }

    pictures = args[graphOption + 1];
    args = args.Where((_, i) => i != graphOption && i != graphOption + 1).ToArray();
}

var wanted = args.Length == 0 ? examples.Select(e => e.Name).ToHashSet() : new HashSet<string>(args);
var unknown = wanted.Except(examples.Select(e => e.Name)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown example(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", examples.Select(e => e.Name))}.");
    return 2;
}

if (pictures is not null)
{
    Pictures.Write(pictures, examples.Where(e => wanted.Contains(e.Name)).Select(e => (e.Name, e.Create)));
    return 0;
}

foreach (var (name, title, run, _) in examples.Where(e => wanted.Contains(e.Name)))
{
    Console.WriteLine();
    Console.WriteLine($"=== {name}: {title}");
    var clock = Stopwatch.StartNew();
    run();
    Console.WriteLine($"({clock.Elapsed.TotalSeconds:F1} s)");
}

return 0;
