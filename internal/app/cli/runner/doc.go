// Package runner executes a cobra command tree so that every command runs
// inside its own span, and maps the outcome to an exit code.
//
// Runner.Execute wraps the run function of every command of the tree, at
// the moment it runs, so a command added to the tree later gets its span
// without code of its own. The span is named after the command path below
// the root, joined by "_" and prefixed with "cli_": "elmo telemetry
// status" runs in the span "cli_telemetry_status". The span records the
// exit code as the attribute exit_code and has status Error when the
// command fails. Commands add attributes through
// trace.SpanFromContext(cmd.Context()).
//
// The spans are started with the global tracer provider. Before the first
// span starts, Runner calls the function given with WithSetup, which is
// where a program starts its telemetry pipeline; a command that runs no
// span (help, completion, a group of commands) never calls it. A command
// that must make a choice before telemetry starts, such as one that
// records the user's consent, is marked with Defer and calls Begin once
// the choice is made: its span is then started with the time the command
// began.
//
// Exit codes follow the usual convention: 0 for success, 2 for a usage
// error (an unknown command, a bad flag or argument, or an error wrapped
// with Usage), and 1 for any other failure.
package runner
