// Package detach starts a program as a detached background process: one
// that outlives the process that started it and is never waited for by
// it. The CLI uses it to hand slow work, such as delivering telemetry over
// the network, to a short-lived process of its own and exit at once.
//
// A detached process:
//
//   - runs in a session and process group of its own (setsid on Unix;
//     DETACHED_PROCESS and CREATE_NEW_PROCESS_GROUP on Windows), so that
//     neither a signal to the parent's process group (Ctrl-C, a job
//     control stop, a kill of the group) nor the hangup of the parent's
//     terminal reaches it, and it has no console or controlling terminal;
//   - has its standard input, output and error on the null device, and no
//     other descriptor or handle of the parent. Go opens every file
//     close-on-exec and os/exec passes only those three, but a descriptor
//     the parent itself inherited without that flag would pass on too
//     (and hold, say, a pipe that a build tool waits on open for as long
//     as the child runs): on Unix, Start first marks each descriptor of
//     the parent above standard error close-on-exec, and leaves it so. On
//     Windows, os/exec lets a child inherit only the standard handles.
//   - gets the parent's environment and working directory unless
//     WithEnv or WithDir say otherwise.
//
// Start returns as soon as the process exists; it never waits for the
// program to do anything.
//
// # Releasing or waiting
//
// A parent that is about to exit, such as a CLI command on its way out,
// calls Process.Release and forgets the child: when the parent exits, the
// operating system hands the child to init (or to the nearest subreaper),
// which reaps it when it ends.
//
// On Unix a child that ends while its parent is still running stays a
// zombie (an entry in the process table, no memory) until the parent waits
// for it or exits. Release is therefore meant for a parent that exits
// soon. A long-lived parent calls Process.Wait instead, and may do so from
// a goroutine of its own. Start does not reap in a goroutine of its own:
// such a goroutine would outlive the call, which a parent about to exit
// does not need and a test checking for leaked goroutines would report.
//
// # Systems
//
// Start works on Unix (Linux, macOS, the BSDs and the other systems Go
// builds with the unix tag) and on Windows. On Windows it also asks for
// the child to break away from the parent's job object, so that closing
// the job (as some terminals and service managers do) does not end it;
// where the job forbids that, the child stays in the job. On every other
// system Start returns an error that wraps errors.ErrUnsupported.
package detach
