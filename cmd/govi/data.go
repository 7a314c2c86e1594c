package main

import (
	"bytes"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/examples"
)

// source is where the data come from: a file or a bundled example.
type source struct {
	path    string
	example *examples.Example
}

func (s source) name() string {
	if s.example != nil {
		return s.example.File
	}
	return s.path
}

func (s source) read(opt data.Options) (*data.Frame, error) {
	if s.example != nil {
		return data.ReadCSV(bytes.NewReader(s.example.Bytes()), s.example.File, opt)
	}
	return data.ReadFile(s.path, opt)
}

// header returns the column names of the data.
func (s source) header() ([]string, error) {
	if s.example != nil {
		return data.ReadHeader(bytes.NewReader(s.example.Bytes()), s.example.File, data.Options{})
	}
	return data.ReadFileHeader(s.path, data.Options{})
}
