#pragma once
// Removal of half-written temporary files when the process is interrupted.
// Output files are written under a temporary name and renamed when complete
// (h5/atomic_file.h); SIGINT, SIGTERM and SIGHUP unlink every registered
// temporary, then end the process with the same signal so the caller sees
// the usual status. SIGKILL cannot be caught: the temporary stays, but the
// output path never holds a partial file.
#include <string>

namespace occ {

// Installs the handlers; idempotent, called by main.
void install_signal_handlers();

// Returns a slot id to pass to unregister_temp_path, or -1 when the table is
// full (the file is then still removed by its owner on normal errors).
int register_temp_path(const std::string& path);
void unregister_temp_path(int slot);

// Cooperative interruption for long jobs that can stop cleanly (training
// saves a checkpoint): while enabled, the first SIGINT/SIGTERM only sets a
// flag the job polls; a second one ends the process as usual (temporaries
// removed). Disabled by default.
void set_cooperative_interrupt(bool enabled);
bool interrupt_requested();
// The signal that set the flag (0: none), for the exit status.
int interrupt_signal();

}  // namespace occ
