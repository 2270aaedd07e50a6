// Package launch runs the services of Elmo's local deployment, elmo-web
// and elmo-worker, for elmo start and elmo stop.
//
// The services get the deployment .env as their environment: the parent
// environment overlaid with the assignments of $ELMO_DIR/.env, plus
// ELMO_DIR itself. So DISABLE_TELEMETRY=1, written to .env by
// elmo telemetry disable, reaches both services; and an opt-out set in
// the parent environment (DISABLE_TELEMETRY, DO_NOT_TRACK or
// OTEL_SDK_DISABLED) is kept even when .env says otherwise, since no
// setting can turn telemetry on over an opt-out. Options.Env comes last,
// over both: elmo start passes DISABLE_TELEMETRY=1 there when the
// person's choice in config.json is off, so that one choice covers every
// deployment, whatever its directory.
//
// Run runs both in the foreground, prefixing each line of their output
// with the service's name, until its context ends or one of them exits;
// then it stops the other with SIGTERM, and kills what has not stopped
// after a grace period. Each service gets a lifeline to the process that
// runs it (package lifeline), so that the services stop on their own when
// that process dies without stopping them. StartBackground starts them
// detached, with their output in log files and their process IDs in a pid
// file in the deployment directory, and Stop stops either kind.
//
// One deployment runs per directory: Run holds a lock on elmo.lock in the
// deployment directory and records its process ID and the web app's
// address in elmo.state; Run and StartBackground refuse to start a
// deployment where one runs, with an *AlreadyRunningError that says
// which. The kernel releases the lock of a process that dies, so a lock
// left by a crash is taken over.
package launch
