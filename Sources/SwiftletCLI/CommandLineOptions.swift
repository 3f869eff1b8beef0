/// What the command line asked for. Parsed by hand: an argument-parser package would pull all of
/// Foundation into the binary.
public struct CommandLineOptions: Equatable, Sendable {
    public enum Command: String, Sendable { case run, validate, components, printConfig = "print-config", version, help }

    public var command: Command = .run
    /// `--config` values in order: a path, `file:PATH`, `env:VAR` or `yaml:key::path: value`.
    public var configURIs: [String] = []
    /// `--set key::path=value` values in order.
    public var sets: [String] = []
    /// `--watch-config`: reload when a config file changes, as on SIGHUP.
    public var watchConfig = false

    public init(command: Command = .run, configURIs: [String] = [], sets: [String] = [], watchConfig: Bool = false) {
        self.command = command
        self.configURIs = configURIs
        self.sets = sets
        self.watchConfig = watchConfig
    }

    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(UsageError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var commandSeen = false
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            let (flag, inlineValue) = splitFlag(arg)
            switch flag {
            case "--config", "--set":
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard i < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
                    value = arguments[i]
                    i += 1
                }
                guard !value.isEmpty else { throw UsageError(description: "\(flag) needs a non-empty value") }
                if flag == "--config" { options.configURIs.append(value) } else { options.sets.append(value) }
            case "--watch-config":
                guard inlineValue == nil else { throw UsageError(description: "--watch-config takes no value") }
                options.watchConfig = true
            case "--version", "-v":
                options.command = .version
                commandSeen = true
            case "--help", "-h", "help":
                options.command = .help
                commandSeen = true
            default:
                if arg.hasPrefix("-") { throw UsageError(description: "unknown flag '\(arg)' (see swiftlet --help)") }
                guard !commandSeen, let command = Command(rawValue: arg), command != .run, command != .version, command != .help else {
                    throw UsageError(description: "unknown command '\(arg)' (commands: validate, components, print-config)")
                }
                options.command = command
                commandSeen = true
            }
        }
        for set in options.sets where !set.contains("=") {
            throw UsageError(description: "--set '\(set)' must look like key::path=value")
        }
        return options
    }

    private static func splitFlag(_ arg: String) -> (String, String?) {
        guard arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") else { return (arg, nil) }
        return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
    }

    public static let help = """
        Usage: swiftlet [command] [--config URI]... [--set key::path=value]...

        Swiftlet is an OpenTelemetry-compatible trace collector. With no command it runs the
        collector with the given configuration, or the embedded default one when none is given.

        Commands:
          validate       check the configuration and exit (0: valid, 2: invalid)
          components     list the component types this binary carries
          print-config   print the effective configuration after merging and expansion

        Flags:
          --config URI   a config source, repeatable, merged in order (maps merge, lists replace):
                         a file path, file:PATH, env:VAR, or yaml:key::path: value
          --set k::p=v   set one value after merging, e.g. --set processors::batch::timeout=1s
          --watch-config reload when a config file changes (SIGHUP reloads too)
          --version      print the version
          --help         print this help

        On SIGHUP the configuration is read again from every source; if it is valid the new
        pipelines take over without losing or refusing a request, otherwise the running ones
        keep serving and the error is logged.

        Exit codes: 0 fine, 1 failure at run time, 2 bad usage or bad configuration.

        """
}
