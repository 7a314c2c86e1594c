package data_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/govi-dev/govi/data"
)

// FuzzReadCSVPublic reads any bytes through the public API: a *data.Frame or a
// *data.Error, never a panic; a frame's columns all have Rows values.
func FuzzReadCSVPublic(f *testing.F) {
	for _, s := range []string{
		"y,x\n1,2\n3,4\n", "y,x\n1,NA\n,4\n", "y;x\n1;2\n", "\ufeffy,x\n1,2\n", "y,y\n1,2\n", "y,x\n1\n", "y,x\n1,2,3\n",
		"y,x\n1,Inf\n", "y,x\n1,a\n2,b\n3,12a\n", "\"y\",\"x\"\n\"1\",\"2\"\n", "y,x\r\n1,2\r\n", "", "y\n", "y,x\n1,0x10\n",
		"y,x\n1e308,1e-308\n", "y,x\n\"unterminated,2\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, drop bool) {
		fr, err := data.ReadCSV(bytes.NewReader(b), "f.csv", data.Options{DropMissing: drop})
		if err != nil {
			var de *data.Error
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, c := range fr.Columns {
			if c.Len() != fr.Rows {
				t.Fatalf("column %q has %d values, the frame %d rows", c.Name, c.Len(), fr.Rows)
			}
		}
	})
}
