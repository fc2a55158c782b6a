using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Model.Tests.Support;

/// <summary>
/// Runs a machine the way <see cref="Simulation.Run"/> does (boot on CPU0, after_bootmem, then
/// the workload steps), with a hook called just BEFORE each step is applied and one just after.
/// The pre-step hook works because the interpreter pulls the next step from the program (our
/// wrapper) immediately before it calls <c>Machine.Apply</c>.
/// </summary>
internal sealed class SteppedRun
{
    private SteppedRun(BootActors.Model.Machine.Machine machine, RunStop? stop)
    {
        Machine = machine;
        Stop = stop;
    }

    public BootActors.Model.Machine.Machine Machine { get; }

    public RunStop? Stop { get; }

    public static SteppedRun Execute(
        MachineConfig config,
        WorkloadPlan plan,
        Action<BootActors.Model.Machine.Machine, Effect>? before = null,
        Action<BootActors.Model.Machine.Machine, Effect, StepResult>? after = null,
        bool endOfRunChecks = true)
    {
        var machine = new BootActors.Model.Machine.Machine(config);
        var cpus = Enumerable.Range(0, machine.Tlbs.Length).Select(i => new CpuContext(i)).ToArray();
        var interpreter = new SequentialInterpreter(machine)
        {
            OnStep = after is null ? null : (_, e, r) => after(machine, e, r),
        };

        IEnumerable<Effect> Hook(IEnumerable<Effect> program)
        {
            foreach (var e in Effect.Flatten(program))
            {
                before?.Invoke(machine, e);
                yield return e;
            }
        }

        var stop = interpreter.Run([new CpuThread(cpus[0], Hook(machine.Code.InitMemoryMapping(cpus[0], 0, machine.End)), "boot")]);
        if (stop is null)
        {
            machine.Globals.after_bootmem = true;
            foreach (var step in plan.Steps)
            {
                var threads = Simulation.ByCpu(step)
                    .Select(p => new CpuThread(cpus[p.Cpu], Hook(Simulation.Program(machine, cpus[p.Cpu], p.Events)), "workload"))
                    .ToList();
                stop = interpreter.Run(threads);
                if (stop is not null)
                {
                    break;
                }
            }
        }

        if (stop is null && endOfRunChecks)
        {
            stop = Simulation.EndOfRunChecks(machine);
        }

        return new SteppedRun(machine, stop);
    }
}
