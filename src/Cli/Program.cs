using BootActors.Cli;

return CliApp.Run(args, ProcessStreams.Claim(), Console.Error);
