using FashionMnist.Evaluation;
using System.Diagnostics;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Evaluation.Reports;

namespace FashionMnist.Tests.Evaluation;

public class MachineLoadTests
{
    [Fact]
    public void Busy_seconds_add_the_busy_columns_of_the_cpu_line()
    {
        // user 100, nice 20, system 30, idle 400, iowait 50, irq 6, softirq 7, steal 8, guest 9 (inside user), guest_nice 0:
        // busy = 100 + 20 + 30 + 6 + 7 + 8 = 171 ticks = 1.71 s.
        Assert.Equal(1.71, MachineLoad.ParseBusySeconds("cpu  100 20 30 400 50 6 7 8 9 0")!.Value, 10);
        Assert.Null(MachineLoad.ParseBusySeconds("cpu0 100 20 30 400 50 6 7 8 9 0")); // a single core's line
        Assert.Null(MachineLoad.ParseBusySeconds("cpu  100 x 30 400 50 6 7 8"));
        Assert.Null(MachineLoad.ParseBusySeconds(null));
        // Our own 3 s of CPU in 4 s of wall on a machine that was busy for 7 s in total: others kept one core busy.
        Assert.Equal(1.0, MachineLoad.OtherCoresBusy(100, 107, ownCpuSeconds: 3, wallSeconds: 4)!.Value, 10);
        Assert.Equal(0.0, MachineLoad.OtherCoresBusy(100, 102, ownCpuSeconds: 3, wallSeconds: 4)!.Value); // tick rounding never goes negative
        Assert.Null(MachineLoad.OtherCoresBusy(null, 107, 3, 4));
    }

    [Fact]
    public void The_machine_reading_sees_our_own_work()
    {
        if (!OperatingSystem.IsLinux()) return;
        double before = MachineLoad.BusySeconds()!.Value;
        var spin = Stopwatch.StartNew();
        double x = 0;
        while (spin.ElapsedMilliseconds < 300) x += Math.Sqrt(x + 1);
        double after = MachineLoad.BusySeconds()!.Value;
        Assert.True(after - before >= 0.15, $"a 0.3 s spin moved the machine's busy time by {after - before:F2} s (x = {x})");
    }

    [Fact]
    public void The_report_warns_only_when_others_took_half_a_core_or_more()
    {
        var report = SyntheticReport.Build();
        Assert.Null(ReportHtml.BusyMachineNote(report.Run)); // not measured
        Assert.Null(ReportHtml.BusyMachineNote(report.Run with { OtherCoresBusy = 0.2, LoadAverage = 9 })); // load average alone is not evidence
        var busy = report with { Run = report.Run with { OtherCoresBusy = 1.23 } };
        string note = ReportHtml.BusyMachineNote(busy.Run)!;
        Assert.Contains($"kept 1.2 of the {busy.Run.Machine.LogicalCores} cores busy", note);
        Assert.Contains("kept 1.2 of the", ReportHtml.Render(busy));
        Assert.DoesNotContain("cores busy on average", ReportHtml.Render(report));
    }
}
