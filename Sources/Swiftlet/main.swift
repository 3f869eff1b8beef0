import SwiftletCLI

SwiftletCommand.main(CommandLine.arguments)
