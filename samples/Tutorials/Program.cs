// The seed tutorials' functional-API models, each as a [ModelBuilder] class: every one prints its summary (Keras's
// table), compiles as the tutorial does, trains on the tutorial's dummy data and predicts.
//
//   dotnet run --project samples/Tutorials -c Release [-- NAME ...]      (no name: all of them)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Tutorials;

var examples = new (string Name, string Title, Action Run)[]
{
    ("news", "Multi-input, multi-output: the news headline model (Embedding, LSTM, auxiliary input and output)", NewsHeadlines.Run),
    ("tweets", "A shared LSTM over two tweets", SharedLstmTweets.Run),
    ("qa", "Question answering: two variable-length texts", QuestionAnswering.Run),
    ("posts", "Three outputs from a Conv1D text model (age, income, gender)", PostsModel.Run),
    ("inception", "An Inception module", InceptionModule.Run),
    ("residual", "Residual connections, with a strided 1×1 projection", ResidualBlocks.Run),
    ("siamese", "A shared LSTM over two sequences (layer sharing)", SharedLstmPair.Run),
    ("xception", "Models as layers: one Xception base over two cameras' images", XceptionSiamese.Run),
    ("autoencoder", "Encoder and autoencoder from one stack of layers", ConvAutoencoder.Run),
    ("nested", "Models as layers: an autoencoder of an encoder and a decoder model", NestedAutoencoder.Run),
    ("ensemble", "An ensemble: three models, outputs averaged", Ensemble.Run),
    ("tickets", "The ticket classifier: three inputs, two outputs", TicketClassifier.Run),
    ("xy", "x_in / y_in: losses by list and by name", TwoInTwoOut.Run),
    ("manhattan", "Manhattan LSTM: a Lambda layer merging two encodings", ManhattanLstm.Run),
    ("timedistributed", "TimeDistributed(model) over a sequence of images", SequenceClassifier.Run),
};

var wanted = args.Length == 0 ? examples.Select(e => e.Name).ToHashSet() : new HashSet<string>(args);
var unknown = wanted.Except(examples.Select(e => e.Name)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown example(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", examples.Select(e => e.Name))}.");
    return 2;
}

foreach (var (name, title, run) in examples.Where(e => wanted.Contains(e.Name)))
{
    Console.WriteLine();
    Console.WriteLine($"=== {name}: {title}");
    var clock = Stopwatch.StartNew();
    run();
    Console.WriteLine($"({clock.Elapsed.TotalSeconds:F1} s)");
}

return 0;
