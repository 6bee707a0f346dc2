using FashionMnist.Selection;

namespace FashionMnist.Experiments.Studies;

/// <summary>
/// <c>--shard i/n</c> as given, or <c>--shard auto</c> from the scheduler: a Slurm job array's
/// SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (or SLURM_ARRAY_TASK_MIN/MAX), or a Kubernetes Indexed Job's
/// JOB_COMPLETION_INDEX with <c>--shards N</c> (Kubernetes does not tell a pod the completion count).
/// </summary>
internal static class ShardSelection
{
    public static Shard? Resolve(string? shard, int? shards, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (shard is null)
        {
            if (shards is not null) throw new FashionMnistException("--shards needs --shard auto", "Pass --shard auto --shards N (Kubernetes Indexed Job), or drop --shards.");
            return null;
        }
        if (!string.Equals(shard.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
        {
            if (shards is not null) throw new FashionMnistException("--shards goes with --shard auto only", "Pass either --shard i/n or --shard auto --shards N.");
            return Shard.Parse(shard.Trim());
        }
        if (Number(environment, "SLURM_ARRAY_TASK_ID") is int task)
        {
            int? count = Number(environment, "SLURM_ARRAY_TASK_COUNT");
            int min = Number(environment, "SLURM_ARRAY_TASK_MIN") ?? 0;
            if (Number(environment, "SLURM_ARRAY_TASK_MAX") is int max) count ??= max - min + 1;
            if (shards is int given) count = given;
            if (count is not int n || n < 1)
                throw new FashionMnistException("--shard auto found SLURM_ARRAY_TASK_ID but not how many tasks the array has",
                    "Slurm sets SLURM_ARRAY_TASK_COUNT (or _MIN/_MAX) for job arrays; otherwise pass --shards N.");
            int number = task - min + 1;
            if (number < 1 || number > n)
                throw new FashionMnistException($"SLURM_ARRAY_TASK_ID {task} lies outside the array ({min}..{min + n - 1})",
                    "Use a contiguous array such as --array=0-2, or pass --shard i/n yourself.");
            return new Shard(number, n);
        }
        if (Number(environment, "JOB_COMPLETION_INDEX") is int index)
        {
            if (shards is not int n || n < 1)
                throw new FashionMnistException("--shard auto in a Kubernetes Indexed Job needs --shards N (the Job's completions)",
                    "Pass --shards with the same number as the Job's spec.completions.");
            if (index < 0 || index >= n)
                throw new FashionMnistException($"JOB_COMPLETION_INDEX {index} is not below --shards {n}", "Make --shards equal to the Job's spec.completions.");
            return new Shard(index + 1, n);
        }
        throw new FashionMnistException("--shard auto found neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX",
            "Use it inside a Slurm job array or a Kubernetes Indexed Job, or pass --shard i/n.");
    }

    private static int? Number(Func<string, string?> environment, string name) =>
        environment(name) is string text && text.Length > 0
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
              : throw new FashionMnistException($"{name}='{text}' is not a number", "Check the job's environment.")
            : null;
}
