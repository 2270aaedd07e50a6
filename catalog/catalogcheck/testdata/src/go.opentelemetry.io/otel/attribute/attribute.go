// Package attribute is a stub of go.opentelemetry.io/otel/attribute.
package attribute

type Key string

type Value struct{}

type KeyValue struct {
	Key   Key
	Value Value
}

type Set struct{}

func NewSet(kvs ...KeyValue) Set { return Set{} }

func (k Key) String(v string) KeyValue        { return KeyValue{Key: k} }
func (k Key) StringSlice(v []string) KeyValue { return KeyValue{Key: k} }
func (k Key) Int(v int) KeyValue              { return KeyValue{Key: k} }
func (k Key) Int64(v int64) KeyValue          { return KeyValue{Key: k} }
func (k Key) Bool(v bool) KeyValue            { return KeyValue{Key: k} }
func (k Key) Float64(v float64) KeyValue      { return KeyValue{Key: k} }
func (k Key) Int64Slice(v []int64) KeyValue   { return KeyValue{Key: k} }

func String(k, v string) KeyValue               { return KeyValue{Key: Key(k)} }
func StringSlice(k string, v []string) KeyValue { return KeyValue{Key: Key(k)} }
func Int(k string, v int) KeyValue              { return KeyValue{Key: Key(k)} }
func Int64(k string, v int64) KeyValue          { return KeyValue{Key: Key(k)} }
func Bool(k string, v bool) KeyValue            { return KeyValue{Key: Key(k)} }
func Float64(k string, v float64) KeyValue      { return KeyValue{Key: Key(k)} }
func IntSlice(k string, v []int) KeyValue       { return KeyValue{Key: Key(k)} }

func Int64Slice(k string, v []int64) KeyValue { return KeyValue{Key: Key(k)} }
