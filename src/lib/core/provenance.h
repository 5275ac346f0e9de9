#pragma once
// What every output file records about how it was made.
#include <string>
#include <vector>

namespace occ {

// The command line of this process, set once by main (argv joined, each
// argument shell-quoted where needed so it can be replayed).
void set_command_line(int argc, const char* const* argv);
const std::string& command_line();
// The same arguments unjoined (argv[0] first), e.g. to start copies of this
// process with a changed command line.
const std::vector<std::string>& command_arguments();

// A random RFC 4122 version-4 UUID, lowercase hex with dashes.
std::string make_uuid();
// Current UTC time as ISO 8601, e.g. 2026-11-22T06:01:02Z.
std::string utc_timestamp();
// Quote one argument for a POSIX shell if it needs it.
std::string shell_quote(const std::string& argument);

}  // namespace occ
