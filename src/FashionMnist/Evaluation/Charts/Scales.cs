namespace FashionMnist.Evaluation.Charts;

/// <summary>Maps data values to pixel positions.</summary>
internal interface IScale
{
    double Map(double value);
    IReadOnlyList<double> Ticks { get; }
    string Format(double tick);
}

/// <summary>A linear map from [<paramref name="domainMin"/>, <paramref name="domainMax"/>] to [<paramref name="rangeMin"/>, <paramref name="rangeMax"/>].</summary>
internal sealed class LinearScale(double domainMin, double domainMax, double rangeMin, double rangeMax, IReadOnlyList<double>? ticks = null) : IScale
{
    public double DomainMin { get; } = domainMin;
    public double DomainMax { get; } = domainMax;

    public IReadOnlyList<double> Ticks { get; } = ticks ?? [];

    public double Map(double value) =>
        DomainMax == DomainMin ? (rangeMin + rangeMax) / 2 : rangeMin + (value - DomainMin) / (DomainMax - DomainMin) * (rangeMax - rangeMin);

    public string Format(double tick) => NiceTicks.Format(tick, Ticks.Count > 1 ? Ticks[1] - Ticks[0] : 1);

    /// <summary>A scale whose domain is widened to nice tick values around the data.</summary>
    public static LinearScale Nice(double dataMin, double dataMax, double rangeMin, double rangeMax, int targetTicks = 5)
    {
        var ticks = NiceTicks.Linear(dataMin, dataMax, targetTicks);
        return new LinearScale(ticks[0], ticks[^1], rangeMin, rangeMax, ticks);
    }
}

/// <summary>A base-10 logarithmic map; the domain is widened to whole decades (or 1-2-5 steps).</summary>
internal sealed class LogScale : IScale
{
    private readonly double _logMin, _logMax, _rangeMin, _rangeMax;

    public LogScale(double dataMin, double dataMax, double rangeMin, double rangeMax)
    {
        if (!(dataMin > 0) || !(dataMax > 0)) throw new ArgumentOutOfRangeException(nameof(dataMin), "A log scale needs positive values.");
        Ticks = NiceTicks.Logarithmic(dataMin, dataMax);
        _logMin = Math.Log10(Ticks[0]);
        _logMax = Math.Log10(Ticks[^1]);
        _rangeMin = rangeMin;
        _rangeMax = rangeMax;
    }

    public IReadOnlyList<double> Ticks { get; }

    public double Map(double value)
    {
        double log = Math.Log10(Math.Max(value, double.Epsilon));
        return _logMax == _logMin ? (_rangeMin + _rangeMax) / 2 : _rangeMin + (log - _logMin) / (_logMax - _logMin) * (_rangeMax - _rangeMin);
    }

    public string Format(double tick) => NiceTicks.FormatCompact(tick);
}

/// <summary>"Nice" axis ticks: steps of 1, 2 or 5 times a power of ten (Heckbert's algorithm).</summary>
internal static class NiceTicks
{
    /// <summary>
    /// About <paramref name="target"/> ticks covering [min, max], starting and ending on a multiple of the step.
    /// Equal or non-finite inputs still give a usable axis.
    /// </summary>
    public static IReadOnlyList<double> Linear(double min, double max, int target = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) (min, max) = (0, 1);
        if (min > max) (min, max) = (max, min);
        if (min == max)
        {
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        target = Math.Max(2, target);
        double step = NiceNumber(NiceNumber(max - min, round: false) / (target - 1), round: true);
        double start = Math.Floor(min / step + 1e-9) * step;
        double end = Math.Ceiling(max / step - 1e-9) * step;
        var ticks = new List<double>();
        int count = (int)Math.Round((end - start) / step);
        for (int i = 0; i <= count; i++)
        {
            double tick = start + i * step;
            // Kill floating-point dust such as 0.30000000000000004 and -0.
            tick = Math.Round(tick / step) * step;
            tick = Math.Round(tick, Math.Max(0, Decimals(step)) + 2);
            ticks.Add(tick == 0 ? 0 : tick);
        }
        return ticks;
    }

    /// <summary>Powers of ten spanning [min, max]; with two decades or fewer, also 2× and 5× in between.</summary>
    public static IReadOnlyList<double> Logarithmic(double min, double max)
    {
        if (!(min > 0) || !(max > 0)) throw new ArgumentOutOfRangeException(nameof(min), "Logarithmic ticks need positive values.");
        if (min > max) (min, max) = (max, min);
        int low = (int)Math.Floor(Math.Log10(min) + 1e-9);
        int high = (int)Math.Ceiling(Math.Log10(max) - 1e-9);
        if (high == low) high++;
        bool fine = high - low <= 2;
        var ticks = new List<double>();
        for (int e = low; e <= high; e++)
        {
            double decade = Math.Pow(10, e);
            ticks.Add(decade);
            if (fine && e < high)
            {
                ticks.Add(2 * decade);
                ticks.Add(5 * decade);
            }
        }
        // Trim fine ticks that lie beyond the data on either side, keeping one at or beyond each end.
        int first = 0, last = ticks.Count - 1;
        while (first + 1 < ticks.Count && ticks[first + 1] <= min) first++;
        while (last - 1 >= 0 && ticks[last - 1] >= max) last--;
        return ticks.GetRange(first, last - first + 1).Select(t => Math.Round(t, 12)).ToList();
    }

    /// <summary>The nice number (1, 2, 5 or 10 times a power of ten) near <paramref name="value"/>.</summary>
    public static double NiceNumber(double value, bool round)
    {
        if (value <= 0 || !double.IsFinite(value)) return 1;
        double exponent = Math.Floor(Math.Log10(value));
        double fraction = value / Math.Pow(10, exponent);
        double nice = round
            ? fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
            : fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * Math.Pow(10, exponent);
    }

    /// <summary>A tick label with just enough decimals for the step (0.25 → "0.25" at step 0.05).</summary>
    public static string Format(double tick, double step) =>
        tick.ToString("F" + Math.Max(0, Decimals(step)).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A short label for log-axis ticks: 0.001, 0.5, 20, 1k, 10k, 1M.</summary>
    public static string FormatCompact(double value) => Math.Abs(value) switch
    {
        >= 1e6 => (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (value / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.####", CultureInfo.InvariantCulture),
    };

    private static int Decimals(double step) => (int)Math.Max(0, -Math.Floor(Math.Log10(step) + 1e-9));
}
