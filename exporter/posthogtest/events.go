package posthogtest

// Named returns the events called name, in the order given.
func Named(events []Event, name string) []Event {
	var out []Event
	for _, e := range events {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// Names returns the name of each event, in the order given; handy in
// test failure messages.
func Names(events []Event) []string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = e.Event
	}
	return names
}
