// Package cobra is a stub of github.com/spf13/cobra.
package cobra

import "context"

type Command struct {
	Use  string
	RunE func(cmd *Command, args []string) error
}

func (c *Command) Context() context.Context { return context.Background() }
