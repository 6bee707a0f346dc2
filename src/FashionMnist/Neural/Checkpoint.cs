using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionMnist.Models;

namespace FashionMnist.Neural;

/// <summary>
/// A training checkpoint, written atomically after every epoch: everything <see cref="NeuralTrainer"/> needs to
/// continue as if never interrupted — weights and batch-norm statistics, optimiser moments and step count,
/// epoch and step counters (all randomness is keyed by them), history, early-stopping counters, best weights.
/// <code>"FMNISTCK", version, model name, options JSON, data fingerprint, thread count, state..., SHA-256</code>
/// </summary>
internal static class Checkpoint
{
    private const int Version = 2; // 2: the weight average (ema) after the best weights
    private static readonly byte[] s_magic = "FMNISTCK"u8.ToArray();

    public static void Write(string path, NeuralClassifier model, ulong fingerprint, Sequential network, Optimizer optimizer, NeuralTrainer.RunState state)
    {
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(s_magic);
            writer.Write(Version);
            writer.Write(model.Name);
            writer.Write(SettingsJson(model));
            writer.Write(fingerprint);
            writer.Write(Numerics.ComputeThreads.Count);
            writer.Write(state.EpochsDone);
            writer.Write(state.Step);
            writer.Write(state.Finished);
            writer.Write(state.BestLoss);
            writer.Write(state.BestEpoch);
            writer.Write(state.EpochsWithoutImprovement);
            state.History.Write(writer);
            NeuralClassifier.WriteTensors(network, writer);
            optimizer.Write(writer);
            writer.Write(state.BestTensors is not null);
            if (state.BestTensors is not null)
                foreach (float[] tensor in state.BestTensors) Serialization.WriteFloats(writer, tensor);
            writer.Write(state.Average is not null);
            if (state.Average is not null)
                foreach (float[] tensor in state.Average.Tensors) Serialization.WriteFloats(writer, tensor);
        }
        byte[] hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        AtomicFile.Write(path, stream =>
        {
            stream.Write(body.GetBuffer(), 0, (int)body.Length);
            stream.Write(hash);
        });
    }

    public static NeuralTrainer.RunState Read(string path, NeuralClassifier model, ulong fingerprint, Sequential network, Optimizer optimizer, WeightAverage? average)
    {
        byte[] bytes = InputFile.ReadAllBytes(path, "Checkpoint", "Check the path, or train without --resume.");
        if (bytes.Length < s_magic.Length + 32 || !bytes.AsSpan(0, s_magic.Length).SequenceEqual(s_magic))
            throw Damaged(path, "it is not an fmnist checkpoint");
        int bodyLength = bytes.Length - 32;
        if (!SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
            throw Damaged(path, "it fails its checksum");
        using var reader = new BinaryReader(new MemoryStream(bytes, 0, bodyLength, writable: false), Encoding.UTF8);
        try
        {
            reader.BaseStream.Position = s_magic.Length;
            int version = reader.ReadInt32();
            if (version != Version) throw Damaged(path, $"it has version {version}, not {Version}");
            string name = reader.ReadString(), settings = reader.ReadString();
            if (name != model.Name || !SameOptions(settings, model))
                throw new FashionMnistException($"Checkpoint '{path}' was made by another model or other options ('{name}')",
                    "Resume with the same model and options, or delete the checkpoint to start over.");
            if (reader.ReadUInt64() != fingerprint)
                throw new FashionMnistException($"Checkpoint '{path}' was made on other training data",
                    "Resume with the same data, seed and validation split, or delete the checkpoint to start over.");
            reader.ReadInt32(); // thread count at the time (documented: results are exact only with the same count)
            var state = new NeuralTrainer.RunState
            {
                Average = average,
                EpochsDone = reader.ReadInt32(),
                Step = reader.ReadInt64(),
                Finished = reader.ReadBoolean(),
                BestLoss = reader.ReadDouble(),
                BestEpoch = reader.ReadInt32(),
                EpochsWithoutImprovement = reader.ReadInt32(),
            };
            state.History = TrainingHistory.Read(reader);
            NeuralClassifier.ReadTensors(network, reader);
            optimizer.Read(reader);
            if (reader.ReadBoolean())
            {
                float[][] best = NeuralTrainer.CopyTensors(network);
                foreach (float[] tensor in best) Serialization.ReadFloats(reader, tensor);
                state.BestTensors = best;
            }
            bool averaged = reader.ReadBoolean();
            if (averaged != (state.Average is not null)) throw Damaged(path, "its weight average does not match the options");
            if (state.Average is not null)
                foreach (float[] tensor in state.Average.Tensors) Serialization.ReadFloats(reader, tensor);
            if (reader.BaseStream.Position != bodyLength) throw Damaged(path, "it has trailing bytes");
            return state;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            throw Damaged(path, e.Message);
        }
    }

    private static string SettingsJson(NeuralClassifier model) => JsonSerializer.Serialize(OptionBinder.ToSettings(model.Options));

    /// <summary>
    /// Whether the checkpoint's options are the model's: the same text, or text that binds to equal options (a value
    /// written another way by an older version, such as optimizer "adam-w" before it was written "adamw"), read as a
    /// model file's are (an option the older version lacked takes the value it had then: cnn-photo's photo-repeats 0).
    /// </summary>
    private static bool SameOptions(string settingsJson, NeuralClassifier model)
    {
        if (settingsJson == SettingsJson(model)) return true;
        try
        {
            var stored = JsonSerializer.Deserialize<Dictionary<string, string>>(settingsJson);
            if (stored is null) return false;
            ModelOptions options = ModelCatalog.TryGet(model.Name, out var descriptor)
                ? descriptor.BindStored(stored, model.Name)
                : OptionBinder.Bind(model.Options.GetType(), stored, model.Name);
            return options.Equals(model.Options);
        }
        catch (Exception e) when (e is JsonException or FashionMnistException)
        {
            return false;
        }
    }

    private static FashionMnistException Damaged(string path, string why) =>
        new($"Checkpoint '{path}' cannot be resumed: {why}", "Delete it to train from the start.");
}
