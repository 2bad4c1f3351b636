#pragma once
// The command line shared by both programs: `s2s` (the launcher, which links
// no LibTorch) and `s2s-engine` (every command). Builds the root CLI from the
// subcommands registered in this program, parses, runs, and turns every
// failure into one sentence on stderr: exit 1 for bad data (s2s::Error), 2 for
// bad usage (s2s::UsageError and the flag parser's own errors).
#include <exception>
#include <string>

namespace s2s::app {

// The sentence for an exception that is neither s2s::Error nor UsageError
// (only a missing check of ours lets one through). `debug`: --debug or
// S2S_DEBUG=1 was given, and the whole text is wanted.
using InternalErrorText = std::string (*)(const std::exception& error, bool debug);

// linked_only: the subcommands this program links. every_command: also the
// others by name and summary (app/command_list.h), for a top-level --help.
enum class CommandListing { linked_only, every_command };

int run_commands(int argc, char** argv, InternalErrorText internal_error_text,
                 CommandListing listing = CommandListing::linked_only);

// "s2s: error: <message>", prefixed with the rank in a data-parallel run; returns `code`.
int report_failure(const std::string& message, int code);

}  // namespace s2s::app
