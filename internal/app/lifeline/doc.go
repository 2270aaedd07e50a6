// Package lifeline ties the local deployment's services to the elmo
// start that runs them, so that they never outlive it.
//
// The parent calls Attach on each service's command before starting it.
// Attach hands the service the read end of a pipe whose write end only
// the parent holds, and names its descriptor in the service's environment
// (EnvVar). When the parent ends in any way, a crash or SIGKILL included,
// the kernel closes the write end and the service reads end-of-file. On
// Linux, Attach also sets the parent-death signal to SIGTERM, which the
// service handles as a request to stop.
//
// The service calls Watch, which returns a context that ends when the
// pipe closes. A service started by hand has no EnvVar in its environment:
// Watch returns its context unchanged, and the service runs until it is
// asked to stop.
//
// On Windows, which cannot pass a pipe this way, Attach does nothing; a
// job object would be the tool there.
package lifeline
